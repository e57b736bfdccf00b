#!/usr/bin/env node
// Runs before `npm start` and `npm test`: installs dependencies on a fresh clone, and again when
// package-lock.json has changed since the last install. Node built-ins only (nothing is installed yet).
'use strict';
const { createHash } = require('node:crypto');
const { existsSync, readFileSync, writeFileSync } = require('node:fs');
const { join } = require('node:path');
const { spawnSync } = require('node:child_process');

const root = join(__dirname, '..');
const lock = join(root, 'package-lock.json');
const stamp = join(root, 'node_modules', '.otakumori-lock-hash');
const hash = createHash('sha256').update(readFileSync(lock)).digest('hex');
const installed = existsSync(stamp) && readFileSync(stamp, 'utf8') === hash && existsSync(join(root, 'node_modules', '.bin', 'tsx'));
if (!installed) {
  console.log('Installing dependencies (npm ci)…');
  const result = spawnSync('npm', ['ci', '--no-audit', '--no-fund'], { cwd: root, stdio: 'inherit' });
  if (result.status !== 0) process.exit(result.status ?? 1);
  writeFileSync(stamp, hash);
}
