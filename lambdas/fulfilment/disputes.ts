import { TransientError } from '../domain/errors';
import { disputeEventIsNewer, disputeOutcome } from '../domain/disputes';
import type { Order } from '../domain/order';
import type { Signal } from '../domain/signals';
import type { DisputeInput } from '../domain/workflow-input';
import { type ChargeOwner, type ChargeOwnerDeps, ownerOfCharge } from './charge-owner';
import { nowIso } from './deps';

/**
 * What recordDispute did.
 *
 * - `apply: true`: the dispute is the order's; `disputeStatus` is what the order shows now (the
 *   workflow then settles its petals: held while open or lost, given back when won), `opened` the
 *   first time this dispute is seen open (dispute-opened), `applied` whether this event was the
 *   newest and changed the order.
 * - `apply: false`: nothing was touched (`owner`: mismatch, none, or invoice); the execution ends.
 *
 * A dispute of one of our subscription invoices' charges (`owner: invoice`) is logged and changes
 * no petals, on purpose: a subscription is not shipped goods (no evidence to gather from the
 * pipeline, nothing to stop printing), Stripe Billing already tells the shop (the dispute's email,
 * the Dashboard), and its petals are one invoice's bonus. If the dispute is lost, the bank's
 * reversal is not a refund: no charge.refunded comes, so the bonus stays; the operator may take it
 * back with an adjustment (README runbook). Holding them as an order's would need a dispute
 * ledger on the invoice record for little money.
 */
export type DisputeRecorded =
  | {
      apply: true;
      orderId: string;
      disputeStatus: NonNullable<Order['disputeStatus']> | 'none';
      opened: boolean;
      applied: boolean;
      signals: Signal[];
    }
  | { apply: false; owner: Exclude<ChargeOwner['kind'], 'order'>; reason: string; signals: Signal[] };

const MAX_ROUNDS = 5;

/**
 * Records a dispute event on the order whose payment intent it disputes. Stripe does not order
 * charge.dispute.created/.updated/.closed: the newest event (by its `created`, Unix seconds) wins,
 * a closed status is final for its dispute, an older close never overrides a newer one
 * (disputeEventIsNewer in domain/disputes.ts). Every documented status maps explicitly
 * (DISPUTE_STATUS_OUTCOMES); an unknown one is recorded as Stripe's status and logged
 * (dispute-status-unknown) but leaves the order's dispute status, and so its petals, as they were.
 *
 * A dispute whose payment intent is not the named order's, or no order's, touches nothing
 * (`apply: false`). Throws TransientError when concurrent writers kept changing the order, and the
 * store's errors (retry).
 */
export async function recordDispute(deps: ChargeOwnerDeps, input: DisputeInput): Promise<DisputeRecorded> {
  const owner = await ownerOfCharge(deps, { paymentIntentId: input.paymentIntentId, orderId: input.orderId });
  if (owner.kind !== 'order') {
    const reason = owner.kind === 'invoice' ? `a dispute of subscription invoice ${owner.invoiceId}` : owner.reason;
    return {
      apply: false,
      owner: owner.kind,
      reason,
      signals: owner.kind === 'invoice' ? [] : [{ kind: owner.kind === 'mismatch' ? 'charge-order-mismatch' : 'charge-without-order' }],
    };
  }
  const orderId = owner.orderId;
  const outcome = disputeOutcome(input.status);
  const unknown: Signal[] = outcome === undefined ? [{ kind: 'dispute-status-unknown' }] : [];
  for (let round = 0; round < MAX_ROUNDS; round++) {
    const before = await deps.orders.require(orderId);
    const shown = (order: Order) => ({ apply: true as const, orderId, disputeStatus: order.disputeStatus ?? ('none' as const) });
    if (!disputeEventIsNewer(before, { disputeId: input.disputeId, stripeStatus: input.status, at: input.created })) {
      return { ...shown(before), opened: false, applied: false, signals: unknown };
    }
    const sameDispute = before.disputeId === input.disputeId;
    const status = outcome ?? (sameDispute ? before.disputeStatus : undefined);
    const now = nowIso(deps);
    const changes = {
      disputeId: input.disputeId,
      disputeReason: input.reason,
      disputeAmount: input.amount,
      disputeStripeStatus: input.status,
      disputeEventAt: input.created,
      // unknown status of another dispute: nothing known to hold; of the same: as it was
      disputeStatus: status ?? null,
      ...(status === 'open' && !(sameDispute && before.disputeStatus === 'open') ? { disputeOpenedAt: now } : {}),
      ...(status === 'won' || status === 'lost' ? { disputeClosedAt: now } : {}),
    };
    const after = await deps.orders.compareAndSet(
      orderId,
      { disputeId: before.disputeId, disputeStripeStatus: before.disputeStripeStatus, disputeEventAt: before.disputeEventAt },
      changes,
    );
    if (!after) continue;
    const opened = status === 'open' && !(sameDispute && before.disputeStatus === 'open');
    return { ...shown(after), opened, applied: true, signals: [...(opened ? [{ kind: 'dispute-opened' as const }] : []), ...unknown] };
  }
  throw new TransientError(`the dispute of order ${orderId} did not settle in ${MAX_ROUNDS} rounds`);
}
