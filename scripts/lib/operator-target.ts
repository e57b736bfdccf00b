// Where an operator command acts: the local stack of `npm start` (default), or a deployed stack
// (--aws: AWS's DynamoDB with the environment's credentials and region).
import { DYNAMODB_LOCAL_CREDENTIALS } from '../../local/dynamodb-local';
import { DEFAULTS } from '../../local/local-stack';
import { LOCAL_REGION } from '../../local/stack-template';
import type { RetryMappingOptions } from './retry-mapping';

export interface TargetFlags {
  aws?: boolean;
  table?: string;
  endpoint?: string;
  region?: string;
}

export const TARGET_HELP = `target (default: the local stack of \`npm start\`):
  --aws              a deployed stack: AWS's DynamoDB (credentials and region from the environment)
  --table <name>     the table (default TABLE_NAME, or ${DEFAULTS.tableName} locally)
  --endpoint <url>   a DynamoDB endpoint (default DYNAMODB_ENDPOINT, or DynamoDB Local on DYNAMODB_PORT)
  --region <region>
Printify: PRINTIFY_API_URL, PRINTIFY_SHOP_ID, and PRINTIFY_API_TOKEN or PRINTIFY_API_TOKEN_ARN
(locally: the stand-in on PRINTIFY_PORT with its local token).`;

export function operatorTarget(flags: TargetFlags, env: NodeJS.ProcessEnv = process.env): RetryMappingOptions {
  if (flags.aws) {
    const tableName = flags.table ?? env.TABLE_NAME;
    if (!tableName) throw new Error("--aws needs --table <the stack's TableName output> (or TABLE_NAME)");
    return {
      tableName,
      ...(flags.endpoint ? { dynamodbEndpoint: flags.endpoint } : {}),
      ...(flags.region ? { region: flags.region } : {}),
      printify: {
        ...(env.PRINTIFY_API_URL ? { baseUrl: env.PRINTIFY_API_URL } : {}),
        shopId: env.PRINTIFY_SHOP_ID ?? '',
        ...(env.PRINTIFY_API_TOKEN ? { token: env.PRINTIFY_API_TOKEN } : {}),
        ...(env.PRINTIFY_API_TOKEN_ARN ? { tokenSecretArn: env.PRINTIFY_API_TOKEN_ARN } : {}),
      },
      ...(env.PRINTIFY_SEND_TO_PRODUCTION ? { sendToProduction: env.PRINTIFY_SEND_TO_PRODUCTION !== 'false' } : {}),
    };
  }
  return {
    tableName: flags.table ?? env.TABLE_NAME ?? DEFAULTS.tableName,
    dynamodbEndpoint: flags.endpoint ?? env.DYNAMODB_ENDPOINT ?? `http://127.0.0.1:${env.DYNAMODB_PORT || DEFAULTS.dynamodbPort}`,
    region: flags.region ?? LOCAL_REGION,
    credentials: DYNAMODB_LOCAL_CREDENTIALS,
    printify: {
      baseUrl: env.PRINTIFY_API_URL ?? `http://127.0.0.1:${env.PRINTIFY_PORT || DEFAULTS.printifyPort}`,
      shopId: env.PRINTIFY_SHOP_ID ?? 'local-shop',
      token: env.PRINTIFY_API_TOKEN ?? DEFAULTS.printifyToken,
    },
    ...(env.PRINTIFY_SEND_TO_PRODUCTION ? { sendToProduction: env.PRINTIFY_SEND_TO_PRODUCTION !== 'false' } : {}),
  };
}
