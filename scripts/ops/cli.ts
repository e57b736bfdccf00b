// `npm run ops -- <command>`: see every order's path, and fix what failed, against the local stack
// of `npm start` or a deployed stage (--stage). The commands are specs of the one command framework
// (scripts/cli/framework.ts); the console (local/console/actions.ts) calls their `run` too.
import type { ExecutionStatus } from '@aws-sdk/client-sfn';
import {
  listExecutions,
  orderReport,
  subjectOfExecution,
  redrive,
  replay,
  type ExecutionReport,
  type ExecutionSummary,
  type OrderReport,
} from './commands';
import { retryMapping, RETRYABLE_STATUSES, type RetryMappingResult } from '../lib/retry-mapping';
import { stripeReconcileCommand } from './stripe-reconcile';
import { OpsError, UsageError, type Target } from '../cli/target';
import { runProgram, type CommandSpec, type Flags, type Io, type OptionSpec, type ProgramSpec, type RunOptions } from '../cli/framework';
import { reconcile, unfinishedEvents, type ReconcileAction, type UnfinishedEvent } from './unfinished';
import { DEFAULTS } from '../../local/defaults';
import { LOCAL_STRIPE_SECRET_KEY } from '../../local/stripe-api';
import { acceptHold, heldOrders, holdLines, refundHold, type HeldOrder, type HoldAcceptReport } from './held';
import { OrderNotFoundError, PrintifyUnavailableError } from '../../lambdas/domain/errors';
import type { HoldRefunded, UnfulfilledResolved } from '../../lambdas/fulfilment/hold';

export type { Io } from '../cli/framework';

/** A command of `npm run ops`: a command of the framework, run with a resolved target and its own flags. */
export type OpsCommand = CommandSpec<Target>;

/**
 * `ops reconcile` finishes what the inbox holds (unfinished events); `ops reconcile --stripe`
 * compares the inbox with Stripe's own list of events (scripts/ops/stripe-reconcile.ts). One name,
 * two sources of truth: the flag chooses.
 */
function withStripeReconcile(inbox: OpsCommand): OpsCommand {
  return {
    summary: `${inbox.summary}; with --stripe, start what Stripe sent and the webhook missed`,
    help: `${inbox.help}\n\nWith --stripe (${stripeReconcileCommand.summary}):\n${stripeReconcileCommand.help}`,
    options: [...(inbox.options ?? []), ...(stripeReconcileCommand.options ?? [])],
    run: (target, positionals, flags) => (flags.stripe ? stripeReconcileCommand : inbox).run(target, positionals, flags),
    text: (value: never) => (typeof value === 'object' && value !== null && 'listed' in value ? stripeReconcileCommand : inbox).text(value),
  };
}

const STATUSES = ['RUNNING', 'SUCCEEDED', 'FAILED', 'TIMED_OUT', 'ABORTED', 'PENDING_REDRIVE'] as const;

/** A duration as operators read it: 850 ms, 4.2 s, 3.5 min (empty when unknown). */
export const ms = (value?: number) =>
  value === undefined
    ? ''
    : value < 1000
      ? `${value} ms`
      : value < 120_000
        ? `${(value / 1000).toFixed(1)} s`
        : `${(value / 60_000).toFixed(1)} min`;
/** An ISO time without its milliseconds: 2026-11-29 14:21:37Z. */
export const time = (value?: string) => (value ? value.replace('T', ' ').replace(/\.\d+Z$/, 'Z') : '');

function stepsText(report: ExecutionReport, indent = '    '): string[] {
  return report.steps.map((s) => {
    const extra = [
      s.attempts && s.attempts > 1 ? `${s.attempts} attempts${s.retriedAfter ? ` (retried after ${s.retriedAfter})` : ''}` : '',
      s.error ? `${s.error}${s.cause ? `: ${s.cause.slice(0, 200)}` : ''}` : '',
      s.redrive ? `redrive ${s.redrive}` : '',
    ].filter(Boolean);
    const name = `${'  '.repeat(s.depth)}${s.name}`;
    return `${indent}${name.padEnd(36)} ${s.status.padEnd(12)} ${ms(s.durationMs).padStart(9)}${extra.length ? `  ${extra.join('; ')}` : ''}`;
  });
}

function executionText(report: ExecutionReport): string {
  const head = `${report.name}  ${report.workflow}  ${report.status}  started ${time(report.startDate)}${report.durationMs !== undefined ? `  took ${ms(report.durationMs)}` : ''}${
    report.redriveCount ? `  redriven ${report.redriveCount}×` : ''
  }`;
  const failure = report.error ? [`    ${report.error}${report.cause ? `: ${report.cause.slice(0, 300)}` : ''}`] : [];
  return [head, ...failure, ...stepsText(report)].join('\n');
}

function parseTime(value: string | undefined, flag: string, now = Date.now()): Date | undefined {
  if (!value) return undefined;
  const relative = /^(\d+)\s*(s|m|min|h|d)$/.exec(value);
  if (relative) {
    const unit = { s: 1000, m: 60_000, min: 60_000, h: 3_600_000, d: 86_400_000 }[relative[2] as 's' | 'm' | 'min' | 'h' | 'd'];
    return new Date(now - Number(relative[1]) * unit);
  }
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) throw new UsageError(`${flag} ${value}: give an ISO time (2026-11-26T10:00Z) or an age (30m, 2h, 7d)`);
  return date;
}

/** A duration: `90s`, `15m`, `2h`, `1d`, in ms. */
function parseAge(value: string | undefined, flag: string, fallback: number): number {
  if (value === undefined) return fallback;
  const match = /^(\d+)\s*(s|m|min|h|d)$/.exec(value);
  if (!match) throw new UsageError(`${flag} ${value}: give an age (90s, 15m, 2h, 1d)`);
  return Number(match[1]) * { s: 1000, m: 60_000, min: 60_000, h: 3_600_000, d: 86_400_000 }[match[2] as 's' | 'm' | 'min' | 'h' | 'd'];
}

/** Default of --stuck-after: a fulfilment takes seconds; a quarter of an hour is clearly stuck. */
const STUCK_AFTER_MS = 15 * 60_000;

const unfinishedText = (e: UnfinishedEvent) =>
  `${time(e.receivedAt).padEnd(21)} ${e.reason.padEnd(12)} ${e.workflow.padEnd(20)} ${e.eventId}  ${e.type}${e.orderId ? `  order ${e.orderId}` : ''}${
    e.runningMs !== undefined ? `  running ${ms(e.runningMs)}` : ''
  }`;

const waitOptions: OptionSpec[] = [
  { flags: '--no-wait', description: 'return once started, without waiting for the outcome' },
  { flags: '--wait-seconds <n>', description: 'wait at most this long for the outcome (default 300)' },
];
const waitOf = (flags: Flags) => {
  const seconds = Number(flags['wait-seconds'] ?? 300);
  if (!Number.isFinite(seconds) || seconds < 0) throw new UsageError(`--wait-seconds ${flags['wait-seconds']}: a number of seconds`);
  return { wait: !flags['no-wait'], waitMs: seconds * 1000 };
};

/**
 * The retry of an order that waited for a product mapping (or whose fulfilment failed): `ops
 * retry-mapping`, and the very same command under `npm run mapping -- retry`. Exit 0 once the order
 * has its Printify order, 1 when it still has none (a mapping still missing, or Printify refused).
 */
export const retryMappingCommand: OpsCommand = {
  summary: 'create the Printify order of an order that waited for a mapping (or whose fulfilment failed)',
  args: [{ name: '<order-id>', description: `an order in ${RETRYABLE_STATUSES.join(' or ')}` }],
  options: [
    { flags: '--printify-url <url>', description: "Printify's API (default $PRINTIFY_API_URL; locally the stand-in on $PRINTIFY_PORT)" },
    { flags: '--printify-shop <id>', description: "the shop (default $PRINTIFY_SHOP_ID, or the stage's PrintifyShopId output)" },
  ],
  needs: 'store',
  help: `For an order in ${RETRYABLE_STATUSES.join(' or ')}, once the cause is fixed (the product mapping added with
\`npm run mapping -- set …\`, or Printify back): creates its Printify order exactly as the workflow's
"Create Printify order" step does (at most once: looked up by external id first) and sends it to
production (unless the stage leaves new orders on hold). An order still missing a mapping stays
pending_mapping and the missing products are named.
Printify's token: PRINTIFY_API_TOKEN, or the stage's PrintifyApiTokenSecretArn output; locally the stand-in's.
Exit codes: 0 the order has its Printify order; 1 it still has none (still missing a mapping,
Printify refused it, or the order may not be retried); 2 bad usage.
Also \`npm run mapping -- retry <order-id>\`: the same command.`,
  async run(target, [orderId], flags) {
    const printify = {
      ...target.printify,
      ...(flags['printify-url'] ? { baseUrl: String(flags['printify-url']) } : {}),
      ...(flags['printify-shop'] ? { shopId: String(flags['printify-shop']) } : {}),
    };
    if (!printify.shopId)
      throw new OpsError('retry-mapping needs the Printify shop: set PRINTIFY_SHOP_ID, or deploy the stage with its PrintifyShopId');
    try {
      return await retryMapping(orderId!, {
        tableName: target.tableName,
        db: target.db,
        printify,
        sendToProduction: printify.sendToProduction,
      });
    } catch (error) {
      // the use case says what is wrong (no such order, not a retryable status, Printify not answering) in plain words
      if (error instanceof OrderNotFoundError || error instanceof PrintifyUnavailableError) throw new OpsError(error.message);
      if (error instanceof Error && error.constructor === Error) throw new OpsError(error.message);
      throw error;
    }
  },
  text(result: RetryMappingResult) {
    const detail =
      'reason' in result
        ? `: ${result.reason}`
        : result.missing?.length
          ? `: still missing a mapping for ${result.missing.join(', ')}`
          : result.printifyOrderId
            ? `: Printify order ${result.printifyOrderId}`
            : '';
    return `order ${result.orderId}: ${result.before} -> ${result.after} (${result.outcome})${detail}`;
  },
  exitCode: (result: RetryMappingResult) => (retried(result) ? 0 : 1),
};

/** A dispute's amount and how it stands: open (held), won (nothing taken), lost (taken). */
function disputeText(amount: number, status: string | undefined): string {
  if (status === 'won') return `disputed ${amount} (won: nothing taken)`;
  if (status === 'lost') return `disputed ${amount} (lost: taken)`;
  return `disputed ${amount}${status ? ` (${status})` : ''}`;
}

export const COMMANDS: Record<string, OpsCommand> = {
  order: {
    summary: 'an order: history, amounts, address, items, Printify order, tracking, delivery, ledger, emails and executions',
    args: [{ name: '<order-id>', description: 'the order (its orderId)' }],
    help: `Shows the order as stored: its status history (the moments the order records), amounts, shipping
address, items, its Printify order (id, and status as Printify last reported it), tracking (carrier,
number, URL), delivery, and Printify's webhook events applied to it; its petal ledger entries and
balance, its emails (outbox), and every execution of every Stripe event about it (found in the
event inbox by order id or payment intent), with each state's outcome, attempts and timing.
--json gives the same as data (the order item as stored under "order").`,
    async run(target, [orderId]) {
      return orderReport(target, orderId!);
    },
    text(report: OrderReport) {
      const o = report.order as Record<string, unknown>;
      const { amounts } = report;
      const a = report.address;
      const lines = [
        `order ${o.orderId}  ${o.status}  user ${o.userId ?? '?'}  ${amounts.total ?? '?'} ${amounts.currency ?? ''}  updated ${time(o.updatedAt as string)}`,
        `amounts: total ${amounts.total} ${amounts.currency}, refunded ${amounts.refunded}${amounts.disputed !== undefined ? `, ${disputeText(amounts.disputed, amounts.disputeStatus)}` : ''} (minor units)`,
        ...(['missingMappings', 'failureReason', 'petalsAwarded', 'petalsDeducted', 'paidByEventId'] as const)
          .filter((k) => o[k] !== undefined && o[k] !== null)
          .map((k) => `  ${k}: ${JSON.stringify(o[k])}`),
        `ship to: ${a ? [a.name, a.line1, a.line2, a.city, [a.state, a.postalCode].filter(Boolean).join(' '), a.country].filter(Boolean).join(', ') : 'no address yet (Checkout records it)'}`,
        `items: ${report.items.length}`,
        ...report.items.map(
          (i) =>
            `  ${String(i.quantity).padStart(3)} × ${i.productId} / ${i.variantId}${i.title ? `  "${i.title}"` : ''}  at ${i.unitAmount} = ${i.unitAmount * i.quantity} ${amounts.currency}`,
        ),
        'history:',
        ...report.history.map((m) => `  ${(m.at ? time(m.at) : '').padEnd(21)} ${m.what}`),
        report.printify
          ? `printify: order ${report.printify.orderId}  status ${report.printify.status ?? '(none reported)'}${report.printify.statusFrom ? ` (${report.printify.statusFrom})` : ''}${report.printify.statusAt ? ` at ${time(report.printify.statusAt)}` : ''}${
              report.printify.sentToProductionAt ? `  sent to production ${time(report.printify.sentToProductionAt)}` : ''
            }`
          : 'printify: no order yet',
        report.tracking
          ? `tracking: ${report.tracking.carrier ?? '?'} ${report.tracking.number ?? '?'}${report.tracking.url ? `  ${report.tracking.url}` : ''}${report.tracking.shippedAt ? `  shipped ${time(report.tracking.shippedAt)}` : ''}`
          : 'tracking: not shipped',
        `delivery: ${report.delivery ? `delivered ${time(report.delivery.deliveredAt)}` : 'not delivered'}`,
        `printify webhook events: ${report.printifyEvents.length}`,
        ...report.printifyEvents.map(
          (e) => `  ${time(e.at as string).padEnd(21)} ${String(e.topic).padEnd(26)} ${e.eventId}  -> ${e.kind}, order ${e.orderStatus}`,
        ),
        ...holdLines(o),
        `petals: balance ${report.petalBalance ?? 0}`,
        ...report.ledger.map((e) => `  ${String(e.amount).padStart(6)}  ${e.reason}  (${e.entryId}, ${time(e.createdAt as string)})`),
        `emails: ${report.emails.length}`,
        ...report.emails.map(
          (e) => `  ${String(e.sk).replace(/^EMAIL#/, '')}  ${e.status ?? ''}  ${time((e.sentAt ?? e.claimedAt) as string)}`,
        ),
        `executions: ${report.executions.length}`,
        ...report.executions.map((e) => `  ${e.eventType ?? ''} ${executionText(e).replace(/\n/g, '\n  ')}`),
      ];
      return lines.join('\n');
    },
  },
  events: {
    summary: 'accepted Stripe events whose work is not done (execution missing, failed or stuck)',
    help: `Lists every Stripe event the webhook acknowledged (the event inbox) whose work is not done:
its execution is missing (never started, or lost: a local run killed mid-burst), or its newest
execution FAILED, TIMED_OUT or was ABORTED and none succeeded, or one has been running longer than
--stuck-after. \`ops reconcile\` finishes them.`,
    options: [
      { flags: '--unfinished', description: 'required: the only listing there is' },
      { flags: '--stuck-after <age>', description: 'running (or received and not started) for longer than this (default 15m)' },
    ],
    async run(target, _positionals, flags) {
      if (!flags.unfinished) throw new UsageError('events lists unfinished events only: ops events --unfinished');
      return unfinishedEvents(target, {
        stuckAfterMs: parseAge(flags['stuck-after'] as string | undefined, '--stuck-after', STUCK_AFTER_MS),
      });
    },
    text(events: UnfinishedEvent[]) {
      if (events.length === 0) return 'no unfinished events';
      return [`${events.length} unfinished event(s):`, ...events.map(unfinishedText)].join('\n');
    },
  },
  reconcile: withStripeReconcile({
    summary: 'finish every unfinished event: start the missing, redrive or replay the failed',
    help: `For every event \`ops events --unfinished\` lists: a missing execution is started with the name it
should have and the input recorded when the webhook accepted the event; a FAILED, TIMED_OUT or
ABORTED one is redriven where Step Functions allows it (not after a Fail state, which would only
fail again), else replayed (\`ops replay\`); one running too long is left alone (stop it first).
Every effect is idempotent, so what was already done is not done twice. Does not wait for the
executions: run \`ops events --unfinished\` again to see what is left.`,
    options: [
      { flags: '--dry-run', description: 'say what it would do, do nothing' },
      { flags: '--stuck-after <age>', description: 'as for events (default 15m)' },
    ],
    async run(target, _positionals, flags) {
      return reconcile(target, {
        dryRun: Boolean(flags['dry-run']),
        stuckAfterMs: parseAge(flags['stuck-after'] as string | undefined, '--stuck-after', STUCK_AFTER_MS),
      });
    },
    text(actions: ReconcileAction[]) {
      if (actions.length === 0) return 'nothing to reconcile';
      return actions
        .map(
          (a) =>
            `${a.eventId}  ${a.reason.padEnd(12)} ${a.done ? a.action : `would ${a.action}`.replace('would none', 'left alone')}${a.executionArn ? `  ${a.executionArn}` : ''}${a.note ? `  (${a.note})` : ''}`,
        )
        .join('\n');
    },
  }),
  executions: {
    summary: 'executions of every workflow, newest first, by status and time',
    help: `Lists executions of every workflow (or --workflow <name>), newest first, each with the Stripe
event it ran for (its type) and the order that event is about, from the event inbox. A refund or
dispute event names a payment intent, not an order: it shows the order (or invoice) that holds that
payment intent, else the payment intent itself.`,
    options: [
      { flags: '--status <status>', description: STATUSES.join(', ') },
      { flags: '--since <time>', description: 'started at or after: an ISO time or an age (30m, 2h, 7d)' },
      { flags: '--until <time>', description: 'started at or before' },
      { flags: '--workflow <name>', description: 'fulfilment, paymentFailed, refund, subscriptionPayment, …' },
      { flags: '--limit <n>', description: 'at most n (default 50)' },
    ],
    async run(target, _positionals, flags) {
      const status = flags.status ? String(flags.status).toUpperCase() : undefined;
      if (status && !(STATUSES as readonly string[]).includes(status))
        throw new UsageError(`--status ${flags.status}: one of ${STATUSES.join(', ')}`);
      const limit = Number(flags.limit ?? 50);
      if (!Number.isInteger(limit) || limit < 1) throw new UsageError(`--limit ${flags.limit}: a positive whole number`);
      const since = parseTime(flags.since as string | undefined, '--since');
      const until = parseTime(flags.until as string | undefined, '--until');
      return listExecutions(target, {
        ...(status ? { status: status as ExecutionStatus } : {}),
        ...(flags.workflow ? { workflow: String(flags.workflow) } : {}),
        ...(since ? { since } : {}),
        ...(until ? { until } : {}),
        limit,
      });
    },
    text(executions: ExecutionSummary[]) {
      if (executions.length === 0) return 'no executions';
      return executions
        .map(
          (e) =>
            `${time(e.startDate).padEnd(21)} ${e.status.padEnd(10)} ${e.workflow.padEnd(20)} ${(e.eventType ?? '?').padEnd(34)} ${subjectOfExecution(e).padEnd(30)} ${e.name}  ${ms(e.durationMs)}${e.redriveCount ? `  redriven ${e.redriveCount}×` : ''}`,
        )
        .join('\n');
    },
  },
  redrive: {
    summary: 'continue a failed, timed-out or aborted execution from the state that failed',
    args: [{ name: '<execution>', description: 'an execution ARN, or the Stripe event id it is named after' }],
    help: `Step Functions RedriveExecution: the execution continues from the state that failed, with that
state's input; the states that succeeded are not run again. Fix the cause first. Only FAILED,
TIMED_OUT and ABORTED executions of the last 14 days. Given an event id, the newest execution of
that event that did not succeed. Waits for the outcome unless --no-wait.
An execution that ended in a Fail state (e.g. "Fulfil: some steps failed": the failed steps were
caught) would only fail there again: use \`ops replay <event id>\` (or --force).`,
    options: [...waitOptions, { flags: '--force', description: 'redrive even an execution that ended in a Fail state' }],
    async run(target, [id], flags) {
      if (!id) throw new UsageError('redrive needs an execution ARN or an event id');
      return redrive(target, id, { ...waitOf(flags), force: Boolean(flags.force) });
    },
    text: executionText,
  },
  replay: {
    summary: 'run a recorded Stripe event again (a new execution; every effect is idempotent)',
    args: [{ name: '<event-id>', description: 'the Stripe event id (evt_…)' }],
    help: `Starts a new execution of the event's workflow with the input recorded when the webhook accepted
it, named <event id>-replay-<n>. Every effect is idempotent (conditional status changes, ledger
entries with deterministic keys, the Printify order looked up by external id, emails claimed in an
outbox): what already happened is not done again; what failed is tried again. Refused while an
execution of the event is running. Waits for the outcome unless --no-wait.`,
    options: waitOptions,
    async run(target, [eventId], flags) {
      if (!eventId) throw new UsageError('replay needs an event id (evt_…)');
      return replay(target, eventId, waitOf(flags));
    },
    text: executionText,
  },
  held: {
    summary: 'orders whose money was taken and not fulfilled (held payment mismatches, other payments), and how to resolve each',
    help: `Lists every order held in payment_mismatch (a payment that did not match what the order owes:
amount, currency, or none said) and every order with a paid event the pipeline did not fulfil
(\`unfulfilledPayments\`: every other payment of an order already paid, refunded or held, by
payment intent; one resolved by \`ops hold\` is no longer listed), with the commands that resolve
each. Scans the table.`,
    async run(target) {
      return heldOrders(target);
    },
    text(orders: HeldOrder[]) {
      if (orders.length === 0) return 'no held orders, no unfulfilled payments';
      return [
        `${orders.length} order(s) to decide:`,
        ...orders.flatMap((o) => [
          `${o.orderId}  ${o.status}  owes ${o.amountTotal} ${o.currency}`,
          ...holdLines(o as unknown as Record<string, unknown>),
        ]),
      ].join('\n');
    },
  },
  hold: {
    summary: 'resolve a held order: accept (fulfil it as paid) or refund its payment through Stripe',
    args: [
      { name: '<action>', description: 'accept or refund', choices: ['accept', 'refund'] },
      { name: '<order-id>', description: 'the held order' },
      { name: '[payment-intent]', description: 'one of its unfulfilled payments (ops held shows them); omitted: its held payment' },
    ],
    help: `For an order held in payment_mismatch (\`ops held\`, \`ops order <id>\`):
  accept   the payment is good enough: the order becomes paid and the held event's fulfilment
           workflow runs again (\`ops replay\`), which now fulfils it (Printify order, confirmation
           email, petals on no more than was paid, cart). Waits for it unless --no-wait.
  refund   give the payment back: POST /v1/refunds for the held payment intent (idempotent: run it
           again and Stripe returns the same refund), then the order is refunded; nothing printed,
           no petals, no refund email of ours (Stripe's receipt tells the customer, in the held
           payment's amount and currency). Needs STRIPE_SECRET_KEY (a secret key, or a restricted
           key allowed to write refunds) and, for anything but
           https://api.stripe.com, STRIPE_API_URL; against the local stack (no --stage, neither
           set), the Stripe stand-in of \`npm start\` refunds and sends its charge.refunded.
With a payment intent (pi_…, or event:<evt_…> for one without): one of the order's unfulfilled
payments (another payment of an order already paid, refunded or held; \`ops held\` lists them):
  refund   POST /v1/refunds for that payment intent (idempotent), marked refunded on the order;
           the order itself is untouched.
  accept   keep it (the customer meant to pay twice; fulfilled by hand): marked accepted.`,
    options: waitOptions,
    async run(target, [action, orderId, paymentKey], flags) {
      if ((action !== 'accept' && action !== 'refund') || !orderId) throw new UsageError('hold accept|refund <order-id> [payment-intent]');
      if (action === 'accept') return acceptHold(target, orderId, waitOf(flags), paymentKey);
      const env = process.env;
      // locally, the Stripe stand-in of `npm start` refunds (and sends charge.refunded as Stripe would)
      const local = target.local && !env.STRIPE_SECRET_KEY && !env.STRIPE_API_URL;
      return refundHold(
        target,
        orderId,
        local
          ? { baseUrl: `http://127.0.0.1:${env.STRIPE_API_PORT || DEFAULTS.stripeApiPort}`, secretKey: LOCAL_STRIPE_SECRET_KEY }
          : {
              ...(env.STRIPE_API_URL ? { baseUrl: env.STRIPE_API_URL } : {}),
              ...(env.STRIPE_SECRET_KEY ? { secretKey: env.STRIPE_SECRET_KEY } : {}),
            },
        paymentKey,
      );
    },
    text(result: HoldAcceptReport | HoldRefunded | UnfulfilledResolved) {
      if ('key' in result) {
        return result.action === 'refunded'
          ? `order ${result.orderId}: unfulfilled payment ${result.key} refunded; Stripe refund ${result.refundId} ${result.refundStatus}: ${result.amount} ${result.currency}`
          : `order ${result.orderId}: unfulfilled payment ${result.key} accepted (kept)`;
      }
      if ('accepted' in result) {
        const a = result.accepted;
        return [
          `order ${a.orderId}: ${a.before} -> ${a.after} (accepted the payment of ${a.eventId}); its fulfilment:`,
          executionText(result.execution),
        ].join('\n');
      }
      return `order ${result.orderId}: ${result.before} -> ${result.after}; Stripe refund ${result.refundId} ${result.refundStatus}: ${result.amount} ${result.currency}`;
    },
  },
  'retry-mapping': retryMappingCommand,
};

/** Whether a retry ended with the order's Printify order in place. */
const retried = (result: RetryMappingResult) => result.outcome === 'created' || result.outcome === 'already-created';

export const OPS: ProgramSpec = {
  name: 'npm run ops --',
  description: "see every order's path, and fix what failed, against the local stack of `npm start` or a deployed stage",
  commands: COMMANDS,
  help: `Exit codes: 0 done, 1 failed (the reason in one line), 2 bad usage (unknown command or flag,
a missing argument or a value of the wrong shape). "npm run ops -- <command> --help" for each.`,
};

/** Runs one ops command line; returns the process exit code (0 ok, 1 failed, 2 bad usage). */
export function runOps(argv: string[], io: Io, options: RunOptions = {}): Promise<number> {
  return runProgram(OPS, argv, io, options);
}
