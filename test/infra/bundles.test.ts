import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { gzipSync } from 'node:zlib';
import { App } from 'aws-cdk-lib';
import { projectContext } from '../../lib/config/cdk-context';
import { Template } from 'aws-cdk-lib/assertions';
import { build, type Metafile } from 'esbuild';
import { BUNDLING, PROJECT_ROOT } from '../../lib/constructs/pipeline-function';
import { OtakumoriStack } from '../../lib/otakumori-stack';
import { deployedBuildOptions } from '../../scripts/bench/bundles';
import { TEST_STACK_PROPS } from '../fixtures/stack-props';

/** CloudFormation JSON is untyped. */
type Json = any;

const KB = 1024;
let functions: { logicalId: string; entry: string; environment: Record<string, Json>; handler: string }[];

beforeAll(() => {
  const app = new App({ context: { ...projectContext(), 'aws:cdk:bundling-stacks': [] } });
  const template = Template.fromStack(new OtakumoriStack(app, 'Test', TEST_STACK_PROPS));
  functions = Object.entries(template.findResources('AWS::Lambda::Function'))
    .filter(([, r]: [string, Json]) => r.Metadata?.['otakumori:entry'])
    .map(([logicalId, r]: [string, Json]) => ({
      logicalId,
      entry: r.Metadata['otakumori:entry'],
      environment: r.Properties.Environment.Variables,
      handler: r.Properties.Handler,
    }));
});

describe('bundling for a fast cold start', () => {
  it('is ES modules with module-first main fields and a require for the CommonJS dependencies', () => {
    expect(BUNDLING).toMatchObject({ format: 'esm', mainFields: ['module', 'main'], minify: true, sourceMap: true, externalModules: [] });
    expect(BUNDLING.banner).toMatch(/createRequire.*import\.meta\.url/);
  });

  it('ships source maps but never loads them at run time (no --enable-source-maps)', () => {
    expect(functions).toHaveLength(8);
    for (const fn of functions) {
      expect({ fn: fn.logicalId, nodeOptions: String(fn.environment.NODE_OPTIONS ?? '') }).toEqual({
        fn: fn.logicalId,
        nodeOptions: expect.not.stringContaining('enable-source-maps'),
      });
      expect(fn.handler).toBe('index.handler');
    }
  });
});

describe('the bundles as deployed (esbuild with the same options)', () => {
  const outDir = mkdtempSync(path.join(tmpdir(), 'otakumori-bundle-test-'));
  const built: Record<string, { bytes: number; gzipped: number; inputs: string[]; file: string }> = {};
  beforeAll(async () => {
    for (const fn of functions) {
      const file = path.join(outDir, fn.logicalId, 'index.mjs');
      const result = await build({
        entryPoints: [path.join(PROJECT_ROOT, fn.entry)],
        outfile: file,
        bundle: true,
        platform: 'node',
        logLevel: 'silent',
        metafile: true,
        ...deployedBuildOptions(),
      });
      const code = readFileSync(file);
      // the sources that put code into the bundle (tree-shaken ones are listed with 0 bytes)
      const output = Object.values((result.metafile as Metafile).outputs).find((o) => o.entryPoint)!;
      const inputs = Object.entries(output.inputs)
        .filter(([, i]) => i.bytesInOutput > 0)
        .map(([name]) => name);
      built[fn.entry] = { bytes: code.length, gzipped: gzipSync(code).length, inputs, file };
    }
  }, 120_000);
  afterAll(() => rmSync(outDir, { recursive: true, force: true }));

  it('are each at most 700 KB', () => {
    for (const [entry, b] of Object.entries(built))
      expect({ entry, kb: Math.round(b.bytes / KB), fits: b.bytes <= 700 * KB }).toEqual({
        entry,
        kb: Math.round(b.bytes / KB),
        fits: true,
      });
  });

  it("keep the webhook's at most 250 KB gzipped, without the Stripe client, zod's locales or other functions' code", () => {
    const webhook = built['lambdas/webhook/handler.ts']!;
    expect(webhook.gzipped).toBeLessThanOrEqual(250 * KB);
    expect(webhook.inputs.filter((i) => /node_modules\/stripe\/|zod\/v4\/locales\/(?!en)/.test(i))).toEqual([]);
    expect(webhook.inputs.filter((i) => /^lambdas\/(fulfilment|petals|email|cart|printify-webhook)\//.test(i))).toEqual([]);
  });

  it('load as ES modules in a fresh Node.js process, with their own configuration', () => {
    for (const fn of functions) {
      const env = { ...fn.environment, AWS_REGION: 'us-east-1', POWERTOOLS_LOG_LEVEL: 'SILENT', PATH: process.env.PATH ?? '' };
      const out = execFileSync(
        process.execPath,
        ['-e', 'import(process.argv[1]).then((m) => process.stdout.write(typeof m.handler))', pathToFileURL(built[fn.entry]!.file).href],
        {
          env: Object.fromEntries(
            Object.entries(env).map(([k, v]) => [k, typeof v === 'string' ? v : 'arn:aws:states:us-east-1:000000000000:stateMachine:x']),
          ),
          encoding: 'utf8',
          timeout: 60_000,
        },
      );
      expect({ fn: fn.logicalId, handler: out }).toEqual({ fn: fn.logicalId, handler: 'function' });
    }
  });
});
