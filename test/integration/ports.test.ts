import net from 'node:net';
import { freePort } from '../../local/dynamodb-local';
import { describePortConflicts, findPortConflicts, portHolder } from '../../local/ports';

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

  test('a port the start may take back (its own stale DynamoDB Local) is not a conflict', async () => {
    const conflicts = await findPortConflicts([{ env: 'DYNAMODB_PORT', port: busy, service: 'DynamoDB Local' }], () => true);
    expect(conflicts).toEqual([]);
  });

  test('the holder of a free port is unknown', async () => {
    expect(portHolder(await freePort())).toBeUndefined();
  });
});
