// `npm run trigger -- <event type> [options]`: what `stripe trigger` does, against the local
// pipeline started by `npm start` (or the staging stage, never production): sets the scene the event
// needs (a pending order, its cart and product mappings, and whatever Stripe would have sent before
// it), sends a realistically shaped, signed Stripe event, waits for its workflow and prints the
// outcome and the command to run next. Its flags, help, --json and exit codes are the command
// framework's (scripts/cli/framework.ts).
import '../local/polyfills';
import { DescribeExecutionCommand } from '@aws-sdk/client-sfn';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { keys } from '../lambdas/domain/keys';
import type { Order } from '../lambdas/domain/order';
import { HANDLED_EVENT_TYPES } from '../lambdas/domain/stripe-events';
import { resolveSecret } from '../lambdas/shared/secrets';
import { scanInbox } from '../local/inbox-scan';
import { DEFAULTS } from '../local/defaults';
import { Storefront } from '../test/fixtures/storefront';
import { EXIT, type Flags, type Io, OpsError, type ProgramSpec, processIo, type RunOptions, runProgram, UsageError } from './cli/framework';
import { resolveTarget, type Target } from './cli/target';
import {
  nextCommand,
  parseAmount,
  postSignedEvent,
  runTriggerScenario,
  SCENARIOS,
  type SentEvent,
  type TriggerOptions,
  type TriggerResult,
  TriggerUsageError,
} from './lib/trigger-scenarios';

const STAGE_ONLY = 'staging';

/** The text under the generated usage and options: the types and their scenes, the targets, --json, exit codes. */
export const TRIGGER_HELP = `Event types and their scenes (what is set up first, then what is sent):
${HANDLED_EVENT_TYPES.map((t) => `  ${t}\n      ${SCENARIOS[t].describe}`).join('\n')}

Target: the local stack of \`npm start\` (default; its ports from PORT, SFN_PORT, DYNAMODB_PORT or
DYNAMODB_ENDPOINT, SES_PORT, PRINTIFY_PORT, and TABLE_NAME, STRIPE_WEBHOOK_SECRET, as for npm start),
or --stage ${STAGE_ONLY}: the pending order is written to the stage's table (without the demo products'
Printify mappings: the stage keeps its own, so an unmapped order waits in pending_mapping), the event is
posted to its StripeWebhookUrl signed with $STRIPE_WEBHOOK_SECRET or its StripeWebhookSecretArn secret,
and its execution is followed there; emails are not counted and --ship/--deliver are local only.
--stage production is refused (exit 2): test events never reach the live shop.

--json prints one object: eventType, eventId, requested, webhookStatus, outcome, executionArn,
executionStatus (error, cause, durationMs), orderId, userId, statusBefore, order (the order item
after the event, or null), petals {balance, change}, emails (null on a stage), events (every event
sent, the scene's first), next, summary (the one line); a refusal is {"error": "…"} on stderr.

Exit codes: 0 the execution succeeded; 1 it failed, or the webhook refused the event (or an event
of its scene), or the stack cannot be reached; 2 bad usage, or an event that makes no sense for
the order given with --order (the message says what would).`;

/** What the outcome line compares: the order, the customer's petals and the order's emails. */
interface Snapshot {
  order?: Order;
  balance: number;
  /** the order's emails in the local SES (none on a stage) */
  emails?: number;
}

const TERMINAL = new Set(['SUCCEEDED', 'FAILED', 'TIMED_OUT', 'ABORTED']);
const WAIT_MS = 120_000;

const seconds = (ms?: number) => (ms === undefined ? '' : ` (${(ms / 1000).toFixed(1)} s)`);
const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

/** The outcome in one line: the event, what it did to the order and the petals, and its execution. */
function outcomeLine(result: TriggerResult, event: SentEvent, before: Snapshot, after: Snapshot): string {
  const parts: string[] = [];
  const o = after.order;
  if (o) {
    const from = before.order?.status;
    parts.push(`order ${o.orderId} ${from && from !== o.status ? `${from} → ${o.status}` : `${o.status}${from ? ' (unchanged)' : ''}`}`);
    const refundedBefore = before.order?.amountRefunded ?? 0;
    if ((o.amountRefunded ?? 0) !== refundedBefore)
      parts.push(`refunded ${o.amountRefunded ?? 0}/${o.amountTotal} ${o.currency} (was ${refundedBefore})`);
    if (event.type.startsWith('charge.dispute.') && o.disputeStatus)
      parts.push(`dispute ${o.disputeId} ${o.disputeStatus} (${o.disputeStripeStatus ?? '?'})`);
  } else {
    parts.push(`user ${result.userId}`);
  }
  const petals = after.balance - before.balance;
  if (petals) parts.push(`${petals > 0 ? '+' : '−'}${plural(Math.abs(petals), 'petal')}`);
  const emails = (after.emails ?? 0) - (before.emails ?? 0);
  if (emails) parts.push(plural(emails, 'email'));
  if (event.status < 200 || event.status > 299) {
    parts.push(`refused by the webhook: ${event.status} ${event.error ?? event.outcome ?? ''}`.trim());
  } else if (event.executionStatus) {
    const failure = event.error ? `: ${event.error}${event.cause ? ` — ${event.cause.slice(0, 160)}` : ''}` : '';
    parts.push(`execution ${event.executionStatus}${failure}${seconds(event.durationMs)}`);
  } else {
    parts.push(`no execution (${event.outcome ?? 'no answer'})`);
  }
  const scene = result.sent ? '' : ` (setting the scene for ${result.type})`;
  return `${event.type} ${event.id}${scene}: ${parts.join(' · ')}`;
}

const succeeded = (event: SentEvent | undefined) =>
  event !== undefined && event.status >= 200 && event.status <= 299 && event.executionStatus === 'SUCCEEDED';

/** What one run of trigger prints: as --json, or as its summary and the next command. */
export interface TriggerReport {
  eventType: string;
  eventId: string;
  requested: string;
  sceneFailed?: true;
  webhookStatus: number;
  outcome: string | null;
  executionArn: string | null;
  executionStatus: string | null;
  error?: string;
  cause?: string;
  durationMs?: number;
  orderId: string | null;
  userId: string;
  statusBefore: string | null;
  order: Order | null;
  petals: { balance: number; change: number };
  emails: number | null;
  events: SentEvent[];
  next: string;
  summary: string;
}

/** `npm run ops -- order X` -> `npm run ops -- order X --stage staging` (before any trailing remark). */
function onStage(command: string, stage: string | undefined): string {
  if (!stage) return command;
  const [run = '', ...remark] = command.split('   (');
  return [`${run} --stage ${stage}`, ...remark].join('   (');
}

const refuseProduction = (stage: string | undefined) => {
  if (stage && stage !== STAGE_ONLY)
    throw new UsageError(
      `trigger sends test events: it refuses --stage ${stage} (the live shop); use --stage ${STAGE_ONLY} or the local stack`,
    );
};

const text = (flags: Flags, name: string) => (typeof flags[name] === 'string' ? (flags[name] as string) : undefined);

/** Sets the scene, sends the event, waits for its execution: the report of one run. */
async function trigger(target: Target, type: string, flags: Flags, io: Io, env: NodeJS.ProcessEnv): Promise<TriggerReport> {
  refuseProduction(target.stage);
  const json = Boolean(flags.json);
  const amount = parseAmount(text(flags, 'amount'));
  const options: TriggerOptions = {
    ...(text(flags, 'order') ? { order: text(flags, 'order') } : {}),
    ...(text(flags, 'user') ? { user: text(flags, 'user') } : {}),
    ...(amount !== undefined ? { amount } : {}),
    unmapped: Boolean(flags.unmapped),
    unpaid: Boolean(flags.unpaid),
    ship: Boolean(flags.ship),
    deliver: Boolean(flags.deliver),
  };
  if (!target.local && (options.ship || options.deliver))
    throw new UsageError('--ship and --deliver drive the local Printify stand-in: not with --stage');
  const webhookUrl = target.stripeWebhookUrl;
  if (!webhookUrl) throw new OpsError(`${target.description} has no StripeWebhookUrl output: where would the event go?`);
  const secret = await resolveSecret('STRIPE_WEBHOOK_SECRET', target.stripeWebhookSecret, target.stripeWebhookSecretArn);
  const { db, tableName } = target;
  const sesUrl = target.local ? `http://127.0.0.1:${env.SES_PORT || DEFAULTS.sesPort}` : undefined;

  const readOrder = async (orderId: string): Promise<Order | undefined> => {
    const { Item } = await db.send(new GetCommand({ TableName: tableName, Key: keys.order(orderId), ConsistentRead: true }));
    if (!Item) return undefined;
    const { pk: _pk, sk: _sk, ...order } = Item;
    return order as Order;
  };
  /** the order's emails in the local SES's store (undefined on a stage: not countable there) */
  const emailsOf = async (orderId: string | undefined) => {
    if (!sesUrl) return undefined;
    if (!orderId) return 0;
    const store = (await fetch(`${sesUrl}/store`)
      .then((r) => r.json())
      .catch(() => ({ emails: [] }))) as { emails?: { subject?: string }[] };
    return (store.emails ?? []).filter((m) => m.subject?.includes(orderId)).length;
  };
  const snapshot = async (userId: string | undefined, orderId: string | undefined): Promise<Snapshot> => {
    const order = orderId ? await readOrder(orderId) : undefined;
    const { Item } = userId
      ? await db.send(new GetCommand({ TableName: tableName, Key: keys.petalBalance(userId), ConsistentRead: true }))
      : { Item: undefined };
    const emails = await emailsOf(orderId);
    return {
      ...(order ? { order } : {}),
      balance: typeof Item?.balance === 'number' ? Item.balance : 0,
      ...(emails !== undefined ? { emails } : {}),
    };
  };
  const waitFor = async (executionArn: string) => {
    const deadline = Date.now() + WAIT_MS;
    for (;;) {
      const e = await target.sfn.send(new DescribeExecutionCommand({ executionArn }));
      if (TERMINAL.has(e.status ?? '') || Date.now() > deadline) {
        return {
          executionStatus: e.status ?? 'UNKNOWN',
          ...(e.error ? { error: e.error } : {}),
          ...(e.cause ? { cause: e.cause } : {}),
          ...(e.startDate && e.stopDate ? { durationMs: e.stopDate.getTime() - e.startDate.getTime() } : {}),
        };
      }
      await new Promise((resolve) => setTimeout(resolve, 150));
    }
  };

  /** what the order, petals and emails were before each event, by event id */
  const before = new Map<string, Snapshot>();
  let subject: { userId?: string; orderId?: string } = {};
  let result: TriggerResult;
  try {
    result = await runTriggerScenario(type, options, {
      storefront: new Storefront(db, tableName),
      readOrder: async (orderId) => {
        const order = await readOrder(orderId);
        if (order) subject = { userId: order.userId, orderId };
        return order;
      },
      async send(event) {
        const object = event.data.object as { metadata?: { userId?: string } | null; parent?: unknown };
        const invoiceUser = (object.parent as { subscription_details?: { metadata?: { userId?: string } } } | undefined)
          ?.subscription_details?.metadata?.userId;
        if (invoiceUser) subject = { userId: invoiceUser };
        before.set(event.id, await snapshot(subject.userId, subject.orderId));
        const { status, answer } = await postSignedEvent(webhookUrl, secret, event).catch((error: unknown) => {
          const why = target.local
            ? 'is `npm start` running (with the same PORT)?'
            : error instanceof Error
              ? error.message
              : String(error);
          throw new OpsError(`cannot reach ${webhookUrl}: ${why}`);
        });
        return {
          status,
          ...(answer.outcome ? { outcome: answer.outcome } : {}),
          ...(answer.error ? { error: answer.error } : {}),
          ...(answer.executionArn ? { executionArn: answer.executionArn, ...(await waitFor(answer.executionArn)) } : {}),
        };
      },
      printifyUrl: target.printify.baseUrl,
      refundHistory: async (paymentIntentId) =>
        // the event inbox: each charge.refunded recorded for the payment intent, by Stripe's time
        (await scanInbox(db, tableName))
          .map((e) => ({ ...e, input: e.input as { paymentIntentId?: unknown; amountRefunded?: unknown; created?: unknown } }))
          .filter((e) => e.type === 'charge.refunded' && e.input?.paymentIntentId === paymentIntentId)
          .sort(
            (a, b) =>
              Number(a.input.created ?? 0) - Number(b.input.created ?? 0) || String(a.receivedAt).localeCompare(String(b.receivedAt)),
          )
          .map((e) => Number(e.input.amountRefunded ?? 0)),
      mapDemoProducts: target.local,
      log: (message) => {
        if (!json) io.out(message);
      },
    });
  } catch (error) {
    if (error instanceof TriggerUsageError && /^order \S+ not found$/.test(error.message))
      throw new TriggerUsageError(`${error.message} in table ${tableName}`);
    const refused = /ECONNREFUSED (\S+)/.exec(error instanceof Error ? error.message : '');
    if (refused && target.local)
      throw new OpsError(`cannot reach the local stack at ${refused[1]}: is \`npm start\` running (with the same ports)?`);
    throw error;
  }
  const last = result.sent ?? result.events.at(-1);
  if (!last) throw new Error('no event was sent');
  const after = await snapshot(result.userId, result.orderId);
  const was = before.get(last.id) ?? { balance: 0 };
  return {
    eventType: last.type,
    eventId: last.id,
    requested: result.type,
    ...(result.sent ? {} : { sceneFailed: true as const }),
    webhookStatus: last.status,
    outcome: last.outcome ?? null,
    executionArn: last.executionArn ?? null,
    executionStatus: last.executionStatus ?? null,
    ...(last.error ? { error: last.error } : {}),
    ...(last.cause ? { cause: last.cause } : {}),
    ...(last.durationMs !== undefined ? { durationMs: last.durationMs } : {}),
    orderId: result.orderId ?? null,
    userId: result.userId,
    statusBefore: was.order?.status ?? null,
    order: after.order ?? null,
    petals: { balance: after.balance, change: after.balance - was.balance },
    emails: after.emails === undefined ? null : after.emails - (was.emails ?? 0),
    events: result.events,
    next: onStage(nextCommand(result, after.order, !succeeded(result.sent)), target.stage),
    summary: outcomeLine(result, last, was, after),
  };
}

/** 0 the event was taken and its execution succeeded; 1 otherwise (refused, failed, or its scene stopped). */
const exitCodeOf = (r: TriggerReport) =>
  !r.sceneFailed && r.webhookStatus >= 200 && r.webhookStatus <= 299 && r.executionStatus === 'SUCCEEDED' ? EXIT.ok : EXIT.failed;

/** The program, printing its progress (the scene being set) to `io` as it goes, unless --json. */
export function triggerProgram(io: Io, env: NodeJS.ProcessEnv = process.env): ProgramSpec {
  return {
    name: 'npm run trigger --',
    description:
      'Sets the scene a Stripe event needs, sends the event signed to the Stripe webhook (the local stack of `npm start`, or --stage staging), waits for its execution and prints one line of outcome and the command to run next.',
    root: {
      summary: 'send a test Stripe event of one type, after setting its scene',
      args: [{ name: '<type>', description: 'the Stripe event type (listed below, with their scenes)', choices: HANDLED_EVENT_TYPES }],
      options: [
        { flags: '--order <id>', description: 'continue this existing order instead of a new one' },
        { flags: '--amount <n>', description: "minor units: a refund's amount (default the rest), an invoice's amount paid (default 999)" },
        { flags: '--user <id>', description: 'the customer of invoice.payment_succeeded or invoice_payment.paid (default a new one)' },
        { flags: '--unmapped', description: 'put a product without a Printify mapping in the new order' },
        { flags: '--unpaid', description: 'checkout.session.completed with payment_status "unpaid" (a delayed payment)' },
        {
          flags: '--ship',
          description:
            'then walk the order on at Printify: sent to production, shipped (signed Printify webhooks from the local stand-in; shipping email)',
        },
        { flags: '--deliver', description: '--ship, then the parcel delivered' },
      ],
      help: TRIGGER_HELP,
      needs: 'store',
      run: (target, [type], flags) => trigger(target, type ?? '', flags, io, env),
      text: (r: TriggerReport) => `${r.summary}\nnext: ${r.next}`,
      exitCode: exitCodeOf,
    },
  };
}

export const TRIGGER: ProgramSpec = triggerProgram(processIo);

/**
 * `npm run trigger -- <args>`: resolves with the exit code (0 succeeded; 1 the execution failed or
 * the event was refused; 2 usage). `--stage production` is refused before anything is resolved.
 */
export function runTrigger(argv: readonly string[], io: Io, options: RunOptions = {}): Promise<number> {
  const env = options.env ?? process.env;
  const resolve = options.resolve ?? resolveTarget;
  return runProgram(triggerProgram(io, env), argv, io, {
    ...options,
    resolve: async (targetOptions, resolveEnv, resolveOptions) => {
      refuseProduction(targetOptions.stage);
      return resolve(targetOptions, resolveEnv, resolveOptions);
    },
  });
}

if (require.main === module) {
  runTrigger(process.argv.slice(2), processIo).then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
      process.exitCode = EXIT.failed;
    },
  );
}
