import * as path from 'node:path';
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { Architecture, type CfnFunction, Runtime, Tracing } from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat, type NodejsFunctionProps } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { METRICS_NAMESPACE, STAGE_ENV } from '../../lambdas/shared/metric-names';

export const PROJECT_ROOT = path.resolve(__dirname, '..', '..');

/** Template metadata key naming a function's handler source; the local runtime runs that file. */
export const ENTRY_METADATA_KEY = 'otakumori:entry';

export interface PipelineFunctionProps extends Omit<NodejsFunctionProps, 'entry'> {
  /** handler file relative to the project root, e.g. lambdas/webhook/handler.ts */
  readonly entry: string;
  /** the stage (`staging`, `production`, `local`): env STAGE, the `stage` dimension of its metrics */
  readonly stage: string;
}

/**
 * How every function is bundled (esbuild through NodejsFunction), for a fast cold start:
 * - ES module output with `mainFields: ['module', 'main']`, so that packages that ship ES modules
 *   (the AWS SDK, Powertools) are tree-shaken; the banner gives the CommonJS dependencies bundled
 *   inside (aws-xray-sdk-core, …) the `require` they call for Node.js built-ins
 *   (https://esbuild.github.io/api/#main-fields, https://github.com/evanw/esbuild/issues/1921);
 * - minified, target Node.js 24, nothing external: the AWS SDK is bundled (measured faster than
 *   the runtime's copy on both Node.js 20 and 24, and identical between the tests and the cloud);
 * - a source map shipped beside the bundle for decoding stack traces offline, but not loaded at
 *   run time: NODE_OPTIONS has no --enable-source-maps (it cost ~300 ms of CPU on a container's
 *   first error).
 * scripts/bench/bundles.ts builds with these same options.
 */
export const BUNDLING = {
  format: OutputFormat.ESM,
  mainFields: ['module', 'main'],
  banner: "import{createRequire as __otakumoriCreateRequire}from'node:module';const require=__otakumoriCreateRequire(import.meta.url);",
  minify: true,
  sourceMap: true,
  target: 'node24',
  externalModules: [] as string[],
} as const;

/**
 * A Lambda of this pipeline: Node.js 24 on Graviton, JSON logs with retention, X-Ray active tracing,
 * Powertools metrics in the pipeline's namespace, bundled by esbuild as BUNDLING says.
 *
 * Defaults (each overridable through the props of NodejsFunction): memorySize 512 MB, timeout 30 s,
 * handler `handler`, one month of log retention (the log group is destroyed with the stack),
 * bundling BUNDLING.
 */
export class PipelineFunction extends NodejsFunction {
  /** POWERTOOLS_SERVICE_NAME: the `service` dimension of the function's metrics */
  readonly serviceName: string;
  /** STAGE: the `stage` dimension of the function's metrics */
  readonly stage: string;

  constructor(scope: Construct, id: string, props: PipelineFunctionProps) {
    const logGroup = new LogGroup(scope, `${id}Logs`, {
      retention: RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    super(scope, id, {
      runtime: Runtime.NODEJS_24_X,
      architecture: Architecture.ARM_64,
      memorySize: 512,
      timeout: Duration.seconds(30),
      tracing: Tracing.ACTIVE,
      logGroup,
      handler: 'handler',
      ...props,
      entry: path.join(PROJECT_ROOT, props.entry),
      projectRoot: PROJECT_ROOT,
      depsLockFilePath: path.join(PROJECT_ROOT, 'package-lock.json'),
      environment: {
        POWERTOOLS_SERVICE_NAME: id,
        POWERTOOLS_LOG_LEVEL: 'INFO',
        POWERTOOLS_METRICS_NAMESPACE: METRICS_NAMESPACE,
        [STAGE_ENV]: props.stage,
        ...props.environment,
      },
      bundling: {
        ...BUNDLING,
        mainFields: [...BUNDLING.mainFields],
        externalModules: [...BUNDLING.externalModules],
        ...props.bundling,
      },
    });
    this.serviceName = props.environment?.POWERTOOLS_SERVICE_NAME ?? id;
    this.stage = props.stage;
    (this.node.defaultChild as CfnFunction).addMetadata(ENTRY_METADATA_KEY, props.entry);
  }
}
