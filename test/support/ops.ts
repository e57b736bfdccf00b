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
 * `json` is the output (or, on failure, the error) parsed as JSON when it is JSON.
 */
export function opsAgainst(pipeline: () => LocalPipeline): (...args: string[]) => Promise<OpsRun> {
  return async (...args) => {
    let out = '';
    let err = '';
    const code = await runOps([...args, ...opsTarget(pipeline())], { out: (t) => (out += `${t}\n`), err: (t) => (err += `${t}\n`) });
    let json: unknown;
    try {
      json = JSON.parse(code === 0 ? out : err);
    } catch {
      json = undefined;
    }
    return { code, out, err, json };
  };
}

/** The ops target flags that name the pipeline's endpoints and table. */
export function opsTarget(pipeline: LocalPipeline): string[] {
  const { stack } = pipeline;
  return ['--sfn-endpoint', stack.urls.sfn, '--dynamodb-endpoint', stack.urls.dynamodb, '--table', stack.tableName];
}
