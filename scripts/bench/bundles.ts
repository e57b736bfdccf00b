/**
 * Each Lambda bundled as NodejsFunction bundles it (lib/constructs/pipeline-function.ts BUNDLING:
 * esbuild, ES module, mainFields module/main, minified, source map, target node24, nothing
 * external), then loaded in fresh Node.js processes to time its cold-start import (the module's top
 * level: SDK clients, config, logger) in wall time and in CPU time.
 *
 * Side by side in the same run, the same functions as they were bundled before the cold-start work
 * (BASELINE: that commit's sources from git, CommonJS, source maps loaded with
 * --enable-source-maps as its template set), so that the two are measured on the same machine
 * under the same load.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { gzipSync } from 'node:zlib';
import { build, type BuildOptions } from 'esbuild';
import { BUNDLING, PROJECT_ROOT } from '../../lib/constructs/pipeline-function';
import type { LocalFunction } from '../../local/stack-template';
import { percentile } from './stats';

/** The last commit before the cold-start work (issue 14): its sources and bundling are "before". */
export const BASELINE = { ref: '47a20bf', label: 'before (47a20bf: CJS, namespace zod, stripe client, --enable-source-maps)' };

export interface ImportFigures {
  /** wall time of the import, ms */
  wallMs: { p50: number; max: number };
  /** CPU (user + system) the process spent on the import, ms */
  cpuMs: { p50: number; max: number };
  runs: number;
}

export interface BundleVariantFigures {
  /** the minified bundle (what runs), bytes */
  bytes: number;
  /** gzip of the bundle alone, bytes */
  gzippedBytes: number;
  /** its source map, shipped beside it, bytes */
  mapBytes: number;
  /** gzip of bundle + map: close to the deployment package's zipped size, bytes */
  zippedBytes: number;
  /** NODE_OPTIONS the import ran with (the template's) */
  nodeOptions: string;
  import: ImportFigures;
}

export interface BundleFigures {
  function: string;
  entry: string;
  /** as deployed now */
  now: BundleVariantFigures;
  /** as before the cold-start work, measured in the same run; absent when git cannot give BASELINE.ref */
  before?: BundleVariantFigures;
}

const IMPORT_PROBE = `
const cpu = process.cpuUsage();
const start = process.hrtime.bigint();
import(process.argv[1]).then(() => {
  const wall = Number(process.hrtime.bigint() - start) / 1e6;
  const used = process.cpuUsage(cpu);
  process.stdout.write(JSON.stringify({ wall, cpu: (used.user + used.system) / 1000 }));
});
`;

function timeImport(file: string, env: Record<string, string>, runs: number): ImportFigures {
  const wall: number[] = [];
  const cpu: number[] = [];
  for (let i = 0; i < runs; i++) {
    const out = execFileSync(process.execPath, ['-e', IMPORT_PROBE, pathToFileURL(file).href], { env, encoding: 'utf8', timeout: 60_000 });
    const figures = JSON.parse(out) as { wall: number; cpu: number };
    wall.push(figures.wall);
    cpu.push(figures.cpu);
  }
  return {
    wallMs: { p50: percentile(wall, 50), max: Math.max(...wall) },
    cpuMs: { p50: percentile(cpu, 50), max: Math.max(...cpu) },
    runs,
  };
}

/** esbuild options equal to what NodejsFunction passes for BUNDLING (format, mainFields, banner, minify, source map, target). */
export function deployedBuildOptions(): BuildOptions {
  return {
    format: 'esm',
    mainFields: [...BUNDLING.mainFields],
    banner: { js: BUNDLING.banner },
    minify: BUNDLING.minify,
    sourcemap: BUNDLING.sourceMap,
    target: BUNDLING.target,
    external: [...BUNDLING.externalModules],
  };
}

/** The baseline's sources (lambdas/ at BASELINE.ref) in a folder under the project, so that they resolve its node_modules. */
function checkoutBaseline(): string | undefined {
  const dir = path.join(PROJECT_ROOT, '.bench-baseline');
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  try {
    const archive = execFileSync('git', ['archive', '--format=tar', BASELINE.ref, 'lambdas'], {
      cwd: PROJECT_ROOT,
      maxBuffer: 64 * 1024 * 1024,
    });
    execFileSync('tar', ['-x', '-C', dir], { input: archive });
    return dir;
  } catch {
    rmSync(dir, { recursive: true, force: true });
    return undefined;
  }
}

async function measure(
  entry: string,
  outfile: string,
  options: BuildOptions,
  env: Record<string, string>,
  nodeOptions: string,
  runs: number,
): Promise<BundleVariantFigures> {
  await build({ entryPoints: [entry], outfile, bundle: true, platform: 'node', logLevel: 'silent', ...options });
  const bytes = statSync(outfile).size;
  const mapBytes = statSync(`${outfile}.map`).size;
  const code = readFileSync(outfile);
  return {
    bytes,
    gzippedBytes: gzipSync(code).length,
    mapBytes,
    zippedBytes: gzipSync(Buffer.concat([code, readFileSync(`${outfile}.map`)])).length,
    nodeOptions,
    import: timeImport(outfile, { ...env, NODE_OPTIONS: nodeOptions }, runs),
  };
}

/**
 * Bundles and times each function now and, unless `baseline` is false, as it was at BASELINE.ref,
 * alternating the two per function so that both see the same load. `runs` imports each.
 */
export async function measureBundles(functions: LocalFunction[], runs = 5, baseline = true): Promise<BundleFigures[]> {
  const outDir = mkdtempSync(path.join(tmpdir(), 'otakumori-bundles-'));
  const baselineDir = baseline ? checkoutBaseline() : undefined;
  try {
    const figures: BundleFigures[] = [];
    for (const fn of functions) {
      // the function's own environment, as in AWS (config is read at import); no endpoints needed
      const env: Record<string, string> = {
        ...fn.environment,
        AWS_REGION: 'us-east-1',
        AWS_LAMBDA_FUNCTION_NAME: fn.logicalId,
        AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
        ...(process.env.PATH ? { PATH: process.env.PATH } : {}),
      };
      const now = await measure(
        path.join(PROJECT_ROOT, fn.entry),
        path.join(outDir, 'now', fn.logicalId, 'index.mjs'),
        deployedBuildOptions(),
        env,
        fn.environment.NODE_OPTIONS ?? '',
        runs,
      );
      const baselineEntry = baselineDir ? path.join(baselineDir, fn.entry) : undefined;
      // the baseline's handler may read settings another function holds now (the fulfilment
      // function's Printify settings moved to PrintifyFunction): every function's, its own winning
      const baselineEnv: Record<string, string> = { ...Object.assign({}, ...functions.map((f) => f.environment)), ...env };
      const before =
        baselineEntry && existsSync(baselineEntry)
          ? await measure(
              baselineEntry,
              path.join(outDir, 'before', fn.logicalId, 'index.js'),
              { format: 'cjs', minify: true, sourcemap: true, target: 'node24', external: [] },
              baselineEnv,
              '--enable-source-maps',
              runs,
            )
          : undefined;
      figures.push({ function: fn.logicalId, entry: fn.entry, now, ...(before ? { before } : {}) });
    }
    return figures;
  } finally {
    rmSync(outDir, { recursive: true, force: true });
    if (baselineDir) rmSync(baselineDir, { recursive: true, force: true });
  }
}
