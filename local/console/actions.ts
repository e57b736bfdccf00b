// The console's actions. Each calls the code of the command line: the trigger scenarios of
// `npm run trigger`, and the replay, redrive and retry-mapping commands of `npm run ops` (their
// `run`, with the same flags), against the local stack. Each answers with where to go next and
// one line saying what happened; a refusal (OpsError, a bad request) is a message, not a crash.
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { keys } from '../../lambdas/domain/keys';
import type { Order } from '../../lambdas/domain/order';
import {
  postSignedEvent,
  runTriggerScenario,
  parseAmount,
  TriggerUsageError,
  type TriggerOptions,
} from '../../scripts/lib/trigger-scenarios';
import type { RetryMappingResult } from '../../scripts/lib/retry-mapping';
import { COMMANDS } from '../../scripts/ops/cli';
import type { ExecutionReport } from '../../scripts/ops/commands';
import { OpsError } from '../../scripts/ops/target';
import { Storefront } from '../../test/fixtures/storefront';
import type { ConsoleContext } from './context';
import { query } from './html';

/** Where the browser goes after an action, and what the page then says. */
export interface ActionResult {
  /** a console path */
  location: string;
  notice?: string;
  error?: string;
}

/** How long an action waits for the execution it started or redrove before showing it running. */
const WAIT_SECONDS = 30;

const firstLine = (text: string) => text.split('\n')[0] ?? '';
const executionPath = (executionArn: string) => `/executions/view${query({ arn: executionArn })}`;

async function sendTestEvent(context: ConsoleContext, form: URLSearchParams): Promise<ActionResult> {
  const type = form.get('type') ?? '';
  const amount = parseAmount(form.get('amount') ?? undefined);
  const text = (name: string) => (form.get(name) ?? '').trim() || undefined;
  const flag = (name: string) => form.get(name) === '1';
  const options: TriggerOptions = {
    ...(text('order') ? { order: text('order') } : {}),
    ...(text('user') ? { user: text('user') } : {}),
    ...(amount !== undefined ? { amount } : {}),
    unmapped: flag('unmapped'),
    unpaid: flag('unpaid'),
    ship: flag('ship'),
    deliver: flag('deliver'),
  };
  const outcomes: string[] = [];
  let lastExecution: string | undefined;
  const result = await runTriggerScenario(type, options, {
    storefront: new Storefront(context.db, context.tableName),
    readOrder: async (orderId) =>
      (await context.db.send(new GetCommand({ TableName: context.tableName, Key: keys.order(orderId), ConsistentRead: true }))).Item as
        | Order
        | undefined,
    send: async (event) => {
      const { status, answer } = await postSignedEvent(context.stripeWebhookUrl, context.stripeWebhookSecret, event);
      if (status !== 200) throw new Error(`the webhook answered ${status} to ${event.type} ${event.id}: ${JSON.stringify(answer)}`);
      if (!answer.executionArn) {
        outcomes.push(`${event.type} ${event.id}: ${answer.outcome ?? 'no execution'}`);
        return { status, ...(answer.outcome ? { outcome: answer.outcome } : {}) };
      }
      lastExecution = answer.executionArn;
      const stopped = await Promise.race([
        context.stepFunctions.waitFor(answer.executionArn).then((e) => e.status),
        new Promise<string>((resolve) => setTimeout(() => resolve('RUNNING'), WAIT_SECONDS * 1000).unref()),
      ]);
      outcomes.push(`${event.type} ${event.id}: execution ${stopped === 'RUNNING' ? 'still RUNNING' : stopped}`);
      return { status, executionArn: answer.executionArn, executionStatus: stopped };
    },
    printifyUrl: context.printify.baseUrl,
    log: () => undefined,
  });
  const location = result.orderId ? `/orders/${encodeURIComponent(result.orderId)}` : lastExecution ? executionPath(lastExecution) : '/';
  return { location, notice: `Sent ${outcomes.join('; ')}` };
}

async function replay(context: ConsoleContext, form: URLSearchParams): Promise<ActionResult> {
  const report = (await COMMANDS.replay.run(context.target, [form.get('eventId') ?? ''], {
    'wait-seconds': String(WAIT_SECONDS),
  })) as ExecutionReport;
  return { location: executionPath(report.executionArn), notice: `Replayed: ${firstLine(COMMANDS.replay.text(report as never))}` };
}

async function redrive(context: ConsoleContext, form: URLSearchParams): Promise<ActionResult> {
  const executionArn = form.get('executionArn') ?? '';
  const report = (await COMMANDS.redrive.run(context.target, [executionArn], {
    'wait-seconds': String(WAIT_SECONDS),
    force: form.get('force') === '1',
  })) as ExecutionReport;
  return { location: executionPath(report.executionArn), notice: `Redriven: ${firstLine(COMMANDS.redrive.text(report as never))}` };
}

async function retryMapping(context: ConsoleContext, form: URLSearchParams): Promise<ActionResult> {
  const orderId = form.get('orderId') ?? '';
  const command = COMMANDS['retry-mapping'];
  const result = (await command.run(context.target, [orderId], {
    'printify-url': context.printify.baseUrl,
    'printify-shop': context.printify.shopId,
  })) as RetryMappingResult;
  return { location: `/orders/${encodeURIComponent(orderId)}`, notice: command.text(result as never) };
}

/**
 * `npm run ops -- reconcile`, when this checkout's ops command has it (it finishes every unfinished
 * event); the console offers the action only then, and says so otherwise.
 */
export const reconcileCommand = (): (typeof COMMANDS)[string] | undefined => COMMANDS.reconcile;

async function reconcile(context: ConsoleContext, form: URLSearchParams): Promise<ActionResult> {
  const command = reconcileCommand();
  if (!command) throw new OpsError('npm run ops has no reconcile command in this checkout');
  const dryRun = form.get('dryRun') === '1';
  const result = await command.run(context.target, [], { 'dry-run': dryRun });
  return { location: '/', notice: `Reconcile${dryRun ? ' (dry run)' : ''}: ${command.text(result as never)}` };
}

const ACTIONS: Record<string, (context: ConsoleContext, form: URLSearchParams) => Promise<ActionResult>> = {
  trigger: sendTestEvent,
  replay,
  redrive,
  'retry-mapping': retryMapping,
  reconcile,
};

/** Whether `name` is an action (POST /actions/<name>). */
export const isAction = (name: string): boolean => Object.hasOwn(ACTIONS, name);

/**
 * Runs one action. A refusal the command line would print as an error (OpsError, a bad trigger
 * request, a webhook that said no) comes back as `error`, to be shown on `fallback`.
 */
export async function runAction(context: ConsoleContext, name: string, form: URLSearchParams, fallback: string): Promise<ActionResult> {
  try {
    return await ACTIONS[name]!(context, form);
  } catch (error) {
    if (error instanceof OpsError || error instanceof TriggerUsageError) return { location: fallback, error: error.message };
    const e = error as Error;
    return { location: fallback, error: `${e.name ?? 'Error'}: ${e.message}` };
  }
}
