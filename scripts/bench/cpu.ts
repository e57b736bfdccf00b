import { readdirSync, readFileSync } from 'node:fs';

/**
 * CPU time (ms) used so far by every process of a process group (Linux /proc; undefined elsewhere):
 * DynamoDB Local's JVM leads its own group. `procRoot` is for tests (a folder shaped like /proc).
 */
export function processGroupCpuMs(pgid: number, procRoot = '/proc'): number | undefined {
  let total = 0;
  try {
    for (const entry of readdirSync(procRoot)) {
      if (!/^\d+$/.test(entry)) continue;
      let stat: string;
      try {
        stat = readFileSync(`${procRoot}/${entry}/stat`, 'utf8');
      } catch {
        continue; // the process ended meanwhile
      }
      // fields after "(comm) ": state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(fields[2]) !== pgid) continue;
      total += ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS_PER_SECOND;
    }
  } catch {
    return undefined;
  }
  return total;
}

/** USER_HZ, 100 on every Linux the bench runs on. */
const CLOCK_TICKS_PER_SECOND = 100;
