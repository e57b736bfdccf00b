import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { processGroupCpuMs } from '../../scripts/bench/cpu';

/**
 * The bench's process-group CPU reading, over a folder shaped like Linux's /proc (proc(5): the
 * fields after "(comm) " are state ppid pgrp session tty_nr tpgid flags minflt cminflt majflt
 * cmajflt utime stime, in clock ticks of 1/100 s). No wall-clock or real CPU is measured here.
 */
describe('bench: CPU of a process group', () => {
  let proc: string;
  const stat = (pid: number, comm: string, pgrp: number, utime: number, stime: number) => {
    mkdirSync(path.join(proc, String(pid)));
    writeFileSync(
      path.join(proc, String(pid), 'stat'),
      `${pid} (${comm}) S 1 ${pgrp} ${pgrp} 0 -1 4194560 10 0 0 0 ${utime} ${stime} 0 0 20 0 1 0\n`,
    );
  };

  beforeEach(() => {
    proc = mkdtempSync(path.join(tmpdir(), 'proc-'));
    stat(4242, 'java', 4242, 120, 30); // the group leader: 1.5 s
    stat(4243, 'java (worker) x', 4242, 7, 3); // a thread-like name with spaces and a parenthesis: 0.1 s
    stat(5000, 'node', 5000, 999, 999); // another group
    mkdirSync(path.join(proc, 'self')); // not a pid: skipped
    mkdirSync(path.join(proc, '6000')); // a process that ended between the listing and the read
  });
  afterEach(() => rmSync(proc, { recursive: true, force: true }));

  it('adds user and system time of every process in the group, in milliseconds', () => {
    expect(processGroupCpuMs(4242, proc)).toBe(1600);
  });

  it('is 0 for a group with no process, and undefined where there is no /proc', () => {
    expect(processGroupCpuMs(4244, proc)).toBe(0);
    expect(processGroupCpuMs(4242, path.join(proc, 'missing'))).toBeUndefined();
  });
});
