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
import { DEMO_ITEMS, newUserId, Storefront } from '../test/fixtures/storefront';
import {
  checkoutSession,
  paidInvoice,
  paymentIntent,
  refundedCharge,
  signedRequest,
  stripeEvent,
  stripeId,
  type StripeEventEnvelope,
} from '../test/fixtures/stripe-events';
import { DEFAULTS } from '../local/local-stack';
import { LOCAL_REGION } from '../local/stack-template';

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

async function scene(): Promise<Order> {
  const items = values.unmapped
    ? [...DEMO_ITEMS, { productId: 'prod_unmapped_poster', variantId: 'A2', quantity: 1, unitAmount: 1500, title: 'Poster (no Printify mapping)' }]
    : DEMO_ITEMS;
  const order = await storefront.checkoutScene({ items });
  console.log(`storefront: pending order ${order.orderId} for ${order.userId}, ${order.items.length} cart lines`);
  return order;
}

/** Sends the event signed as Stripe signs it and waits for the execution it starts. */
async function send(event: StripeEventEnvelope): Promise<void> {
  const request = signedRequest(event, secret);
  let response: Response;
  try {
    response = await fetch(`${apiUrl}/webhooks/stripe`, { method: 'POST', headers: request.headers, body: request.body });
  } catch {
    fail(`cannot reach ${apiUrl}: is \`npm start\` running?`);
  }
  const answer = (await response.json()) as { executionArn?: string; outcome?: string };
  console.log(`\n→ ${event.type} ${event.id}\n← ${response.status} ${JSON.stringify(answer)}`);
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
  const store = (await fetch(`${sesUrl}/store`).then((r) => r.json()).catch(() => ({ emails: [] }))) as { emails: { subject: string; destination?: { to?: string[] } }[] };
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
  const amount = values.amount === undefined ? undefined : Number(values.amount);
  if (amount !== undefined && (!Number.isInteger(amount) || amount <= 0)) fail('--amount must be a positive whole number of minor units');

  if (type === 'invoice.payment_succeeded') {
    const userId = values.user ?? newUserId();
    await send(stripeEvent(type, paidInvoice({ userId, amountPaid: amount ?? 999 })));
    return show(userId);
  }

  const existing = values.order ? await readOrder(values.order) : undefined;
  if (values.order && !existing) fail(`order ${values.order} not found in ${tableName}`);
  let order = existing ?? (await scene());
  const paymentIntentId = order.paymentIntentId ?? stripeId('pi');
  const base = { orderId: order.orderId, userId: order.userId, paymentIntentId };

  switch (type) {
    case 'checkout.session.completed':
      await send(stripeEvent(type, checkoutSession({ ...base, amountTotal: order.amountTotal, currency: order.currency, paymentStatus: values.unpaid ? 'unpaid' : 'paid' })));
      break;
    case 'payment_intent.succeeded':
      await send(stripeEvent(type, paymentIntent({ ...base, amount: order.amountTotal, currency: order.currency, email: 'sakura@example.com' }, 'succeeded')));
      break;
    case 'payment_intent.payment_failed':
      await send(stripeEvent(type, paymentIntent({ ...base, amount: order.amountTotal, currency: order.currency }, 'requires_payment_method')));
      break;
    case 'charge.refunded': {
      if (order.status === 'pending') {
        console.log('the order is not paid yet: paying it first (checkout.session.completed)');
        await send(stripeEvent('checkout.session.completed', checkoutSession({ ...base, amountTotal: order.amountTotal, currency: order.currency })));
        order = (await readOrder(order.orderId))!;
      }
      const already = order.amountRefunded ?? 0;
      const cumulative = Math.min(order.amountTotal, already + (amount ?? order.amountTotal - already));
      await send(stripeEvent(type, refundedCharge({ paymentIntentId: order.paymentIntentId ?? paymentIntentId, amount: order.amountTotal, amountRefunded: cumulative, currency: order.currency })));
      break;
    }
  }
  if (values.ship || values.deliver) await walkAtPrintify(order.orderId);
  await show(order.userId, order.orderId);
}

/** What Printify does next, told by the stand-in through its signed webhooks. */
async function walkAtPrintify(orderId: string): Promise<void> {
  const printifyOrderId = (await readOrder(orderId))?.printifyOrderId;
  if (!printifyOrderId) {
    console.log(`\norder ${orderId} has no Printify order to ship (status ${(await readOrder(orderId))?.status ?? 'unknown'})`);
    return;
  }
  const topics = ['order:sent-to-production', 'order:shipment:created', ...(values.deliver ? ['order:shipment:delivered'] : [])];
  for (const topic of topics) {
    const response = await fetch(`${printifyUrl}/__stand-in/orders/${printifyOrderId}/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ topic }),
    }).catch(() => fail(`cannot reach the Printify stand-in at ${printifyUrl}: is \`npm start\` running?`));
    const answer = (await response.json()) as { deliveries?: { url: string; status: number; body: string }[]; error?: string };
    if (!response.ok) fail(`Printify stand-in: ${answer.error ?? response.status}`);
    for (const d of answer.deliveries ?? []) console.log(`\nPrintify ${topic} (order ${printifyOrderId}) -> ${d.url}\n← ${d.status} ${d.body}`);
  }
}

main()
  .catch((error: unknown) => fail(error instanceof Error ? error.message : String(error)))
  .finally(() => {
    db.destroy();
    sfn.destroy();
  });
