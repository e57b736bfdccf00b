// Where an operator or developer command acts: the local stack of `npm start` (default), or a
// deployed stage by name (`--stage staging`), whose stack name comes from lib/config/stages.ts and
// whose CloudFormation outputs name the table, the state machines and the Printify shop. Local
// endpoints follow `npm start`'s ports (env), and may be overridden (tests run their own stack).
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ListStateMachinesCommand, SFNClient } from '@aws-sdk/client-sfn';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { STAGE_NAMES, STAGES } from '../../lib/config/stages';
import { DYNAMODB_LOCAL_CREDENTIALS } from '../../local/dynamodb-local';
import { DEFAULTS } from '../../local/defaults';
import { LOCAL_REGION } from '../../local/stack-template';
import { OpsError, UsageError } from './errors';

export { OpsError, UsageError } from './errors';

export interface TargetOptions {
  /** a deployed stage (lib/config/stages.ts): its stack's outputs name the table and the state machines */
  stage?: string;
  region?: string;
  /** local overrides (defaults: the ports of `npm start`, from the environment) */
  sfnEndpoint?: string;
  dynamodbEndpoint?: string;
  table?: string;
}

export interface StateMachineRef {
  workflow: string;
  arn: string;
}

/** Printify as the target reaches it: its API, the shop, the token (or its secret), the webhooks' URL and secret. */
export interface PrintifySettings {
  baseUrl: string;
  shopId: string;
  token?: string;
  tokenSecretArn?: string;
  /** send a (re)created order to production (a stage's printifySendToProduction; locally true) */
  sendToProduction: boolean;
  /** where Printify's webhooks reach this pipeline, and their signing secret (or its secret's ARN) */
  webhookUrl?: string;
  webhookSecret?: string;
  webhookSecretArn?: string;
}

/** Where a command acts: the table and the workflows of the local stack or of a deployed stage. */
export interface Target {
  description: string;
  local: boolean;
  /** the deployed stage's name (undefined: local) */
  stage?: string;
  tableName: string;
  sfn: SFNClient;
  db: DynamoDBDocumentClient;
  /** the workflows (empty when resolved without them: `resolveTarget(…, { workflows: false })`) */
  stateMachines: StateMachineRef[];
  /** a deployed stack's outputs */
  outputs?: Record<string, string>;
  /** the Printify shop a deployed stack orders from (its PrintifyShopId output) */
  printifyShopId?: string;
  printify: PrintifySettings;
  /** where Stripe's webhook events are posted (local: the HTTP API of `npm start`; deployed: the StripeWebhookUrl output) */
  stripeWebhookUrl?: string;
  /** what they are signed with: the secret itself (local: $STRIPE_WEBHOOK_SECRET or the documented default), or its secret's ARN (deployed) */
  stripeWebhookSecret?: string;
  stripeWebhookSecretArn?: string;
  close(): void;
}

export const TARGET_HEADING = 'Target (default: the local stack of `npm start`):';

/** The target's flags, as the command framework declares them (commander's flag syntax). */
export const TARGET_OPTIONS = [
  {
    flags: '--stage <name>',
    description: `a deployed stage (lib/config/stages.ts): its stack's outputs name the table, the state machines and the Printify shop; AWS credentials from the environment`,
    choices: STAGE_NAMES,
  },
  { flags: '--region <region>', description: "the stage's AWS region (default: the stage's, or $AWS_REGION)" },
  {
    flags: '--sfn-endpoint <url>',
    description: `local Step Functions API (default http://127.0.0.1:$SFN_PORT, ${DEFAULTS.sfnPort})`,
  },
  {
    flags: '--dynamodb-endpoint <url>',
    description: `local DynamoDB (default $DYNAMODB_ENDPOINT, or port $DYNAMODB_PORT, ${DEFAULTS.dynamodbPort})`,
  },
  { flags: '--table <name>', description: `local table (default $TABLE_NAME, ${DEFAULTS.tableName})` },
] as const;

/** The target options of parsed flags (`--stage`, `--region`, `--sfn-endpoint`, `--dynamodb-endpoint`, `--table`). */
export function targetOptionsOf(flags: Record<string, string | boolean | undefined>): TargetOptions {
  const text = (name: string) => (typeof flags[name] === 'string' ? (flags[name] as string) : undefined);
  const options: TargetOptions = {};
  const set = <K extends keyof TargetOptions>(key: K, value: string | undefined) => {
    if (value !== undefined) options[key] = value;
  };
  set('stage', text('stage'));
  set('region', text('region'));
  set('sfnEndpoint', text('sfn-endpoint'));
  set('dynamodbEndpoint', text('dynamodb-endpoint'));
  set('table', text('table'));
  return options;
}

/** `WorkflowsFulfilmentC216901F` (a local logical id) or `FulfilmentStateMachineArn` (an output) -> fulfilment */
export function workflowName(id: string): string {
  const bare = id
    .replace(/StateMachineArn$/, '')
    .replace(/^Workflows/, '')
    .replace(/[0-9A-F]{8}$/, '');
  return bare ? bare[0]!.toLowerCase() + bare.slice(1) : id;
}

const unreachable = (what: string, url: string, error: unknown) =>
  new OpsError(
    `cannot reach ${what} at ${url} (${error instanceof Error ? error.message : String(error)}): is \`npm start\` running? (or pass --stage for a deployed stage)`,
  );

/** A stage's stack name and region, from lib/config/stages.ts. */
export function stageStack(stage: string): { stackName: string; region?: string } {
  const config = Object.hasOwn(STAGES, stage) ? STAGES[stage as keyof typeof STAGES] : undefined;
  if (!config?.stackName) throw new UsageError(`unknown stage ${stage}: one of ${STAGE_NAMES.join(', ')} (lib/config/stages.ts)`);
  return { stackName: config.stackName, ...(config.region ? { region: config.region } : {}) };
}

async function stackOutputs(stackName: string, config: { region?: string }): Promise<Record<string, string>> {
  const cfn = new CloudFormationClient(config);
  try {
    const { Stacks } = await cfn.send(new DescribeStacksCommand({ StackName: stackName }));
    return Object.fromEntries((Stacks?.[0]?.Outputs ?? []).map((o) => [o.OutputKey ?? '', o.OutputValue ?? '']));
  } catch (error) {
    throw new OpsError(`cannot read the outputs of stack ${stackName}: ${error instanceof Error ? error.message : String(error)}`);
  } finally {
    cfn.destroy();
  }
}

const sendToProductionOf = (env: NodeJS.ProcessEnv, otherwise: boolean) =>
  env.PRINTIFY_SEND_TO_PRODUCTION ? env.PRINTIFY_SEND_TO_PRODUCTION !== 'false' : otherwise;

async function stageTarget(stage: string, options: TargetOptions, env: NodeJS.ProcessEnv, workflows: boolean): Promise<Target> {
  const { stackName, region: stageRegion } = stageStack(stage);
  const region = options.region ?? stageRegion ?? env.AWS_REGION ?? env.AWS_DEFAULT_REGION;
  const config = region ? { region } : {};
  const outputs = await stackOutputs(stackName, config);
  const tableName = outputs.TableName;
  if (!tableName) throw new OpsError(`stack ${stackName} has no TableName output: is it the Otaku-mori pipeline?`);
  const sfn = new SFNClient(config);
  const db = DynamoDBDocumentClient.from(new DynamoDBClient(config));
  const shopId = env.PRINTIFY_SHOP_ID || outputs.PrintifyShopId || '';
  const tokenSecretArn = env.PRINTIFY_API_TOKEN_ARN ?? outputs.PrintifyApiTokenSecretArn;
  return {
    description: `stage ${stage} (stack ${stackName}${region ? `, ${region}` : ''})`,
    local: false,
    stage,
    tableName,
    sfn,
    db,
    outputs,
    ...(outputs.PrintifyShopId ? { printifyShopId: outputs.PrintifyShopId } : {}),
    ...(outputs.StripeWebhookUrl ? { stripeWebhookUrl: outputs.StripeWebhookUrl } : {}),
    ...(env.STRIPE_WEBHOOK_SECRET ? { stripeWebhookSecret: env.STRIPE_WEBHOOK_SECRET } : {}),
    ...(outputs.StripeWebhookSecretArn ? { stripeWebhookSecretArn: outputs.StripeWebhookSecretArn } : {}),
    printify: {
      baseUrl: env.PRINTIFY_API_URL || 'https://api.printify.com',
      shopId,
      ...(env.PRINTIFY_API_TOKEN ? { token: env.PRINTIFY_API_TOKEN } : {}),
      ...(tokenSecretArn ? { tokenSecretArn } : {}),
      sendToProduction: sendToProductionOf(env, STAGES[stage as keyof typeof STAGES].printifySendToProduction ?? false),
      ...(outputs.PrintifyWebhookUrl ? { webhookUrl: outputs.PrintifyWebhookUrl } : {}),
      ...(env.PRINTIFY_WEBHOOK_SECRET ? { webhookSecret: env.PRINTIFY_WEBHOOK_SECRET } : {}),
      ...(outputs.PrintifyWebhookSecretArn ? { webhookSecretArn: outputs.PrintifyWebhookSecretArn } : {}),
    },
    stateMachines: workflows
      ? Object.entries(outputs)
          .filter(([key]) => key.endsWith('StateMachineArn'))
          .map(([key, arn]) => ({ workflow: workflowName(key), arn }))
      : [],
    close: () => {
      sfn.destroy();
      db.destroy();
    },
  };
}

export interface ResolveOptions {
  /** list the state machines (locally: the Step Functions API of `npm start` must answer); default true */
  workflows?: boolean;
}

/** The target the options name: a deployed stage, or the local stack (default). */
export async function resolveTarget(
  options: TargetOptions,
  env: NodeJS.ProcessEnv = process.env,
  { workflows = true }: ResolveOptions = {},
): Promise<Target> {
  if (options.stage) return stageTarget(options.stage, options, env, workflows);
  const sfnEndpoint = options.sfnEndpoint ?? `http://127.0.0.1:${env.SFN_PORT || DEFAULTS.sfnPort}`;
  const dynamodbEndpoint =
    options.dynamodbEndpoint ?? env.DYNAMODB_ENDPOINT ?? `http://127.0.0.1:${env.DYNAMODB_PORT || DEFAULTS.dynamodbPort}`;
  const local = { region: options.region ?? LOCAL_REGION, credentials: DYNAMODB_LOCAL_CREDENTIALS };
  const sfn = new SFNClient({ ...local, endpoint: sfnEndpoint, maxAttempts: 1 });
  const db = DynamoDBDocumentClient.from(new DynamoDBClient({ ...local, endpoint: dynamodbEndpoint, maxAttempts: 1 }));
  const close = () => {
    sfn.destroy();
    db.destroy();
  };
  let stateMachines: StateMachineRef[] = [];
  if (workflows) {
    try {
      const listed = await sfn.send(new ListStateMachinesCommand({}));
      stateMachines = (listed.stateMachines ?? []).map((m) => ({ workflow: workflowName(m.name ?? ''), arn: m.stateMachineArn ?? '' }));
    } catch (error) {
      close();
      throw unreachable('the local Step Functions API', sfnEndpoint, error);
    }
  }
  const port = env.PORT || DEFAULTS.port;
  return {
    description: `local stack (Step Functions ${sfnEndpoint}, DynamoDB ${dynamodbEndpoint})`,
    local: true,
    tableName: options.table ?? env.TABLE_NAME ?? DEFAULTS.tableName,
    sfn,
    db,
    stateMachines,
    stripeWebhookUrl: `http://127.0.0.1:${port}/webhooks/stripe`,
    stripeWebhookSecret: env.STRIPE_WEBHOOK_SECRET || DEFAULTS.stripeWebhookSecret,
    printify: {
      baseUrl: env.PRINTIFY_API_URL || `http://127.0.0.1:${env.PRINTIFY_PORT || DEFAULTS.printifyPort}`,
      shopId: env.PRINTIFY_SHOP_ID || 'local-shop',
      token: env.PRINTIFY_API_TOKEN || DEFAULTS.printifyToken,
      sendToProduction: sendToProductionOf(env, true),
      webhookUrl: `http://127.0.0.1:${port}/webhooks/printify`,
      webhookSecret: env.PRINTIFY_WEBHOOK_SECRET || DEFAULTS.printifyWebhookSecret,
    },
    close,
  };
}
