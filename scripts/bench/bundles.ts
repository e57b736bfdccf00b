/**
 * Each Lambda bundled as NodejsFunction bundles it (lib/constructs/pipeline-function.ts: esbuild,
 * CJS, minified, source maps, target node24, nothing external), then loaded in fresh Node.js
 * processes to time its cold-start import (the module's top level: SDK clients, config, logger).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';
import { PROJECT_ROOT } from '../../lib/constructs/pipeline-function';
import type { LocalFunction } from '../../local/stack-template';
import { percentile } from './stats';

export interface BundleFigures {
  function: string;
  entry: string;
  /** the minified bundle (what runs) */
  bytes: number;
  /** its source map, shipped beside it */
  mapBytes: number;
  /** gzip of bundle + map: close to the deployment package's zipped size */
  zippedBytes: number;
  /** median and worst time to require() the bundle in a fresh process, with the template's NODE_OPTIONS (source maps on) */
  importMs: { p50: number; max: number; runs: number };
  /** the same without --enable-source-maps */
  importMsWithoutSourceMaps: { p50: number; max: number };
}

const IMPORT_PROBE = `
const start = process.hrtime.bigint();
require(process.argv[1]);
process.stdout.write(String(Number(process.hrtime.bigint() - start) / 1e6));
`;

function timeImport(file: string, env: Record<string, string>, runs: number): number[] {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const out = execFileSync(process.execPath, ['-e', IMPORT_PROBE, file], { env, encoding: 'utf8', timeout: 60_000 });
    times.push(Number(out));
  }
  return times;
}

export async function measureBundles(functions: LocalFunction[], runs = 5): Promise<BundleFigures[]> {
  const outDir = mkdtempSync(path.join(tmpdir(), 'otakumori-bundles-'));
  try {
    const figures: BundleFigures[] = [];
    for (const fn of functions) {
      const outfile = path.join(outDir, fn.logicalId, 'index.js');
      await build({
        entryPoints: [path.join(PROJECT_ROOT, fn.entry)],
        outfile,
        bundle: true,
        platform: 'node',
        format: 'cjs',
        target: 'node24',
        minify: true,
        sourcemap: true,
        external: [],
        logLevel: 'silent',
      });
      const bytes = statSync(outfile).size;
      const mapBytes = statSync(`${outfile}.map`).size;
      const zippedBytes = gzipSync(Buffer.concat([readFileSync(outfile), readFileSync(`${outfile}.map`)])).length;
      // the function's own environment, as in AWS (config is read at import); no endpoints needed
      const env: Record<string, string> = {
        ...fn.environment,
        AWS_REGION: 'us-east-1',
        AWS_LAMBDA_FUNCTION_NAME: fn.logicalId,
        AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
        ...(process.env.PATH ? { PATH: process.env.PATH } : {}),
      };
      const withMaps = timeImport(outfile, env, runs);
      const withoutMaps = timeImport(outfile, { ...env, NODE_OPTIONS: '' }, runs);
      figures.push({
        function: fn.logicalId,
        entry: fn.entry,
        bytes,
        mapBytes,
        zippedBytes,
        importMs: { p50: percentile(withMaps, 50), max: Math.max(...withMaps), runs },
        importMsWithoutSourceMaps: { p50: percentile(withoutMaps, 50), max: Math.max(...withoutMaps) },
      });
    }
    return figures;
  } finally {
    rmSync(outDir, { recursive: true, force: true });
  }
}
