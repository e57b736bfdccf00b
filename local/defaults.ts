import * as path from 'node:path';

/** The project's folder (as lib/constructs/pipeline-function's PROJECT_ROOT, without loading the CDK). */
const PROJECT_ROOT = path.resolve(__dirname, '..');

/** `npm start`'s defaults (the local contract: DESIGN.md), for the local stack and the scripts that talk to it. */
export const DEFAULTS = {
  port: 3000,
  dynamodbPort: 8000,
  sesPort: 8005,
  sfnPort: 8083,
  printifyPort: 8085,
  stripeApiPort: 8086,
  tableName: 'otakumori-orders',
  /** documented, printed at start; never used outside this machine */
  stripeWebhookSecret: 'whsec_otakumori_local_development_secret',
  printifyWebhookSecret: 'otakumori-local-printify-webhook-secret',
  printifyToken: 'otakumori-local-printify-token',
  /** `npm start`'s state: DynamoDB Local's data, its pid file, the executions' journal */
  localDir: path.join(PROJECT_ROOT, '.local'),
  dataPath: path.join(PROJECT_ROOT, '.local', 'dynamodb'),
  /** how long Ctrl-C (SIGINT) lets running executions finish before stopping them (SIGTERM stops at once) */
  drainMs: 20_000,
} as const;
