// `npx tsx scripts/check-stripe-fixtures.ts <fixtures3.json> [...]`: runs the Stripe event router
// over Stripe's own test fixtures (openapi/fixtures3.json of github.com/stripe/openapi, MIT), which
// a developer fetches: they are not committed here (nothing fetched is). Each resource a handled
// event carries is wrapped in an event envelope of each handled type, once as Stripe's fixture has
// it and once made ours (our client_reference_id / metadata added, nothing else changed), and
// routed. Prints per file and event type: started (with the input's key facts), ignored or
// malformed, with the reason. Exit code 1 on any malformed event (the webhook's 400), any thrown
// error, or a started input that the workflows' schema refuses.
//
// To get the files: git clone https://github.com/stripe/openapi, then for each commit of interest
// `git show <commit>:openapi/fixtures3.json > /tmp/fixtures-<commit>.json`.
import { readFileSync } from 'node:fs';
import { HANDLED_EVENT_TYPES, MalformedEventError, routeStripeEvent } from '../lambdas/domain/stripe-events';
import { workflowInputSchema, type WorkflowInput } from '../lambdas/domain/workflow-input';

const USAGE = `usage: npx tsx scripts/check-stripe-fixtures.ts <path to fixtures3.json> [...]

Routes every handled Stripe event type over the matching resource of each fixtures file (as it is,
and with our order id added); exit code 1 if any event would be answered 400 or throws.`;

const ORDER_ID = 'ord_fixture_check';
const USER_ID = 'user_fixture_check';

type Json = Record<string, unknown>;
type Variant = 'as-is' | 'ours';
type Outcome = 'started' | 'ignored' | 'malformed' | 'thrown' | 'invalid input';

/** The fixture resource each handled event type carries (by the type's prefix, longest first). */
const RESOURCE_BY_PREFIX: [string, string][] = [
  ['checkout.session.', 'checkout.session'],
  ['payment_intent.', 'payment_intent'],
  ['charge.dispute.', 'dispute'],
  ['charge.refund.', 'refund'],
  ['refund.', 'refund'],
  ['charge.', 'charge'],
  ['invoice_payment.', 'invoice_payment'],
  ['invoice.', 'invoice'],
];

export function resourceOf(eventType: string): string | undefined {
  return RESOURCE_BY_PREFIX.find(([prefix]) => eventType.startsWith(prefix))?.[1];
}

const record = (value: unknown): Json => (typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Json) : {});

/** The object made ours: only the ids this shop's storefront sets, everything else as Stripe's. */
export function madeOurs(resource: string, object: Json): Json {
  const ours = structuredClone(object);
  const metadata = record(ours.metadata);
  switch (resource) {
    case 'checkout.session':
      return { ...ours, client_reference_id: ORDER_ID, metadata: { ...metadata, orderId: ORDER_ID, userId: USER_ID } };
    case 'invoice':
      return { ...ours, metadata: { ...metadata, userId: USER_ID } };
    case 'invoice_payment':
      // no metadata: nothing on it says whose invoice it is (the invoice's own event does)
      return ours;
    default:
      return { ...ours, metadata: { ...metadata, orderId: ORDER_ID, userId: USER_ID } };
  }
}

/** The input's facts worth reading in a line. */
function describe(input: WorkflowInput): string {
  const facts: string[] = [];
  const add = (name: string, value: unknown) => {
    if (value !== undefined) facts.push(`${name}=${typeof value === 'object' ? JSON.stringify(value) : String(value)}`);
  };
  switch (input.kind) {
    case 'payment':
      add('order', input.orderId);
      add('paid', input.paid);
      add('amount', input.amountTotal ?? '(none)');
      add('currency', input.currency ?? '(none)');
      add('pi', input.paymentIntentId);
      add('email', input.email);
      add('address', input.shippingAddress ?? '(none)');
      break;
    case 'paymentFailed':
      add('order', input.orderId);
      add('pi', input.paymentIntentId);
      add('reason', JSON.stringify(input.reason));
      break;
    case 'checkoutExpired':
      add('order', input.orderId);
      add('session', input.stripeSessionId);
      break;
    case 'refund':
      add('order', input.orderId);
      add('charge', input.chargeId);
      add('pi', input.paymentIntentId);
      add('refunded', `${input.amountRefunded ?? '(none)'}/${input.amount ?? '(none)'} ${input.currency}`);
      add('invoice', input.invoiceId);
      add('refunds', input.refunds);
      break;
    case 'dispute':
      add('order', input.orderId);
      add('charge', input.chargeId);
      add('pi', input.paymentIntentId);
      add('status', input.status);
      add('closed', input.closed);
      add('amount', `${input.amount} ${input.currency}`);
      break;
    case 'invoicePayment':
      add('user', input.userId);
      add('invoice', input.invoiceId);
      add('subscription', input.subscriptionId);
      add('paid', `${input.amountPaid} ${input.currency}`);
      break;
    case 'invoicePaymentLink':
      add('invoice', input.invoiceId);
      add('invoice payment', input.invoicePaymentId);
      add('pi', input.paymentIntentId);
      add('charge', input.chargeId);
      break;
  }
  return facts.join(' ');
}

/** What a started input leaves to the workflow, for the reader of the fixtures' random values. */
function notes(input: WorkflowInput): string {
  if (input.kind === 'payment' && input.amountTotal === undefined) return ' [no amount: the payment check must not take it as a match]';
  if (input.kind === 'payment' && input.paid && input.amountTotal === 0)
    return ' [paid 0: the payment check holds it against what the order owes]';
  if (input.kind === 'refund' && input.amountRefunded === 0) return ' [refunded 0: nothing to deduct]';
  return '';
}

export interface Routed {
  eventType: string;
  variant: Variant;
  outcome: Outcome;
  detail: string;
}

/** Route one event; never throws (a throw is an outcome to report). */
export function routeOne(event: Json, variant: Variant): Routed {
  const eventType = String(event.type);
  try {
    const decision = routeStripeEvent(event);
    if (decision.action === 'ignore') return { eventType, variant, outcome: 'ignored', detail: decision.reason };
    const checked = workflowInputSchema.safeParse(decision.input);
    if (!checked.success) {
      return {
        eventType,
        variant,
        outcome: 'invalid input',
        detail: checked.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '),
      };
    }
    return { eventType, variant, outcome: 'started', detail: `${decision.workflow}: ${describe(decision.input)}${notes(decision.input)}` };
  } catch (error) {
    if (error instanceof MalformedEventError) return { eventType, variant, outcome: 'malformed', detail: error.message };
    return { eventType, variant, outcome: 'thrown', detail: error instanceof Error ? `${error.name}: ${error.message}` : String(error) };
  }
}

/** Every handled event type over one fixtures file's resources, as they are and made ours. */
export function checkFixtures(fixtures: unknown): { routed: Routed[]; missing: string[] } {
  const resources = record(record(fixtures).resources);
  // Stripe's own event fixture is the envelope (its id, created, livemode, api_version, request)
  const envelope = { ...record(resources.event) };
  if (typeof envelope.id !== 'string')
    Object.assign(envelope, { id: 'evt_fixture_check', object: 'event', created: 1234567890, livemode: false });
  const routed: Routed[] = [];
  const missing: string[] = [];
  for (const eventType of HANDLED_EVENT_TYPES) {
    const resource = resourceOf(eventType);
    const object = resource ? resources[resource] : undefined;
    if (!resource || typeof object !== 'object' || object === null) {
      missing.push(`${eventType} (${resource ?? 'no known resource'})`);
      continue;
    }
    for (const variant of ['as-is', 'ours'] as const) {
      const data = variant === 'ours' ? madeOurs(resource, object as Json) : structuredClone(object as Json);
      routed.push(routeOne({ ...envelope, type: eventType, data: { object: data } }, variant));
    }
  }
  return { routed, missing };
}

const FAILURES: Outcome[] = ['malformed', 'thrown', 'invalid input'];

function main(paths: string[]): number {
  if (paths.length === 0 || paths.includes('--help') || paths.includes('-h')) {
    console.error(USAGE);
    return paths.length === 0 ? 2 : 0;
  }
  let failed = 0;
  for (const path of paths) {
    let fixtures: unknown;
    try {
      fixtures = JSON.parse(readFileSync(path, 'utf8'));
    } catch (error) {
      console.error(`${path}: cannot read as JSON: ${(error as Error).message}`);
      failed += 1;
      continue;
    }
    const { routed, missing } = checkFixtures(fixtures);
    const apiVersion = record(record(record(fixtures).resources).event).api_version;
    console.log(`${path} (event api_version: ${JSON.stringify(apiVersion ?? null)})`);
    for (const r of routed) console.log(`  ${r.eventType.padEnd(42)} ${r.variant.padEnd(6)} ${r.outcome}: ${r.detail}`);
    for (const m of missing) console.log(`  ${m.padEnd(49)} not in this file`);
    const count = (outcome: Outcome) => routed.filter((r) => r.outcome === outcome).length;
    const bad = routed.filter((r) => FAILURES.includes(r.outcome)).length;
    failed += bad;
    console.log(
      `  summary: ${routed.length} routed: ${count('started')} started, ${count('ignored')} ignored, ${count('malformed')} malformed, ` +
        `${count('thrown')} thrown, ${count('invalid input')} invalid input; ${missing.length} types without a resource\n`,
    );
  }
  return failed > 0 ? 1 : 0;
}

if (require.main === module) process.exit(main(process.argv.slice(2)));
