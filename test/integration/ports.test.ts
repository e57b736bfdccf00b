import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { freePort } from '../../local/dynamodb-local';
import { describePortConflicts, findPortConflicts, heldByOurDynamoDbLocal, portHolder } from '../../local/ports';

/** Issue 16.4: a port in use is said before the synth, with the variable that moves it. */
describe("npm start's port check", () => {
  let server: net.Server;
  let busy: number;
  beforeAll(async () => {
    server = net.createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    busy = (server.address() as net.AddressInfo).port;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  test('names the busy port, its variable and its holder; free ports and port 0 pass', async () => {
    const free = await freePort();
    const started = Date.now();
    const conflicts = await findPortConflicts([
      { env: 'PORT', port: free, service: 'HTTP API and console' },
      { env: 'SES_PORT', port: busy, service: 'local SES' },
      { env: 'SFN_PORT', port: 0, service: 'Step Functions API' },
    ]);
    expect(Date.now() - started).toBeLessThan(1000);
    expect(conflicts).toHaveLength(1);
    expect(conflicts[0]).toMatchObject({ env: 'SES_PORT', port: busy });
    const text = describePortConflicts(conflicts);
    expect(text).toContain(`port ${busy} (local SES) is in use`);
    expect(text).toContain('set SES_PORT to another port');
    if (process.platform === 'linux') expect(text).toContain(`pid ${process.pid}`);
  });

  test('one port given to two services is a conflict too', async () => {
    const port = await freePort();
    const conflicts = await findPortConflicts([
      { env: 'PORT', port, service: 'HTTP API and console' },
      { env: 'PRINTIFY_PORT', port, service: 'Printify stand-in' },
    ]);
    expect(describePortConflicts(conflicts)).toBe(
      `port ${port} is given to both PORT (HTTP API and console) and PRINTIFY_PORT (Printify stand-in): set PRINTIFY_PORT to another port`,
    );
  });

  test('a port given twice and in use is one line, naming both variables', async () => {
    const conflicts = await findPortConflicts([
      { env: 'DYNAMODB_PORT', port: busy, service: 'DynamoDB Local' },
      { env: 'SES_PORT', port: busy, service: 'local SES' },
    ]);
    const text = describePortConflicts(conflicts);
    expect(text.split('\n')).toHaveLength(1);
    expect(text).toContain(`port ${busy} is given to both DYNAMODB_PORT (DynamoDB Local) and SES_PORT (local SES), and is in use`);
  });

  test('a busy DYNAMODB_PORT is named', async () => {
    const conflicts = await findPortConflicts([
      { env: 'PORT', port: await freePort(), service: 'HTTP API and console' },
      { env: 'DYNAMODB_PORT', port: busy, service: 'DynamoDB Local' },
    ]);
    expect(describePortConflicts(conflicts)).toContain('set DYNAMODB_PORT to another port');
  });

  (process.platform === 'linux' ? test : test.skip)(
    "another running start's DynamoDB Local is in use, not taken back; one whose start is gone is",
    async () => {
      const dir = mkdtempSync(path.join(os.tmpdir(), 'ports-'));
      const pidFile = path.join(dir, 'dynamodb-local.pid');
      const port = await freePort();
      const fakeJvm = `exec node -e 'setTimeout(() => {}, 60000)' /x/DynamoDBLocal.jar -port ${port}`;
      const exited = (child: ChildProcess) => new Promise((resolve) => child.once('exit', resolve));
      const children: number[] = [];
      try {
        // as a running start's: its watchdog leads the group and its parent (this process) runs
        const running = spawn('sh', ['-c', `${fakeJvm} & wait`], { detached: true, stdio: 'ignore' });
        children.push(running.pid!);
        writeFileSync(pidFile, JSON.stringify({ pid: running.pid, port }));
        await new Promise((resolve) => setTimeout(resolve, 300));
        expect(await heldByOurDynamoDbLocal(pidFile, port)).toBe(false);
        // as one left behind: its watchdog is gone, the JVM still runs in its group
        const left = spawn('sh', ['-c', `${fakeJvm} & exit 0`], { detached: true, stdio: 'ignore' });
        children.push(left.pid!);
        await exited(left);
        writeFileSync(pidFile, JSON.stringify({ pid: left.pid, port }));
        await new Promise((resolve) => setTimeout(resolve, 300));
        expect(await heldByOurDynamoDbLocal(pidFile, port)).toBe(true);
      } finally {
        for (const pgid of children) {
          try {
            process.kill(-pgid, 'SIGKILL');
          } catch {
            // gone
          }
        }
        rmSync(dir, { recursive: true, force: true });
      }
    },
  );

  test('a port the start may take back (its own stale DynamoDB Local) is not a conflict', async () => {
    const conflicts = await findPortConflicts([{ env: 'DYNAMODB_PORT', port: busy, service: 'DynamoDB Local' }], () => true);
    expect(conflicts).toEqual([]);
  });

  test('the holder of a free port is unknown', async () => {
    expect(portHolder(await freePort())).toBeUndefined();
  });
});
