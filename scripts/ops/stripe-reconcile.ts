import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { DynamoReconcilerCheckpoint } from '../../lambdas/adapters/reconciler-checkpoint';
import { StripeEventInbox } from '../../lambdas/adapters/stripe-event-inbox';
import { StripeEventsApi } from '../../lambdas/adapters/stripe-events-api';
import { StepFunctionsStarter } from '../../lambdas/adapters/workflow-starter';
import { WORKFLOWS, type WorkflowName } from '../../lambdas/domain/stripe-events';
import { reconcileStripeEvents, type ReconcileResult } from '../../lambdas/reconciler/use-case';
import { DEFAULTS } from '../../local/defaults';
import { LOCAL_STRIPE_API_KEY } from '../../local/stripe-api';
import type { OpsCommand } from './cli';
import { OpsError, UsageError, type Target } from '../cli/target';

/** `--since 3d` / `12h` / `30m` / an ISO time -> Unix seconds. */
export function sinceSeconds(value: string | undefined, now = Date.now()): number {
  if (!value) throw new UsageError('reconcile --stripe needs --since: an age (3d, 12h, 30m) or an ISO time; Stripe keeps 30 days');
  const relative = /^(\d+)\s*(s|m|min|h|d)$/.exec(value);
  const ms = relative
    ? now -
      Number(relative[1]) * { s: 1000, m: 60_000, min: 60_000, h: 3_600_000, d: 86_400_000 }[relative[2] as 's' | 'm' | 'min' | 'h' | 'd']
    : new Date(value).getTime();
  if (Number.isNaN(ms)) throw new UsageError(`--since ${value}: give an age (3d, 12h, 30m) or an ISO time`);
  return Math.floor(ms / 1000);
}

/**
 * The restricted Stripe key: --stripe-key, else $STRIPE_API_KEY, else (a deployed stack) the secret
 * named by its StripeReconcilerApiKeySecretArn output, else (local) the stand-in's key.
 */
async function stripeKey(target: Target, flags: Record<string, string | boolean | undefined>, env: NodeJS.ProcessEnv): Promise<string> {
  const given = (flags['stripe-key'] as string | undefined) ?? env.STRIPE_API_KEY;
  if (given) return given;
  if (target.local) return LOCAL_STRIPE_API_KEY;
  const arn = target.outputs?.StripeReconcilerApiKeySecretArn;
  if (!arn) throw new OpsError('the stack has no StripeReconcilerApiKeySecretArn output: pass --stripe-key or set STRIPE_API_KEY');
  const client = new SecretsManagerClient({});
  try {
    const { SecretString } = await client.send(new GetSecretValueCommand({ SecretId: arn }));
    if (!SecretString) throw new OpsError(`secret ${arn} has no value: put the restricted key there`);
    return SecretString;
  } finally {
    client.destroy();
  }
}

/**
 * `ops reconcile --stripe --since 3d`: the scheduled reconciler's use case, run here over a window
 * of your choosing (the schedule's checkpoint is left alone), against the local stack (the Stripe
 * API stand-in of `npm start`) or a deployed stage (--stage: Stripe's API with the stack's restricted key).
 */
export async function reconcileWithStripe(
  target: Target,
  flags: Record<string, string | boolean | undefined>,
  env: NodeJS.ProcessEnv = process.env,
): Promise<ReconcileResult> {
  const since = sinceSeconds(flags.since as string | undefined);
  const byWorkflow = new Map(target.stateMachines.map((m) => [m.workflow, m.arn]));
  const missing = WORKFLOWS.filter((w) => !byWorkflow.has(w));
  if (missing.length) throw new OpsError(`no state machine for ${missing.join(', ')} in ${target.description}`);
  const stateMachineArns = Object.fromEntries(WORKFLOWS.map((w) => [w, byWorkflow.get(w)!])) as Record<WorkflowName, string>;
  const key = await stripeKey(target, flags, env);
  const url =
    (flags['stripe-api-url'] as string | undefined) ??
    env.STRIPE_API_URL ??
    (target.local ? `http://127.0.0.1:${env.STRIPE_API_PORT || DEFAULTS.stripeApiPort}` : 'https://api.stripe.com');
  return reconcileStripeEvents(
    {
      source: new StripeEventsApi(async () => key, url),
      checkpoint: new DynamoReconcilerCheckpoint(target.db, target.tableName),
      accept: { inbox: new StripeEventInbox(target.db, target.tableName), starter: new StepFunctionsStarter(target.sfn), stateMachineArns },
    },
    { since, graceSeconds: Number(flags['grace-seconds'] ?? 0) },
  );
}

/** The `reconcile --stripe` command (wired into COMMANDS in cli.ts). */
export const stripeReconcileCommand: OpsCommand = {
  summary: "lists Stripe's events since a time and starts every one the webhook never recorded",
  help: `Runs the scheduled reconciler's use case by hand: lists Stripe's events of the handled types
created since --since (an age: 3d, 12h, 30m, or an ISO time; Stripe keeps 30 days), and delivers
every one not in the event inbox through the webhook's own record-and-start path. Events already
recorded are only confirmed (an idempotent StartExecution). The schedule's checkpoint is not moved.`,
  options: [
    { flags: '--stripe', description: "compare the inbox with Stripe's list of events instead" },
    { flags: '--since <time>', description: 'with --stripe: an age (3d, 12h, 30m) or an ISO time' },
    {
      flags: '--stripe-key <key>',
      description:
        "with --stripe: a restricted key that can read events (default $STRIPE_API_KEY, the stage's secret, or the local stand-in's key)",
    },
    {
      flags: '--stripe-api-url <url>',
      description: `with --stripe: default the local stand-in (port $STRIPE_API_PORT, ${DEFAULTS.stripeApiPort}), or https://api.stripe.com`,
    },
    { flags: '--grace-seconds <n>', description: 'with --stripe: leave events younger than this (default 0)' },
  ],
  async run(target, _positionals, flags) {
    if (!flags.stripe) throw new UsageError("reconcile: pass --stripe to reconcile the inbox with Stripe's list of events");
    return reconcileWithStripe(target, flags);
  },
  text(result: ReconcileResult) {
    const iso = (s: number) => new Date(s * 1000).toISOString().replace(/\.000Z$/, 'Z');
    return [
      `Stripe events created ${iso(result.window.from)} .. ${iso(result.window.to)}: ${result.listed} listed`,
      `  missed by the webhook, started now: ${result.missed.length}`,
      ...result.missed.map((m) => `    ${m.eventId}  ${m.type}  created ${iso(m.created)}`),
      `  already recorded: ${result.known}   not the shop's: ${result.ignored}   rejected: ${result.rejected.length}   failed: ${result.failed.length}`,
      ...result.rejected.map((r) => `    rejected ${r.eventId}: ${r.reason}`),
      ...result.failed.map((f) => `    failed ${f.eventId}: ${f.error} (run it again)`),
    ].join('\n');
  },
};
