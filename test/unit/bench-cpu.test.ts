import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { processGroupCpuMs } from '../../scripts/bench/cpu';

describe('bench: CPU of a process group', () => {
  it('counts the CPU a detached process group has used (as DynamoDB Local\'s JVM)', async () => {
    // a group leader that spins for 400 ms of CPU, then waits to be measured
    const child = spawn(process.execPath, ['-e', 'const end = Date.now() + 400; while (Date.now() < end); setTimeout(() => {}, 10_000);'], {
      detached: true,
      stdio: 'ignore',
    });
    try {
      await new Promise((resolve) => setTimeout(resolve, 800));
      const used = processGroupCpuMs(child.pid!);
      expect(used).toBeGreaterThanOrEqual(300);
      expect(used).toBeLessThan(5_000);
      expect(processGroupCpuMs(2 ** 22 + 1)).toBe(0); // no such group
    } finally {
      process.kill(-child.pid!, 'SIGKILL');
      await once(child, 'exit');
    }
  });
});
