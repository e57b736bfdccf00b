import * as path from 'node:path';
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { Architecture, CfnFunction, Runtime, Tracing } from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat, type NodejsFunctionProps } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
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
 * A Lambda of this pipeline: Node.js 24 on Graviton, JSON logs with retention, X-Ray active tracing,
 * Powertools metrics in the pipeline's namespace, bundled by esbuild.
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
        NODE_OPTIONS: '--enable-source-maps',
        ...props.environment,
      },
      bundling: {
        format: OutputFormat.CJS,
        minify: true,
        sourceMap: true,
        target: 'node24',
        // the Node.js 24 runtime ships AWS SDK v3, but pinning our own keeps behaviour identical
        // between the tests and the cloud
        externalModules: [],
        ...props.bundling,
      },
    });
    this.serviceName = props.environment?.POWERTOOLS_SERVICE_NAME ?? id;
    this.stage = props.stage;
    (this.node.defaultChild as CfnFunction).addMetadata(ENTRY_METADATA_KEY, props.entry);
  }
}
