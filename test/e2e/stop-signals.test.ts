import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { PROJECT_ROOT } from '../../lib/constructs/pipeline-function';
import { freePort } from '../../local/dynamodb-local';
import { portIsFree } from '../../local/ports';

/**
 * SIGTERM to `npm start`'s process group: npm exits at once, so local/main.ts stops at once too
 * (no drain holding the ports with nobody left waiting); Ctrl-C (SIGINT) is the one that drains.
 */
describe('npm start and SIGTERM', () => {
  test('SIGTERM stops at once (exit 143) and frees the ports', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'sigterm-'));
    const names = ['PORT', 'DYNAMODB_PORT', 'SES_PORT', 'SFN_PORT', 'PRINTIFY_PORT', 'STRIPE_API_PORT'];
    const ports: Record<string, string> = {};
    for (const name of names) ports[name] = String(await freePort());
    const child = spawn(process.execPath, ['--import', 'tsx', 'local/main.ts', '--in-memory', '--no-watch'], {
      cwd: PROJECT_ROOT,
      env: { ...process.env, ...ports, LOCAL_DATA_DIR: dir, LOG_LEVEL: 'SILENT', DRAIN_SECONDS: '30' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    for (const stream of [child.stdout, child.stderr]) stream.on('data', (c: Buffer) => (output += c.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    try {
      const deadline = Date.now() + 100_000;
      while (
        !(await fetch(`http://127.0.0.1:${ports.PORT}/health`).then(
          (r) => r.ok,
          () => false,
        ))
      ) {
        if (Date.now() > deadline || child.exitCode !== null) throw new Error(`npm start did not come up:\n${output}`);
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
      const signalled = Date.now();
      child.kill('SIGTERM');
      expect(await exited).toBe(143);
      expect(Date.now() - signalled).toBeLessThan(10_000);
      expect(output).toContain('SIGTERM: stopping now');
      for (const name of names) expect({ name, free: await portIsFree(Number(ports[name])) }).toEqual({ name, free: true });
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    }
  }, 150_000);
});
