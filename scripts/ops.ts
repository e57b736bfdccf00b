#!/usr/bin/env tsx
// npm run ops -- <command>: see every order's path, and fix what failed, against the local stack of
// `npm start` or a deployed one. `npm run ops -- --help` lists the commands.
import { runOps } from './ops/cli';

runOps(process.argv.slice(2), {
  out: (text) => process.stdout.write(`${text}\n`),
  err: (text) => process.stderr.write(`${text}\n`),
}).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`error: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  },
);
