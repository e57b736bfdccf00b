import { mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describeReload, functionLabel, LambdaWatcher, type ReloadReport } from '../../local/hot-reload';
import { LocalLambda } from '../../local/local-lambda';

/** Issue 16.4: a changed handler is picked up without a restart; a broken one keeps the old code. */
describe('hot reload of the local Lambdas', () => {
  let dir: string;
  let lambda: LocalLambda;
  let other: LocalLambda;
  let watcher: LambdaWatcher;
  const reloads: ReloadReport[] = [];
  const errors: string[] = [];

  const write = (file: string, text: string) => writeFileSync(path.join(dir, file), text);
  const fn = (name: string) => ({
    logicalId: `${name}Function`,
    arn: `arn:aws:lambda:us-east-1:000000000000:function:${name}`,
    entry: path.join(dir, name, 'handler.ts'),
    handler: 'handler',
    environment: {},
    timeoutSeconds: 10,
  });
  const until = async (check: () => boolean) => {
    for (let i = 0; i < 800 && !check(); i++) await new Promise((resolve) => setTimeout(resolve, 25));
    expect(check()).toBe(true);
  };

  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'hot-reload-'));
    mkdirSync(path.join(dir, 'hello'));
    mkdirSync(path.join(dir, 'other'));
    write('message.ts', "export const message = 'one';\n");
    write(
      'hello/handler.ts',
      "import { message } from '../message';\n" +
        'export const handler = async (event: { waitMs?: number }) => {\n' +
        '  await new Promise((resolve) => setTimeout(resolve, event.waitMs ?? 0));\n' +
        '  return message;\n' +
        '};\n',
    );
    write('other/handler.ts', "export const handler = async () => 'other';\n");
    lambda = new LocalLambda(fn('hello'), {});
    other = new LocalLambda(fn('other'), {});
    watcher = await LambdaWatcher.start({
      lambdas: [lambda, other],
      roots: [dir],
      debounceMs: 50,
      onReload: (report) => reloads.push(report),
      onError: (message) => errors.push(message),
    });
  });
  afterAll(async () => {
    watcher?.close();
    await Promise.all([lambda?.stop(), other?.stop()]);
    rmSync(dir, { recursive: true, force: true });
  });

  test('a changed import reloads only the functions that use it; calls in flight finish on the old code', async () => {
    expect(await lambda.invoke({})).toBe('one');
    expect(await other.invoke({})).toBe('other');
    const inFlight = lambda.invoke({ waitMs: 1500 });
    write('message.ts', "export const message = 'two';\n");
    await until(() => reloads.length === 1);
    expect(reloads[0]).toMatchObject({ functions: ['hello'] });
    expect(await lambda.invoke({})).toBe('two');
    expect(await inFlight).toBe('one');
    expect(other.reloads).toBe(0);
    expect(errors).toEqual([]);
  });

  test('a syntax error is reported and the old code keeps running', async () => {
    write('message.ts', "export const message = 'three'\nexport const = ;\n");
    await until(() => errors.length === 1);
    expect(errors[0]).toMatch(/build failed/);
    expect(errors[0]).toMatch(/message\.ts/);
    expect(await lambda.invoke({})).toBe('two');
    write('message.ts', "export const message = 'four';\n");
    await until(() => reloads.length === 2);
    expect(await lambda.invoke({})).toBe('four');
  });

  test('a change made while another file does not build is applied once it builds', async () => {
    write('other/handler.ts', 'export const handler = async () => ;\n');
    await until(() => errors.length === 2);
    write('message.ts', "export const message = 'five';\n");
    await until(() => errors.length === 3);
    expect(await lambda.invoke({})).toBe('four');
    write('other/handler.ts', "export const handler = async () => 'other';\n");
    await until(() => reloads.length === 3);
    expect(reloads[2]!.functions).toContain('hello');
    expect(await lambda.invoke({})).toBe('five');
  });

  test('a handler that throws while loading does not replace the working one', async () => {
    write('other/handler.ts', "throw new Error('broken at load');\nexport const handler = async () => 'never';\n");
    await until(() => errors.length === 4);
    expect(errors[3]).toMatch(/other did not load.*broken at load/);
    expect(await other.invoke({})).toBe('other');
  });

  test("an editor's save by rename (sed -i, vim, JetBrains) reloads every time, and new folders are watched", async () => {
    // the file is replaced by another one (a new inode): a watch on the old file would see nothing more
    const saveByRename = (file: string, text: string) => {
      const swap = path.join(path.dirname(file), `.${path.basename(file)}.swp`);
      write(swap, text);
      renameSync(path.join(dir, swap), path.join(dir, file));
    };
    let before = reloads.length;
    saveByRename('message.ts', "export const message = 'six';\n");
    await until(() => reloads.length === before + 1);
    expect(await lambda.invoke({})).toBe('six');
    before = reloads.length;
    saveByRename('message.ts', "export const message = 'seven';\n");
    await until(() => reloads.length === before + 1);
    expect(await lambda.invoke({})).toBe('seven');
    before = reloads.length;
    write('message.ts', "export const message = 'eight';\n");
    await until(() => reloads.length === before + 1);
    expect(await lambda.invoke({})).toBe('eight');
    // a folder that appears (git checkout, a rename) is watched too: a file in it imported later reloads
    mkdirSync(path.join(dir, 'shared'));
    write('shared/word.ts', "export const word = 'nine';\n");
    before = reloads.length;
    write('hello/handler.ts', "import { word } from '../shared/word';\nexport const handler = async () => word;\n");
    await until(() => reloads.length === before + 1);
    expect(await lambda.invoke({})).toBe('nine');
    await watcher.settled();
    before = reloads.length;
    saveByRename('shared/word.ts', "export const word = 'ten';\n");
    await until(() => reloads.length === before + 1);
    expect(await lambda.invoke({})).toBe('ten');
  });

  test('a function not called yet is not reloaded: its first call loads the new code', async () => {
    const fresh = new LocalLambda({ ...fn('other'), logicalId: 'FreshFunction' }, {});
    const freshWatcher = await LambdaWatcher.start({
      lambdas: [fresh],
      roots: [dir],
      debounceMs: 50,
      onReload: (report) => reloads.push(report),
    });
    try {
      const before = reloads.length;
      write('other/handler.ts', "export const handler = async () => 'fresh';\n");
      await until(() => reloads.length > before && reloads.some((r) => r.notStarted.includes('other')));
      expect(fresh.reloads).toBe(0);
      expect(await fresh.invoke({})).toBe('fresh');
    } finally {
      freshWatcher.close();
      await fresh.stop();
    }
  });

  test('one line per reload', () => {
    expect(describeReload({ functions: ['webhook', 'cart'], notStarted: ['email'], files: ['lambdas/domain/keys.ts'], ms: 1234 })).toBe(
      'reloaded webhook, cart in 1.2 s; email: not called yet, new code on its first call (lambdas/domain/keys.ts)',
    );
  });

  test('function labels are the handler folders', () => {
    expect(functionLabel({ entry: 'lambdas/webhook/handler.ts', logicalId: 'X' })).toBe('webhook');
    expect(functionLabel({ entry: 'lambdas/reconciler/run.ts', logicalId: 'X' })).toBe('reconciler/run');
    // the fulfilment service's second function, in the fulfilment folder
    expect(functionLabel({ entry: 'lambdas/fulfilment/printify-handler.ts', logicalId: 'X' })).toBe('printify');
  });
});
