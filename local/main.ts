import './polyfills';
// `npm start`: the whole order pipeline on this machine. See README.md, "Run it locally".
import * as path from 'node:path';
import { DEFAULTS, startLocalStack } from './local-stack';

const int = (name: string, fallback: number): number => {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 0 || value > 65535) {
    console.error(`${name} must be a port number, got "${raw}"`);
    process.exit(2);
  }
  return value;
};

async function main(): Promise<void> {
  const secretFromEnv = process.env.STRIPE_WEBHOOK_SECRET;
  const inMemory = process.env.DYNAMODB_IN_MEMORY === '1' || process.argv.includes('--in-memory');
  const started = Date.now();
  // everything `npm start` keeps: DynamoDB Local's data and pid file, the executions' journal
  const localDir = path.resolve(process.env.LOCAL_DATA_DIR || DEFAULTS.localDir);
  const drainRaw = Number(process.env.DRAIN_SECONDS || DEFAULTS.drainMs / 1000);
  const drainSeconds = Number.isFinite(drainRaw) && drainRaw >= 0 ? drainRaw : DEFAULTS.drainMs / 1000;
  const stack = await startLocalStack({
    port: int('PORT', DEFAULTS.port),
    sfnPort: int('SFN_PORT', DEFAULTS.sfnPort),
    sesPort: int('SES_PORT', DEFAULTS.sesPort),
    printifyPort: int('PRINTIFY_PORT', DEFAULTS.printifyPort),
    stripeApiPort: int('STRIPE_API_PORT', DEFAULTS.stripeApiPort),
    dynamodb: process.env.DYNAMODB_ENDPOINT
      ? { endpoint: process.env.DYNAMODB_ENDPOINT }
      : {
          port: int('DYNAMODB_PORT', DEFAULTS.dynamodbPort),
          inMemory,
          dataPath: path.join(localDir, 'dynamodb'),
          pidFile: path.join(localDir, 'dynamodb-local.pid'),
        },
    // in memory, the inbox starts empty: there is nothing to keep or run again
    ...(inMemory ? {} : { executionJournal: path.join(localDir, 'step-functions', 'executions.jsonl') }),
    tableName: process.env.TABLE_NAME || DEFAULTS.tableName,
    stripeWebhookSecret: secretFromEnv || DEFAULTS.stripeWebhookSecret,
    printifyToken: process.env.PRINTIFY_API_TOKEN || DEFAULTS.printifyToken,
    printifyWebhookSecret: process.env.PRINTIFY_WEBHOOK_SECRET || DEFAULTS.printifyWebhookSecret,
    logLevel: process.env.LOG_LEVEL || 'INFO',
    log: (message) => console.log(`… ${message}`),
  });

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) {
      // a second Ctrl-C: stop now (running executions are aborted; the next start runs them again)
      console.log(`\n${signal} again: stopping now`);
      await stack.stop();
      process.exit(130);
    }
    stopping = true;
    console.log(
      `\n${signal}: no longer taking requests (503); letting running executions finish (up to ${drainSeconds} s; Ctrl-C again to stop now)…`,
    );
    const finished = await stack.drain(drainSeconds * 1000);
    if (!finished) console.log(`some executions still ran after ${drainSeconds} s: stopped; the next start runs them again`);
    await stack.stop();
    console.log('stopped (DynamoDB Local, SES, Printify stand-in, Step Functions, Lambdas)');
    process.exit(0);
  };
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGHUP', () => void shutdown('SIGHUP'));

  const printify = stack.printify.stats();
  const ses = stack.ses.stats();
  console.log(`
Otaku-mori order pipeline — running locally (ready in ${((Date.now() - started) / 1000).toFixed(1)} s)

  Console          ${stack.urls.console}  (events, executions, orders; send test events, replay, redrive)
  Stripe webhook   POST ${stack.urls.stripeWebhook}
  Health           GET  ${stack.urls.health}
  Signing secret   ${stack.stripeWebhookSecret}${secretFromEnv ? ' (from STRIPE_WEBHOOK_SECRET)' : ' (default; set STRIPE_WEBHOOK_SECRET to change it)'}
  Printify webhook POST ${stack.urls.printifyWebhook}  (X-Pfy-Signature secret: ${stack.printifyWebhookSecret}${process.env.PRINTIFY_WEBHOOK_SECRET ? ', from PRINTIFY_WEBHOOK_SECRET' : ', default; set PRINTIFY_WEBHOOK_SECRET to change it'})
  DynamoDB Local   ${stack.urls.dynamodb}  table ${stack.tableName}${inMemory ? ' (in memory)' : ` (data in ${path.relative(process.cwd(), localDir) || '.'}/dynamodb)`}  (listens on all interfaces)
  Sent email       ${stack.urls.ses}  (JSON: ${stack.urls.ses}/store)
  Printify         ${stack.urls.printify}  (stand-in; orders: ${stack.urls.printify}/__stand-in/orders)
  Quotas           Printify ${printify.limit} requests per ${printify.windowMs / 1000} s, SES ${ses.limit} emails per ${ses.windowMs / 1000} s  (PRINTIFY_RATE_LIMIT_PER_MINUTE, SES_MAX_SEND_RATE)
  Step Functions   ${stack.urls.sfn}  (AWS API: aws stepfunctions --endpoint-url ${stack.urls.sfn} list-executions …)
  Stripe API       ${stack.urls.stripeApi}  (stand-in: GET /v1/events for the reconciler, key ${stack.stripeApi.apiKey}; npm run ops -- reconcile --stripe --since 3d)

Try it:  npm run trigger -- checkout.session.completed [--ship]
Real Stripe test events:  stripe listen --forward-to ${stack.urls.stripeWebhook}
         (then STRIPE_WEBHOOK_SECRET=<the whsec_ it prints> npm start)
Ctrl-C stops everything (after letting running executions finish, up to ${drainSeconds} s: DRAIN_SECONDS).
${stack.recovered.length ? `\nRunning again ${stack.recovered.length} accepted event(s) whose execution the last run lost.\n` : ''}`);
}

main().catch((error: unknown) => {
  console.error('could not start the local pipeline:', error instanceof Error ? error.message : error);
  process.exit(1);
});
