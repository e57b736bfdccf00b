/**
 * `npm start` checks every port it will bind before the synth, so that a port in use is said in a
 * second, not after it: which port, which variable moves it, and what holds it when /proc says.
 */
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import net from 'node:net';

export interface PortUse {
  /** the variable that sets it (PORT, DYNAMODB_PORT, …) */
  env: string;
  port: number;
  /** what `npm start` runs there */
  service: string;
}

export interface PortConflict extends PortUse {
  /** what holds the port ("pid 1234: node …"), when this machine says */
  holder?: string;
  /** the other variable given the same port */
  sameAs?: PortUse;
  /** the port is in use (by `holder`, when known), besides being given twice */
  inUse?: boolean;
}

/** True when nothing listens on `port` (bound as DynamoDB Local's Jetty binds: every interface). */
export function portIsFree(port: number): Promise<boolean> {
  return new Promise<boolean>((resolve) => {
    const server = net.createServer();
    server.unref();
    server.once('error', () => resolve(false));
    server.listen({ port, exclusive: true }, () => server.close(() => resolve(true)));
  });
}

/** The listening sockets' inodes on `port`, from /proc/net/tcp and tcp6 (state 0A: LISTEN). */
function listeningInodes(port: number): Set<string> {
  const inodes = new Set<string>();
  const hex = port.toString(16).toUpperCase().padStart(4, '0');
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text: string;
    try {
      text = readFileSync(table, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const columns = line.trim().split(/\s+/);
      if (columns.length < 10) continue;
      if (columns[1]!.endsWith(`:${hex}`) && columns[3] === '0A') inodes.add(columns[9]!);
    }
  }
  return inodes;
}

/** "pid 1234: java -jar DynamoDBLocal.jar …" for the process listening on `port`, when /proc tells (Linux, same user or root). */
export function portHolder(port: number): string | undefined {
  const inodes = listeningInodes(port);
  if (inodes.size === 0) return undefined;
  let pids: string[];
  try {
    pids = readdirSync('/proc').filter((e) => /^\d+$/.test(e));
  } catch {
    return undefined;
  }
  for (const pid of pids) {
    let fds: string[];
    try {
      fds = readdirSync(`/proc/${pid}/fd`);
    } catch {
      continue;
    }
    for (const fd of fds) {
      let link: string;
      try {
        link = readlinkSync(`/proc/${pid}/fd/${fd}`);
      } catch {
        continue;
      }
      const inode = /^socket:\[(\d+)\]$/.exec(link)?.[1];
      if (inode && inodes.has(inode)) {
        let command = '';
        try {
          command = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').replace(/\s+/g, ' ').trim();
        } catch {
          // ended while we looked
        }
        return `pid ${pid}${command ? `: ${command.length > 100 ? `${command.slice(0, 99)}…` : command}` : ''}`;
      }
    }
  }
  return undefined;
}

/**
 * The ports of `uses` that cannot be bound: in use by another process, or given to two services.
 * Port 0 (any free port) is never a conflict. `reclaimable(port)` says a port held by what this
 * start may take back (a DynamoDB Local a killed `npm start` left behind: see its pidFile).
 */
export async function findPortConflicts(
  uses: PortUse[],
  reclaimable: (use: PortUse) => boolean | Promise<boolean> = () => false,
): Promise<PortConflict[]> {
  const conflicts: PortConflict[] = [];
  const seen = new Map<number, PortUse>();
  for (const use of uses) {
    if (use.port === 0) continue;
    const other = seen.get(use.port);
    if (other) conflicts.push({ ...use, sameAs: other });
    else seen.set(use.port, use);
  }
  const free = await Promise.all([...seen.values()].map((use) => portIsFree(use.port)));
  for (const [i, use] of [...seen.values()].entries()) {
    if (free[i] || (await reclaimable(use))) continue;
    const holder = portHolder(use.port);
    // a port given twice and in use is one line, not two
    const twice = conflicts.find((c) => c.sameAs && c.port === use.port);
    if (twice) Object.assign(twice, { inUse: true, ...(holder ? { holder } : {}) });
    else conflicts.push({ ...use, ...(holder ? { holder } : {}) });
  }
  return conflicts;
}

/** One line per conflict, for the terminal. */
export function describePortConflicts(conflicts: PortConflict[]): string {
  return conflicts
    .map((c) =>
      c.sameAs
        ? c.inUse
          ? `port ${c.port} is given to both ${c.sameAs.env} (${c.sameAs.service}) and ${c.env} (${c.service}), and is in use${c.holder ? ` by ${c.holder}` : ''}: set both to other ports`
          : `port ${c.port} is given to both ${c.sameAs.env} (${c.sameAs.service}) and ${c.env} (${c.service}): set ${c.env} to another port`
        : `port ${c.port} (${c.service}) is in use${c.holder ? ` by ${c.holder}` : ''}: set ${c.env} to another port (e.g. ${c.env}=${c.port + 100} npm start)`,
    )
    .join('\n');
}

/** True when the process that started the watchdog `pid` (its parent, not init) still runs. */
function startOfWatchdogRuns(pid: number): boolean {
  let parent: number;
  try {
    // /proc/<pid>/stat: "pid (comm) state ppid …"; comm may hold spaces, so parse after ")"
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    parent = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
  } catch {
    return false; // the watchdog is gone: its JVM was left behind
  }
  if (!Number.isInteger(parent) || parent <= 1) return false;
  try {
    process.kill(parent, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** True when `pidFile` names a DynamoDB Local of ours still running on `port` (startDynamoDbLocal takes it back). */
export async function heldByOurDynamoDbLocal(pidFile: string | undefined, port: number): Promise<boolean> {
  if (!pidFile) return false;
  try {
    const { pid, port: recorded } = JSON.parse(readFileSync(pidFile, 'utf8')) as { pid?: unknown; port?: unknown };
    if (typeof pid !== 'number' || recorded !== port) return false;
    // loaded only here: the check must not wait for the AWS SDK
    const { dynamoDbLocalGroupMembers } = await import('./dynamodb-local');
    if (dynamoDbLocalGroupMembers(pid, port).length === 0) return false;
    // the pid is its watchdog's, which stops it when the start that ran it ends: while that start
    // runs (another `npm start` on the same data folder), the port is in use, not to take back
    return !startOfWatchdogRuns(pid);
  } catch {
    return false;
  }
}
