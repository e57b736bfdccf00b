/**
 * Runs DynamoDB Local's JVM and takes it down when the process that started it is gone.
 *
 * `java` has no "die with my parent" option, and a SIGKILL (or SIGHUP) of `npm start` runs no exit
 * handler: the JVM would be reparented to pid 1 and keep the port and the data. This watchdog
 * leads the JVM's process group and watches its parent in two ways: its stdin is a pipe from the
 * parent, which reaches EOF the moment the parent dies however it dies; and, should a pipe be
 * inherited elsewhere, it polls the parent's pid every 500 ms. Either way it stops the JVM
 * (SIGTERM, SIGKILL after 3 s) and exits.
 *
 * A SIGTERM of the whole group (DynamoDbLocalService.stop()) reaches the JVM too: the watchdog then
 * waits for the JVM to exit and exits with it, so its own exit means the JVM is gone.
 *
 * Usage: node dynamodb-watchdog.cjs <parent pid> <command> [args…]
 */
'use strict';
const { spawn } = require('node:child_process');

const parentPid = Number(process.argv[2]);
const [command, ...args] = process.argv.slice(3);
const child = spawn(command, args, { stdio: ['ignore', 'inherit', 'inherit'] });

let orphaned = false;
const parentGone = () => {
  if (orphaned) return;
  orphaned = true;
  child.kill('SIGTERM');
  setTimeout(() => child.kill('SIGKILL'), 3_000).unref();
};

child.on('error', (error) => {
  process.stderr.write(`watchdog: could not run ${command}: ${error.message}\n`);
  process.exit(127);
});
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));

// The group's SIGTERM is for the JVM; the watchdog follows it out once it has exited.
process.on('SIGTERM', () => undefined);
process.on('SIGINT', () => undefined);
process.on('SIGHUP', () => undefined);

process.stdin.on('end', parentGone);
process.stdin.on('close', parentGone);
process.stdin.on('error', parentGone);
process.stdin.resume();

const alive = (pid) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return error.code === 'EPERM';
  }
};
setInterval(() => {
  if (process.ppid !== parentPid || !alive(parentPid)) parentGone();
}, 500).unref();
