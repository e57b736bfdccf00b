// `npm run trigger -- <event type> [options]`: what `stripe trigger` does, against the local
// pipeline started by `npm start`: sets the scene (a pending order, its cart and product mappings),
// sends a realistically shaped, signed Stripe event, waits for its workflow and prints the outcome.
import '../local/polyfills';
import { parseArgs } from 'node:util';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DescribeExecutionCommand, SFNClient } from '@aws-sdk/client-sfn';
import { DynamoDBDocumentClient, GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { keys } from '../lambdas/domain/keys';
import type { Order } from '../lambdas/domain/order';
import { HANDLED_EVENT_TYPES } from '../lambdas/domain/stripe-events';
import { DYNAMODB_LOCAL_CREDENTIALS } from '../local/dynamodb-local';
import { Storefront } from '../test/fixtures/storefront';
import type { StripeEventEnvelope } from '../test/fixtures/stripe-events';
import { DEFAULTS } from '../local/local-stack';
import { LOCAL_REGION } from '../local/stack-template';
import { parseAmount, postSignedEvent, runTriggerScenario, TriggerUsageError } from './lib/trigger-scenarios';

const USAGE = `usage: npm run trigger -- <event type> [options]

event types: ${HANDLED_EVENT_TYPES.join(', ')}

options:
  --order <id>     use this existing order (charge.refunded, payment_intent.*)
  --amount <n>     amount in minor units (refund: this refund's amount, default the rest;
                   invoice: amount paid, default 999)
  --user <id>      the customer (invoice.payment_succeeded)
  --unmapped       put a product without a Printify mapping in the order
  --unpaid         checkout.session.completed with payment_status "unpaid" (delayed payment)
  --ship           then walk the order on at Printify: sent to production, shipped (signed
                   Printify webhooks from the stand-in to POST /webhooks/printify; shipping email)
  --deliver        --ship, then the parcel delivered

environment: PORT, SFN_PORT, DYNAMODB_PORT or DYNAMODB_ENDPOINT, SES_PORT, TABLE_NAME,
             STRIPE_WEBHOOK_SECRET — the same as for npm start.`;

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    order: { type: 'string' },
    amount: { type: 'string' },
    user: { type: 'string' },
    unmapped: { type: 'boolean', default: false },
    unpaid: { type: 'boolean', default: false },
    ship: { type: 'boolean', default: false },
    deliver: { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  },
});

const env = (name: string, fallback: string | number) => process.env[name] || String(fallback);
const apiUrl = `http://127.0.0.1:${env('PORT', DEFAULTS.port)}`;
const sfnUrl = `http://127.0.0.1:${env('SFN_PORT', DEFAULTS.sfnPort)}`;
const sesUrl = `http://127.0.0.1:${env('SES_PORT', DEFAULTS.sesPort)}`;
const printifyUrl = `http://127.0.0.1:${env('PRINTIFY_PORT', DEFAULTS.printifyPort)}`;
const dynamodbUrl = process.env.DYNAMODB_ENDPOINT || `http://127.0.0.1:${env('DYNAMODB_PORT', DEFAULTS.dynamodbPort)}`;
const tableName = env('TABLE_NAME', DEFAULTS.tableName);
const secret = env('STRIPE_WEBHOOK_SECRET', DEFAULTS.stripeWebhookSecret);

const clientConfig = { region: LOCAL_REGION, credentials: DYNAMODB_LOCAL_CREDENTIALS };
const db = DynamoDBDocumentClient.from(new DynamoDBClient({ ...clientConfig, endpoint: dynamodbUrl }));
const sfn = new SFNClient({ ...clientConfig, endpoint: sfnUrl });
const storefront = new Storefront(db, tableName);

function fail(message: string): never {
  console.error(message);
  process.exit(2);
}

async function readOrder(orderId: string): Promise<Order | undefined> {
  const { Item } = await db.send(new GetCommand({ TableName: tableName, Key: keys.order(orderId), ConsistentRead: true }));
  return Item as Order | undefined;
}

/** Sends the event signed as Stripe signs it and waits for the execution it starts. */
async function send(event: StripeEventEnvelope): Promise<void> {
  let sent: Awaited<ReturnType<typeof postSignedEvent>>;
  try {
    sent = await postSignedEvent(`${apiUrl}/webhooks/stripe`, secret, event);
  } catch {
    fail(`cannot reach ${apiUrl}: is \`npm start\` running?`);
  }
  const { status, answer } = sent;
  console.log(`\n→ ${event.type} ${event.id}\n← ${status} ${JSON.stringify(answer)}`);
  if (!answer.executionArn) return;
  const deadline = Date.now() + 120_000;
  for (;;) {
    const execution = await sfn.send(new DescribeExecutionCommand({ executionArn: answer.executionArn }));
    if (execution.status !== 'RUNNING') {
      console.log(`  execution ${execution.status}${execution.error ? `: ${execution.error} — ${execution.cause}` : ''}`);
      return;
    }
    if (Date.now() > deadline) fail('  execution still running after 2 minutes');
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

async function show(userId: string, orderId?: string): Promise<void> {
  if (orderId) {
    const { pk: _pk, sk: _sk, ...order } = ((await readOrder(orderId)) ?? {}) as Order & { pk?: string; sk?: string };
    console.log('\norder:', JSON.stringify(order, null, 2));
  }
  const { Items = [] } = await db.send(
    new QueryCommand({
      TableName: tableName,
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': `USER#${userId}` },
      ConsistentRead: true,
    }),
  );
  const balance = Items.find((i) => i.sk === 'PETALS')?.balance ?? 0;
  console.log(`\npetals of ${userId}: balance ${balance}`);
  for (const entry of Items.filter((i) => String(i.sk).startsWith('LEDGER#'))) {
    console.log(`  ${entry.sk}  ${entry.amount > 0 ? '+' : ''}${entry.amount}  ${entry.description}`);
  }
  const cart = Items.filter((i) => String(i.sk).startsWith('CART#'));
  console.log(`cart: ${cart.length ? cart.map((i) => `${i.productId}/${i.variantId}×${i.quantity}`).join(', ') : 'empty'}`);
  const store = (await fetch(`${sesUrl}/store`)
    .then((r) => r.json())
    .catch(() => ({ emails: [] }))) as { emails: { subject: string; destination?: { to?: string[] } }[] };
  const mails = orderId ? store.emails.filter((m) => m.subject.includes(orderId)) : [];
  if (orderId) console.log(`emails: ${mails.length ? mails.map((m) => `"${m.subject}"`).join(', ') : 'none'}  (${sesUrl})`);
}

async function main(): Promise<void> {
  const type = positionals[0];
  if (values.help || !type) {
    console.log(USAGE);
    process.exit(values.help ? 0 : 2);
  }
  if (!HANDLED_EVENT_TYPES.includes(type)) fail(`unknown event type "${type}"\n\n${USAGE}`);
  try {
    const { amount: rawAmount, help: _help, ...flags } = values;
    const amount = parseAmount(rawAmount);
    const result = await runTriggerScenario(
      type,
      { ...flags, ...(amount !== undefined ? { amount } : {}) },
      { storefront, readOrder, send, printifyUrl, log: (message) => console.log(message) },
    );
    await show(result.userId, result.orderId);
  } catch (error) {
    if (error instanceof TriggerUsageError) fail(error.message.startsWith('order ') ? `${error.message} in ${tableName}` : error.message);
    throw error;
  }
}

main()
  .catch((error: unknown) => fail(error instanceof Error ? error.message : String(error)))
  .finally(() => {
    db.destroy();
    sfn.destroy();
  });
