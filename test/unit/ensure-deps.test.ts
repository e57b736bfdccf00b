import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// scripts/ensure-deps.cjs (prestart, pretest …) installs only when node_modules is not what the
// lock pins: a plain `npm ci` counts as installed (no second install on the first `npm start`).
describe('ensure-deps', () => {
  let root: string;
  const run = () => {
    const bin = join(root, 'bin');
    return spawnSync(process.execPath, [join(root, 'scripts', 'ensure-deps.cjs')], {
      encoding: 'utf8',
      env: { ...process.env, PATH: `${bin}:${process.env.PATH}` },
    });
  };
  const install = (name: string, version: string) => {
    mkdirSync(join(root, 'node_modules', name), { recursive: true });
    writeFileSync(join(root, 'node_modules', name, 'package.json'), JSON.stringify({ name, version }));
  };

  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'ensure-deps-'));
    mkdirSync(join(root, 'scripts'));
    copyFileSync(join(__dirname, '..', '..', 'scripts', 'ensure-deps.cjs'), join(root, 'scripts', 'ensure-deps.cjs'));
    writeFileSync(join(root, 'package.json'), JSON.stringify({ dependencies: { a: '^1.0.0' }, devDependencies: { b: '^2.0.0' } }));
    writeFileSync(
      join(root, 'package-lock.json'),
      JSON.stringify({ packages: { '': {}, 'node_modules/a': { version: '1.2.0' }, 'node_modules/b': { version: '2.0.1' } } }),
    );
    // a stand-in for npm that records how it was called
    mkdirSync(join(root, 'bin'));
    writeFileSync(join(root, 'bin', 'npm'), `#!/bin/sh\necho "$@" > "${join(root, 'npm-called')}"\n`);
    chmodSync(join(root, 'bin', 'npm'), 0o755);
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('does not install when every direct dependency is at the version the lock pins', () => {
    install('a', '1.2.0');
    install('b', '2.0.1');
    const result = run();
    expect(result.status).toBe(0);
    expect(result.stdout).toBe('');
    expect(existsSync(join(root, 'npm-called'))).toBe(false);
  });

  it('runs npm ci on a fresh clone (no node_modules)', () => {
    const result = run();
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/Installing dependencies \(npm ci\): a, b not as package-lock.json pins/);
    expect(readFileSync(join(root, 'npm-called'), 'utf8').trim()).toBe('ci --no-audit --no-fund');
  });

  it('runs npm ci when the lock pins another version than the installed one (a pull changed it)', () => {
    install('a', '1.2.0');
    install('b', '2.0.0');
    run();
    expect(existsSync(join(root, 'npm-called'))).toBe(true);
  });
});
