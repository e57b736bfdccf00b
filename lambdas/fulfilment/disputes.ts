import { TransientError } from '../domain/errors';
import { type DisputeSeen, disputeEventIsNewer, disputeOutcome } from '../domain/disputes';
import type { Order } from '../domain/order';
import type { Signal } from '../domain/signals';
import type { DisputeInput } from '../domain/workflow-input';
import type { InvoicesPort } from '../ports/invoices';
import { type ChargeOwnerDeps, ownerOfCharge } from './charge-owner';
import { nowIso } from './deps';

/**
 * What recordDispute did.
 *
 * - `apply: true`: the dispute is the order's; `disputeStatus` is what the order shows now (the
 *   workflow then settles its petals: held while open or lost, given back when won), `opened` the
 *   first time this dispute is seen open (dispute-opened), `applied` whether this event was the
 *   newest and changed the order.
 * - `apply: false`, `owner: invoice`: the same, on one of our subscription invoices' records (the
 *   workflow then settles the invoice's petals: settleInvoicePetals).
 * - `apply: false`, `owner: mismatch | none`: nothing was touched; the execution ends.
 */
export type DisputeRecorded =
  | ({ apply: true; orderId: string } & DisputeShown)
  | ({ apply: false; owner: 'invoice'; invoiceId: string; reason: string } & DisputeShown)
  | { apply: false; owner: 'mismatch' | 'none'; reason: string; signals: Signal[] };

interface DisputeShown {
  disputeStatus: NonNullable<Order['disputeStatus']> | 'none';
  opened: boolean;
  applied: boolean;
  signals: Signal[];
}

const MAX_ROUNDS = 5;

/** What recordDispute depends on: the orders, the subscription invoices' records, a clock. */
export type DisputeDeps = ChargeOwnerDeps & { invoices: Pick<InvoicesPort, 'get' | 'compareAndSet'> };

/** Where a dispute is recorded: an order, or a subscription invoice's record (both keep the same dispute fields). */
interface DisputeSubject {
  name: string;
  read(): Promise<DisputeSeen>;
  compareAndSet(expected: Record<string, string | number | undefined>, changes: Record<string, unknown>): Promise<DisputeSeen | undefined>;
}

/**
 * Records a dispute event on the order whose payment intent it disputes, or on the subscription
 * invoice's record whose charge it disputes (its petals are held and given back as an order's:
 * one rule for every charge of ours). Stripe does not order charge.dispute.created/.updated/.closed:
 * the newest event (by its `created`, Unix seconds) wins, a closed status is final for its
 * dispute, an older close never overrides a newer one (disputeEventIsNewer in domain/disputes.ts).
 * Every documented status maps explicitly (DISPUTE_STATUS_OUTCOMES); an unknown one is recorded as
 * Stripe's status and logged (dispute-status-unknown) but leaves the dispute status, and so the
 * petals, as they were.
 *
 * A dispute whose payment intent is not the named order's, or no order's or invoice's we know,
 * touches nothing (`apply: false`). Throws TransientError when concurrent writers kept changing
 * the order or record, and the store's errors (retry).
 */
export async function recordDispute(deps: DisputeDeps, input: DisputeInput): Promise<DisputeRecorded> {
  const owner = await ownerOfCharge(deps, { paymentIntentId: input.paymentIntentId, orderId: input.orderId });
  if (owner.kind === 'mismatch' || owner.kind === 'none') {
    return {
      apply: false,
      owner: owner.kind,
      reason: owner.reason,
      signals: [{ kind: owner.kind === 'mismatch' ? 'charge-order-mismatch' : 'charge-without-order' }],
    };
  }
  if (owner.kind === 'invoice') {
    const { invoiceId } = owner;
    const shown = await recordOn(deps, input, {
      name: `invoice ${invoiceId}`,
      read: async () => (await deps.invoices.get(invoiceId)) ?? {},
      compareAndSet: (expected, changes) => deps.invoices.compareAndSet(invoiceId, expected, changes),
    });
    return { apply: false, owner: 'invoice', invoiceId, reason: `a dispute of subscription invoice ${invoiceId}`, ...shown };
  }
  const { orderId } = owner;
  const shown = await recordOn(deps, input, {
    name: `order ${orderId}`,
    read: () => deps.orders.require(orderId),
    compareAndSet: (expected, changes) => deps.orders.compareAndSet(orderId, expected, changes),
  });
  return { apply: true, orderId, ...shown };
}

async function recordOn(deps: DisputeDeps, input: DisputeInput, subject: DisputeSubject): Promise<DisputeShown> {
  const outcome = disputeOutcome(input.status);
  const unknown: Signal[] = outcome === undefined ? [{ kind: 'dispute-status-unknown' }] : [];
  for (let round = 0; round < MAX_ROUNDS; round++) {
    const before = await subject.read();
    const shown = (seen: DisputeSeen) => seen.disputeStatus ?? ('none' as const);
    if (!disputeEventIsNewer(before, { disputeId: input.disputeId, stripeStatus: input.status, at: input.created })) {
      return { disputeStatus: shown(before), opened: false, applied: false, signals: unknown };
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
    const after = await subject.compareAndSet(
      { disputeId: before.disputeId, disputeStripeStatus: before.disputeStripeStatus, disputeEventAt: before.disputeEventAt },
      changes,
    );
    if (!after) continue;
    const opened = status === 'open' && !(sameDispute && before.disputeStatus === 'open');
    return {
      disputeStatus: shown(after),
      opened,
      applied: true,
      signals: [...(opened ? [{ kind: 'dispute-opened' as const }] : []), ...unknown],
    };
  }
  throw new TransientError(`the dispute of ${subject.name} did not settle in ${MAX_ROUNDS} rounds`);
}
