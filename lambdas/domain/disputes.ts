import type { Order } from './order';

/**
 * What a Stripe dispute status means for the order's petals (Stripe's Dispute object, `status`:
 * https://docs.stripe.com/api/disputes/object#dispute_object-status and
 * https://docs.stripe.com/disputes/how-disputes-work):
 *
 * - `open`: the dispute runs, the order's petals are held: `warning_needs_response`,
 *   `warning_under_review` (an inquiry, which may still become a chargeback), `needs_response`,
 *   `under_review`.
 * - `won`: closed in the shop's favour, the held petals come back: `won`, `warning_closed` (an
 *   inquiry closed without a chargeback), `prevented` (the dispute was prevented before it became
 *   a chargeback).
 * - `lost`: closed against the shop: the petals stay held.
 *
 * Any other status (one Stripe adds later) is `undefined`: the caller records it and logs it, and
 * neither takes nor gives petals.
 */
export const DISPUTE_STATUS_OUTCOMES: Readonly<Record<string, NonNullable<Order['disputeStatus']>>> = {
  warning_needs_response: 'open',
  warning_under_review: 'open',
  needs_response: 'open',
  under_review: 'open',
  won: 'won',
  warning_closed: 'won',
  prevented: 'won',
  lost: 'lost',
};

/** The order's dispute status for Stripe's `status`; undefined for a status this code does not know. */
export function disputeOutcome(stripeStatus: string): NonNullable<Order['disputeStatus']> | undefined {
  return Object.hasOwn(DISPUTE_STATUS_OUTCOMES, stripeStatus) ? DISPUTE_STATUS_OUTCOMES[stripeStatus] : undefined;
}

/** What the order remembers of the dispute event it shows: its Stripe status and the event's `created` (Unix seconds). */
export interface DisputeSeen {
  disputeId?: string | undefined;
  /** Stripe's own status of the shown event (may be one this code does not know) */
  disputeStripeStatus?: string | undefined;
  /** `created` of the shown event, Unix seconds */
  disputeEventAt?: number | undefined;
  /** the order's dispute status (what an order recorded before events were timed shows alone) */
  disputeStatus?: 'open' | 'won' | 'lost' | undefined;
}

/** Whether a Stripe dispute status is final (the dispute closed): won, lost, warning_closed, prevented. */
export function isClosedDisputeStatus(stripeStatus: string): boolean {
  const outcome = disputeOutcome(stripeStatus);
  return outcome === 'won' || outcome === 'lost';
}

/**
 * Whether a dispute event (`stripeStatus`, created `at`, Unix seconds) should replace what the
 * order shows. Stripe does not order `charge.dispute.created/.updated/.closed`
 * (https://docs.stripe.com/webhooks#event-ordering), so:
 *
 * - another dispute than the one shown: the newer one wins;
 * - the same dispute: a closed status is final, so a not-closed one never replaces it; otherwise
 *   the newer event wins, and of two in the same second a closed one wins over an open one.
 *
 * Pure; the order's write repeats the same test as its condition (OrdersPort.recordDisputeIfNewer).
 */
export function disputeEventIsNewer(shown: DisputeSeen, event: { disputeId: string; stripeStatus: string; at: number }): boolean {
  if (shown.disputeEventAt === undefined || shown.disputeStripeStatus === undefined) {
    // an order recorded before events were timed: its closed outcome is still final for its dispute
    const closed = shown.disputeStatus === 'won' || shown.disputeStatus === 'lost';
    return !(closed && shown.disputeId === event.disputeId && !isClosedDisputeStatus(event.stripeStatus));
  }
  if (shown.disputeId !== event.disputeId) return event.at >= shown.disputeEventAt;
  const shownClosed = isClosedDisputeStatus(shown.disputeStripeStatus);
  const eventClosed = isClosedDisputeStatus(event.stripeStatus);
  if (shownClosed && !eventClosed) return false;
  if (eventClosed && !shownClosed) return true;
  return event.at > shown.disputeEventAt || (event.at === shown.disputeEventAt && event.stripeStatus === shown.disputeStripeStatus);
}
