import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ListStateMachinesCommand, SFNClient } from '@aws-sdk/client-sfn';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DYNAMODB_LOCAL_CREDENTIALS } from '../../local/dynamodb-local';
import { DEFAULTS } from '../../local/local-stack';
import { LOCAL_REGION } from '../../local/stack-template';

/** An error whose message is all the operator needs (no stack trace). */
export class OpsError extends Error {}

export interface TargetOptions {
  /** a deployed stack's name: its outputs name the table and the state machines */
  stack?: string;
  region?: string;
  /** local overrides (defaults: the ports of `npm start`) */
  sfnEndpoint?: string;
  dynamodbEndpoint?: string;
  table?: string;
}

export interface StateMachineRef {
  workflow: string;
  arn: string;
}

/** Where the ops command acts: the table and the workflows of the local stack or of a deployed one. */
export interface Target {
  description: string;
  local: boolean;
  tableName: string;
  sfn: SFNClient;
  db: DynamoDBDocumentClient;
  stateMachines: StateMachineRef[];
  /** a deployed stack's outputs */
  outputs?: Record<string, string>;
  /** the Printify shop a deployed stack orders from (its PrintifyShopId output) */
  printifyShopId?: string;
  close(): void;
}

export const TARGET_HELP = `Target (default: the local stack of \`npm start\`):
  --stack <name>            a deployed stack (AWS credentials and region from the environment);
                            its outputs name the table and the state machines
  --region <region>
  --sfn-endpoint <url>      local Step Functions API (default http://127.0.0.1:$SFN_PORT, ${DEFAULTS.sfnPort})
  --dynamodb-endpoint <url> local DynamoDB (default $DYNAMODB_ENDPOINT, or port $DYNAMODB_PORT, ${DEFAULTS.dynamodbPort})
  --table <name>            local table (default $TABLE_NAME, ${DEFAULTS.tableName})`;

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
    `cannot reach ${what} at ${url} (${error instanceof Error ? error.message : String(error)}): is \`npm start\` running? (or pass --stack for a deployed stack)`,
  );

export async function resolveTarget(options: TargetOptions, env: NodeJS.ProcessEnv = process.env): Promise<Target> {
  if (options.stack) {
    const region = options.region ?? env.AWS_REGION ?? env.AWS_DEFAULT_REGION;
    const config = region ? { region } : {};
    const cfn = new CloudFormationClient(config);
    let outputs: Record<string, string>;
    try {
      const { Stacks } = await cfn.send(new DescribeStacksCommand({ StackName: options.stack }));
      outputs = Object.fromEntries((Stacks?.[0]?.Outputs ?? []).map((o) => [o.OutputKey ?? '', o.OutputValue ?? '']));
    } catch (error) {
      throw new OpsError(`cannot read the outputs of stack ${options.stack}: ${error instanceof Error ? error.message : String(error)}`);
    } finally {
      cfn.destroy();
    }
    const tableName = outputs.TableName;
    if (!tableName) throw new OpsError(`stack ${options.stack} has no TableName output: is it the Otaku-mori pipeline?`);
    const sfn = new SFNClient(config);
    const db = DynamoDBDocumentClient.from(new DynamoDBClient(config));
    return {
      description: `stack ${options.stack}${region ? ` (${region})` : ''}`,
      local: false,
      tableName,
      sfn,
      db,
      outputs,
      ...(outputs.PrintifyShopId ? { printifyShopId: outputs.PrintifyShopId } : {}),
      stateMachines: Object.entries(outputs)
        .filter(([key]) => key.endsWith('StateMachineArn'))
        .map(([key, arn]) => ({ workflow: workflowName(key), arn })),
      close: () => {
        sfn.destroy();
        db.destroy();
      },
    };
  }
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
  let stateMachines: StateMachineRef[];
  try {
    const listed = await sfn.send(new ListStateMachinesCommand({}));
    stateMachines = (listed.stateMachines ?? []).map((m) => ({ workflow: workflowName(m.name ?? ''), arn: m.stateMachineArn ?? '' }));
  } catch (error) {
    close();
    throw unreachable('the local Step Functions API', sfnEndpoint, error);
  }
  return {
    description: `local stack (Step Functions ${sfnEndpoint}, DynamoDB ${dynamodbEndpoint})`,
    local: true,
    tableName: options.table ?? env.TABLE_NAME ?? DEFAULTS.tableName,
    sfn,
    db,
    stateMachines,
    close,
  };
}
