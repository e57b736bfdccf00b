import { runOps } from '../../scripts/ops/cli';
import type { LocalPipeline } from './local-pipeline';

/** What one ops command did: its exit code, its output and error text, and either parsed as JSON. */
export interface OpsRun {
  code: number;
  out: string;
  err: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  json: any;
}

/**
 * Runs `npm run ops -- <args>` in this process against the pipeline (its Step Functions and
 * DynamoDB endpoints and table, through the same AWS SDK calls as against a deployed stack).
 * `json` is the output (or, when it has none, the error) parsed as JSON when it is JSON: a command
 * may print its value and still exit 1 (a retry that left the order unfulfilled).
 */
export function opsAgainst(pipeline: () => LocalPipeline): (...args: string[]) => Promise<OpsRun> {
  return async (...args) => {
    let out = '';
    let err = '';
    const code = await runOps([...args, ...opsTarget(pipeline())], { out: (t) => (out += `${t}\n`), err: (t) => (err += `${t}\n`) });
    return { code, out, err, json: parsed(out) ?? parsed(err) };
  };
}

function parsed(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** The ops target flags that name the pipeline's endpoints and table. */
export function opsTarget(pipeline: LocalPipeline): string[] {
  const { stack } = pipeline;
  return ['--sfn-endpoint', stack.urls.sfn, '--dynamodb-endpoint', stack.urls.dynamodb, '--table', stack.tableName];
}
