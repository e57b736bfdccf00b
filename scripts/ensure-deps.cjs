#!/usr/bin/env node
// Runs before `npm start` and `npm test`: installs dependencies on a fresh clone, and again when
// what is installed is not what package-lock.json pins. Node built-ins only (nothing is installed yet).
//
// "Installed" is read from node_modules itself, not from a stamp of our own: every direct
// dependency of package.json must be present at the version the lock pins. So a plain `npm ci`
// (the README's first step) or `npm install` counts, and a lock changed by a pull does not.
'use strict';
const { existsSync, readFileSync } = require('node:fs');
const { join } = require('node:path');
const { spawnSync } = require('node:child_process');

const root = join(__dirname, '..');
const readJson = (path) => JSON.parse(readFileSync(path, 'utf8'));

/** The direct dependencies whose installed version is not the lock's (empty when all match). */
function outOfDate() {
  const manifest = readJson(join(root, 'package.json'));
  const lock = readJson(join(root, 'package-lock.json'));
  const names = Object.keys({ ...manifest.dependencies, ...manifest.devDependencies });
  return names.filter((name) => {
    const pinned = lock.packages?.[`node_modules/${name}`]?.version;
    const installed = join(root, 'node_modules', name, 'package.json');
    return !pinned || !existsSync(installed) || readJson(installed).version !== pinned;
  });
}

const missing = outOfDate();
if (missing.length > 0) {
  const shown = missing.slice(0, 3).join(', ') + (missing.length > 3 ? ` and ${missing.length - 3} more` : '');
  console.log(`Installing dependencies (npm ci): ${shown} not as package-lock.json pins…`);
  const result = spawnSync('npm', ['ci', '--no-audit', '--no-fund'], { cwd: root, stdio: 'inherit' });
  if (result.status !== 0) process.exit(result.status ?? 1);
}
