#!/usr/bin/env tsx
// npm run ops -- <command>: see every order's path, and fix what failed, against the local stack of
// `npm start` or a deployed stage (--stage). `npm run ops -- --help` lists the commands.
import { main } from './cli/framework';
import { OPS } from './ops/cli';

main(OPS);
