import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { PROJECT_ROOT } from '../../lib/constructs/pipeline-function';
import { LocalLambda } from '../../local/local-lambda';

/**
 * As in AWS Lambda, one execution environment (worker thread) runs one invocation at a time; calls
 * that overlap get more environments. Several invocations sharing one module state mixed up their
 * Powertools keys: a line for evt_A showed evt_B's.
 */
describe('a local Lambda runs one invocation at a time per environment', () => {
  let dir: string;
  const lambdas: LocalLambda[] = [];
  const fn = (name: string) => ({
    logicalId: `${name}Function`,
    arn: `arn:aws:lambda:us-east-1:000000000000:function:${name}`,
    entry: path.join(dir, name, 'handler.ts'),
    handler: 'handler',
    environment: { POWERTOOLS_SERVICE_NAME: 'test', POWERTOOLS_LOG_LEVEL: 'INFO', POWERTOOLS_DEV: 'false' },
    timeoutSeconds: 10,
  });
  const start = (name: string, maxEnvironments?: number) => {
    const lines: { line: string; stream: string }[] = [];
    const lambda = new LocalLambda(
      fn(name),
      { TZ: 'UTC' },
      {},
      {
        onLog: (line, _fn, stream) => lines.push({ line, stream }),
        ...(maxEnvironments ? { maxEnvironments } : {}),
      },
    );
    lambdas.push(lambda);
    return { lambda, lines };
  };

  beforeAll(() => {
    // under the project, so that the handler finds the project's packages
    mkdirSync(path.join(PROJECT_ROOT, '.local'), { recursive: true });
    dir = mkdtempSync(path.join(PROJECT_ROOT, '.local', 'local-lambda-test-'));
    mkdirSync(path.join(dir, 'keys'));
    writeFileSync(
      path.join(dir, 'keys', 'handler.ts'),
      "import { Logger } from '@aws-lambda-powertools/logger';\n" +
        'const logger = new Logger();\n' +
        'export const handler = async (event: { eventId: string; waitMs: number }, context: unknown) => {\n' +
        '  logger.addContext(context as never);\n' +
        '  logger.resetKeys();\n' +
        '  logger.appendKeys({ eventId: event.eventId });\n' +
        '  await new Promise((resolve) => setTimeout(resolve, event.waitMs));\n' +
        "  logger.info('done', { result: event.eventId });\n" +
        '  return event.eventId;\n' +
        '};\n',
    );
  });
  afterAll(async () => {
    await Promise.all(lambdas.map((l) => l.stop()));
    rmSync(dir, { recursive: true, force: true });
  });

  test('concurrent invocations each log their own keys and context', async () => {
    const { lambda, lines } = start('keys');
    const ids = ['evt_A', 'evt_B', 'evt_C', 'evt_D', 'evt_E', 'evt_F'];
    // A waits longest: with one shared Logger, its line would carry the last call's eventId
    const results = await Promise.all(ids.map((eventId, i) => lambda.invoke({ eventId, waitMs: 300 - i * 40 })));
    expect(results).toEqual(ids);
    const logged = lines.map((l) => JSON.parse(l.line) as { eventId: string; result: string; function_request_id: string });
    expect(logged).toHaveLength(ids.length);
    for (const entry of logged) expect(entry.eventId).toBe(entry.result);
    expect(logged.map((l) => l.eventId).sort()).toEqual(ids);
    expect(new Set(logged.map((l) => l.function_request_id)).size).toBe(ids.length);
    expect(lambda.environments).toBe(ids.length);
  });

  test('calls one after another reuse one environment (one cold start); the bound makes calls wait', async () => {
    const { lambda, lines } = start('keys', 2);
    for (const eventId of ['evt_1', 'evt_2', 'evt_3']) await lambda.invoke({ eventId, waitMs: 0 });
    expect(lambda.environmentsStarted).toBe(1);
    expect(lines).toHaveLength(3);
    lines.length = 0;
    const ids = ['evt_4', 'evt_5', 'evt_6', 'evt_7'];
    expect(await Promise.all(ids.map((eventId) => lambda.invoke({ eventId, waitMs: 100 })))).toEqual(ids);
    expect(lambda.environmentsStarted).toBe(2);
    expect(lambda.environments).toBe(2);
    for (const entry of lines.map((l) => JSON.parse(l.line) as { eventId: string; result: string }))
      expect(entry.eventId).toBe(entry.result);
    expect(lambda.eventLoopUtilization().active).toBeGreaterThan(0);
  });

  test('provisioned concurrency: provision() initializes environments first, so that overlapping calls up to their count start none', async () => {
    const { lambda } = start('keys', 3);
    expect(await lambda.provision()).toBe(3);
    expect(lambda.environmentsStarted).toBe(3);
    const ids = ['evt_p1', 'evt_p2', 'evt_p3'];
    expect(await Promise.all(ids.map((eventId) => lambda.invoke({ eventId, waitMs: 100 })))).toEqual(ids);
    expect(lambda.environmentsStarted).toBe(3);
    // never more than the function's concurrency, and a second call adds nothing
    expect(await lambda.provision(10)).toBe(3);
    expect(lambda.environmentsStarted).toBe(3);
  });

  test('provision() rejects with the load error of a handler that does not load, and leaves no environment of it', async () => {
    mkdirSync(path.join(dir, 'broken'), { recursive: true });
    writeFileSync(path.join(dir, 'broken', 'handler.ts'), "throw new Error('no config here');\nexport const handler = async () => 1;\n");
    const { lambda } = start('broken', 2);
    await expect(lambda.provision()).rejects.toThrow(/no config here/);
    expect(lambda.environments).toBe(0);
  });

  test('a reload replaces every environment', async () => {
    const { lambda } = start('keys');
    await Promise.all(['a', 'b', 'c'].map((eventId) => lambda.invoke({ eventId, waitMs: 50 })));
    expect(lambda.environments).toBe(3);
    expect(await lambda.reload()).toBe(true);
    expect(lambda.environments).toBe(1);
    expect(await lambda.invoke({ eventId: 'd', waitMs: 0 })).toBe('d');
  });

  (process.platform === 'linux' ? test : test.skip)('reloads and stops leave no esbuild process behind', async () => {
    const children = () =>
      execFileSync('ps', ['-o', 'pid=,stat=,comm=', '--ppid', String(process.pid)], { encoding: 'utf8' })
        .split('\n')
        .filter((line) => /esbuild/.test(line));
    const before = children().length;
    const { lambda } = start('keys');
    for (let i = 0; i < 3; i++) {
      // a changed source: the new worker compiles it
      writeFileSync(path.join(dir, 'keys', 'extra.ts'), `export const n = ${i};\n`);
      await Promise.all(['a', 'b'].map((eventId) => lambda.invoke({ eventId, waitMs: 20 })));
      await lambda.reload();
    }
    await lambda.stop();
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(children().filter((line) => / Z/.test(line))).toEqual([]);
    expect(children().length).toBeLessThanOrEqual(before);
  });
});
