// `npm run trigger -- <event type> [options]`: what `stripe trigger` does, against the local
// pipeline started by `npm start`: sets the scene the event needs (a pending order, its cart and
// product mappings, and whatever Stripe would have sent before it), sends a realistically shaped,
// signed Stripe event, waits for its workflow and prints the outcome and the command to run next.
import '../local/polyfills';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DescribeExecutionCommand, SFNClient } from '@aws-sdk/client-sfn';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { Command, CommanderError } from 'commander';
import { keys } from '../lambdas/domain/keys';
import type { Order } from '../lambdas/domain/order';
import { HANDLED_EVENT_TYPES } from '../lambdas/domain/stripe-events';
import { DYNAMODB_LOCAL_CREDENTIALS } from '../local/dynamodb-local';
import { DEFAULTS } from '../local/local-stack';
import { LOCAL_REGION } from '../local/stack-template';
import { Storefront } from '../test/fixtures/storefront';
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

export const USAGE = `usage: npm run trigger -- <event type> [options]

Sets the scene the event needs, sends it signed to the local webhook (npm start), waits for its
execution and prints one line of outcome and the command to run next.

event types and their scenes:
${HANDLED_EVENT_TYPES.map((t) => `  ${t}\n      ${SCENARIOS[t].describe}`).join('\n')}

options:
  --order <id>     continue this existing order instead of a new one
  --amount <n>     minor units: a refund's amount (default the rest), an invoice's amount paid (default 999)
  --user <id>      the customer of invoice.payment_succeeded (default a new one)
  --unmapped       put a product without a Printify mapping in the new order
  --unpaid         checkout.session.completed with payment_status "unpaid" (a delayed payment)
  --ship           then walk the order on at Printify: sent to production, shipped (signed Printify
                   webhooks from the stand-in to POST /webhooks/printify; shipping email)
  --deliver        --ship, then the parcel delivered
  --json           print one JSON object (eventId, executionStatus, order, next …) instead
  -h, --help       this text

exit status: 0 the execution succeeded; 1 it failed, or the webhook refused the event; 2 usage.
environment: PORT, SFN_PORT, DYNAMODB_PORT or DYNAMODB_ENDPOINT, SES_PORT, PRINTIFY_PORT,
             TABLE_NAME, STRIPE_WEBHOOK_SECRET — the same as for npm start.`;

export interface TriggerIo {
  out(text: string): void;
  err(text: string): void;
}

// ---- the command line's flags: commander, in this block alone ------------------------------------

class UsageError extends Error {}

interface TriggerArgs {
  type?: string;
  rawAmount?: string;
  options: Omit<TriggerOptions, 'amount'>;
  json: boolean;
  help: boolean;
}

/** Parses argv (without node and the script); throws UsageError with one line for a bad flag or argument. */
export function parseTriggerArgs(argv: string[]): TriggerArgs {
  const program = new Command('trigger')
    .argument('[type]')
    .option('--order <id>')
    .option('--amount <n>')
    .option('--user <id>')
    .option('--unmapped')
    .option('--unpaid')
    .option('--ship')
    .option('--deliver')
    .option('--json')
    .option('-h, --help')
    .helpOption(false)
    .allowExcessArguments(false)
    .exitOverride()
    .configureOutput({ writeOut: () => undefined, writeErr: () => undefined, outputError: () => undefined });
  try {
    program.parse(argv, { from: 'user' });
  } catch (error) {
    if (error instanceof CommanderError) throw new UsageError(error.message.replace(/^error: /, ''));
    throw error;
  }
  const o = program.opts<Record<string, string | boolean | undefined>>();
  const text = (v: unknown) => (typeof v === 'string' ? v : undefined);
  return {
    ...(program.args[0] ? { type: program.args[0] } : {}),
    ...(text(o.amount) !== undefined ? { rawAmount: text(o.amount) } : {}),
    options: {
      ...(text(o.order) ? { order: text(o.order) } : {}),
      ...(text(o.user) ? { user: text(o.user) } : {}),
      unmapped: Boolean(o.unmapped),
      unpaid: Boolean(o.unpaid),
      ship: Boolean(o.ship),
      deliver: Boolean(o.deliver),
    },
    json: Boolean(o.json),
    help: Boolean(o.help),
  };
}

// ---- the local stack ---------------------------------------------------------------------------

/** Where the local stack of `npm start` is, from the same environment variables. */
export function localTarget(env: NodeJS.ProcessEnv = process.env) {
  const get = (name: string, fallback: string | number) => env[name] || String(fallback);
  return {
    apiUrl: `http://127.0.0.1:${get('PORT', DEFAULTS.port)}`,
    sfnUrl: `http://127.0.0.1:${get('SFN_PORT', DEFAULTS.sfnPort)}`,
    sesUrl: `http://127.0.0.1:${get('SES_PORT', DEFAULTS.sesPort)}`,
    printifyUrl: `http://127.0.0.1:${get('PRINTIFY_PORT', DEFAULTS.printifyPort)}`,
    dynamodbUrl: env.DYNAMODB_ENDPOINT || `http://127.0.0.1:${get('DYNAMODB_PORT', DEFAULTS.dynamodbPort)}`,
    tableName: get('TABLE_NAME', DEFAULTS.tableName),
    secret: get('STRIPE_WEBHOOK_SECRET', DEFAULTS.stripeWebhookSecret),
  };
}

class Unreachable extends Error {}

/** What the outcome line compares: the order, the customer's petals and the order's emails. */
interface Snapshot {
  order?: Order;
  balance: number;
  emails: number;
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
  const emails = after.emails - before.emails;
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

/**
 * `npm run trigger -- <args>`: resolves with the exit code (0 succeeded; 1 the execution failed or
 * the event was refused; 2 usage). Output goes to `io`; `env` says where the local stack is.
 */
export async function runTrigger(argv: string[], io: TriggerIo, env: NodeJS.ProcessEnv = process.env): Promise<number> {
  let args: TriggerArgs;
  let amount: number | undefined;
  try {
    args = parseTriggerArgs(argv);
    amount = parseAmount(args.rawAmount);
  } catch (error) {
    if (!(error instanceof UsageError || error instanceof TriggerUsageError)) throw error;
    io.err(`trigger: ${error.message}\n\n${USAGE}`);
    return 2;
  }
  if (args.help) {
    io.out(USAGE);
    return 0;
  }
  if (!args.type) {
    io.err(`trigger: which event type?\n\n${USAGE}`);
    return 2;
  }

  const target = localTarget(env);
  const clientConfig = { region: LOCAL_REGION, credentials: DYNAMODB_LOCAL_CREDENTIALS };
  const db = DynamoDBDocumentClient.from(new DynamoDBClient({ ...clientConfig, endpoint: target.dynamodbUrl }));
  const sfn = new SFNClient({ ...clientConfig, endpoint: target.sfnUrl });

  const readOrder = async (orderId: string): Promise<Order | undefined> => {
    const { Item } = await db.send(new GetCommand({ TableName: target.tableName, Key: keys.order(orderId), ConsistentRead: true }));
    if (!Item) return undefined;
    const { pk: _pk, sk: _sk, ...order } = Item;
    return order as Order;
  };
  const snapshot = async (userId: string | undefined, orderId: string | undefined): Promise<Snapshot> => {
    const order = orderId ? await readOrder(orderId) : undefined;
    const { Item } = userId
      ? await db.send(new GetCommand({ TableName: target.tableName, Key: keys.petalBalance(userId), ConsistentRead: true }))
      : { Item: undefined };
    const store = orderId
      ? ((await fetch(`${target.sesUrl}/store`)
          .then((r) => r.json())
          .catch(() => ({ emails: [] }))) as { emails?: { subject?: string }[] })
      : { emails: [] };
    const emails = (store.emails ?? []).filter((m) => orderId && m.subject?.includes(orderId)).length;
    return { ...(order ? { order } : {}), balance: typeof Item?.balance === 'number' ? Item.balance : 0, emails };
  };
  const waitFor = async (executionArn: string) => {
    const deadline = Date.now() + WAIT_MS;
    for (;;) {
      const e = await sfn.send(new DescribeExecutionCommand({ executionArn }));
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
  try {
    const result = await runTriggerScenario(
      args.type,
      { ...args.options, ...(amount !== undefined ? { amount } : {}) },
      {
        storefront: new Storefront(db, target.tableName),
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
          const posted = await postSignedEvent(`${target.apiUrl}/webhooks/stripe`, target.secret, event).catch(() => {
            throw new Unreachable(`cannot reach ${target.apiUrl}: is \`npm start\` running (with the same PORT)?`);
          });
          const { status, answer } = posted;
          return {
            status,
            ...(answer.outcome ? { outcome: answer.outcome } : {}),
            ...(answer.error ? { error: answer.error } : {}),
            ...(answer.executionArn ? { executionArn: answer.executionArn, ...(await waitFor(answer.executionArn)) } : {}),
          };
        },
        printifyUrl: target.printifyUrl,
        log: (message) => {
          if (!args.json) io.out(message);
        },
      },
    );
    const last = result.sent ?? result.events.at(-1);
    if (!last) throw new Error('no event was sent');
    const after = await snapshot(result.userId, result.orderId);
    const failed = !succeeded(result.sent);
    const next = nextCommand(result, after.order, failed);
    if (args.json) {
      io.out(
        JSON.stringify(
          {
            eventType: last.type,
            eventId: last.id,
            requested: result.type,
            ...(result.sent ? {} : { sceneFailed: true }),
            webhookStatus: last.status,
            outcome: last.outcome ?? null,
            executionArn: last.executionArn ?? null,
            executionStatus: last.executionStatus ?? null,
            ...(last.error ? { error: last.error } : {}),
            ...(last.cause ? { cause: last.cause } : {}),
            ...(last.durationMs !== undefined ? { durationMs: last.durationMs } : {}),
            orderId: result.orderId ?? null,
            userId: result.userId,
            statusBefore: before.get(last.id)?.order?.status ?? null,
            order: after.order ?? null,
            petals: { balance: after.balance, change: after.balance - (before.get(last.id)?.balance ?? 0) },
            emails: after.emails - (before.get(last.id)?.emails ?? 0),
            events: result.events,
            next,
          },
          null,
          2,
        ),
      );
    } else {
      io.out(outcomeLine(result, last, before.get(last.id) ?? { balance: 0, emails: 0 }, after));
      io.out(`next: ${next}`);
    }
    return failed ? 1 : 0;
  } catch (error) {
    // with --json, a refusal is one JSON object on stderr too ({"error": …})
    const fail = (code: number, message: string, usage = false) => {
      io.err(args.json ? JSON.stringify({ error: message }) : `trigger: ${message}${usage ? `\n\n${USAGE}` : ''}`);
      return code;
    };
    if (error instanceof TriggerUsageError) {
      const missing = /^order \S+ not found$/.test(error.message);
      return fail(
        2,
        missing ? `${error.message} in table ${target.tableName}` : error.message,
        error.message.startsWith('unknown event type'),
      );
    }
    if (error instanceof Unreachable) return fail(1, error.message);
    const refused = /ECONNREFUSED (\S+)/.exec(error instanceof Error ? error.message : '');
    if (refused) return fail(1, `cannot reach the local stack at ${refused[1]}: is \`npm start\` running (with the same ports)?`);
    throw error;
  } finally {
    db.destroy();
    sfn.destroy();
  }
}

if (require.main === module) {
  const io: TriggerIo = {
    out: (text) => process.stdout.write(`${text}\n`),
    err: (text) => process.stderr.write(`${text}\n`),
  };
  runTrigger(process.argv.slice(2), io)
    .catch((error: unknown) => {
      io.err(`trigger: ${error instanceof Error ? error.message : String(error)}`);
      return 1;
    })
    .then((code) => {
      process.exitCode = code;
    });
}
