import type { ReconcilerCheckpoint } from '../adapters/reconciler-checkpoint';
import type { ListedStripeEvent, StripeEventSource } from '../adapters/stripe-events-api';
import { HANDLED_EVENT_TYPES } from '../domain/stripe-events';
import { acceptStripeEvent, type AcceptDeps } from '../webhook/use-case';

export interface ReconcilerDeps {
  /** Stripe's List events API (a restricted key that can only read events) */
  source: StripeEventSource;
  checkpoint: ReconcilerCheckpoint;
  /** the webhook's record-and-start path (the same inbox, Step Functions and livemode) */
  accept: AcceptDeps;
  now?: () => Date;
}

export interface ReconcileOptions {
  /**
   * List from this Unix second instead of the checkpoint, and leave the checkpoint alone (a run by
   * hand: `ops reconcile --stripe --since 3d`). Stripe keeps events for 30 days.
   */
  since?: number;
  /**
   * Events younger than this many seconds are left for the next run: Stripe may still be delivering
   * them to the webhook, and finding them here would raise a false alarm. @default 300
   */
  graceSeconds?: number;
  /** Without a checkpoint (the first scheduled run), look back this many seconds. @default 7200 */
  initialLookbackSeconds?: number;
}

/** One event the reconciler handled, by what became of it. */
export interface ReconciledEvent {
  eventId: string;
  type: string;
  created: number;
}

export interface ReconcileResult {
  /** the window listed: `created` from `from` to `to`, Unix seconds, both inclusive */
  window: { from: number; to: number };
  listed: number;
  /** not in the inbox: recorded and started now (the webhook never got them) */
  missed: (ReconciledEvent & { executionArn: string })[];
  /** already in the inbox; their execution confirmed (or started) */
  known: number;
  /** of a handled type but not the shop's (no order), as the webhook ignores them */
  ignored: number;
  /** never processable (malformed, other livemode), as the webhook answers 400 */
  rejected: (ReconciledEvent & { reason: string })[];
  /** DynamoDB or Step Functions failed: the checkpoint stays, the next run tries them again */
  failed: (ReconciledEvent & { error: string })[];
  /** the checkpoint written by this run (undefined: left alone) */
  checkpoint?: number;
}

/** Stripe keeps events for 30 days (https://docs.stripe.com/api/events). */
export const STRIPE_EVENT_RETENTION_SECONDS = 30 * 86_400;

/**
 * Compares Stripe's own list of events with the inbox and delivers every handled event the webhook
 * never recorded, through the webhook's record-and-start path (acceptStripeEvent), so each is
 * started exactly once whichever of the two gets it first. Lists `created` from the checkpoint (or
 * `since`) to now − grace, oldest first; then moves the checkpoint to the window's end, unless an
 * event failed (the next run lists the same window again; delivering twice is harmless).
 *
 * Known events cost one refused put and one idempotent StartExecution each, which also completes
 * an event whose first delivery died between the two. Throws only when Stripe's API or the
 * checkpoint fails (nothing is lost: the next run starts from the same checkpoint).
 */
export async function reconcileStripeEvents(deps: ReconcilerDeps, options: ReconcileOptions = {}): Promise<ReconcileResult> {
  const now = Math.floor((deps.now?.() ?? new Date()).getTime() / 1000);
  const to = now - (options.graceSeconds ?? 300);
  const oldest = now - STRIPE_EVENT_RETENTION_SECONDS;
  const from = Math.max(oldest, options.since ?? (await deps.checkpoint.read()) ?? to - (options.initialLookbackSeconds ?? 7200));
  const result: ReconcileResult = { window: { from, to }, listed: 0, missed: [], known: 0, ignored: 0, rejected: [], failed: [] };
  if (from > to) return result;

  const events = await deps.source.list({ createdGte: from, createdLte: to, types: HANDLED_EVENT_TYPES });
  result.listed = events.length;
  for (const event of [...events].sort(byCreation)) {
    const summary = { eventId: event.id, type: event.type, created: event.created };
    try {
      const outcome = await acceptStripeEvent(deps.accept, event);
      if (outcome.status === 400) result.rejected.push({ ...summary, reason: outcome.reason });
      else if (outcome.outcome === 'ignored') result.ignored += 1;
      else if (outcome.outcome === 'duplicate') result.known += 1;
      else result.missed.push({ ...summary, executionArn: outcome.executionArn });
    } catch (error) {
      result.failed.push({ ...summary, error: error instanceof Error ? `${error.name}: ${error.message}` : String(error) });
    }
  }
  if (options.since === undefined && result.failed.length === 0) {
    // both bounds are inclusive: the next window starts one second after this one
    await deps.checkpoint.advance(to + 1);
    result.checkpoint = to + 1;
  }
  return result;
}

function byCreation(a: ListedStripeEvent, b: ListedStripeEvent): number {
  return a.created - b.created || a.id.localeCompare(b.id);
}
