import { TransientError } from '../domain/errors';
import { type Order, type RefundEmail, unfulfilledPaymentsOf } from '../domain/order';
import { canReverseRefundTo, canTransition, hasBeenPaid, type OrderStatus } from '../domain/order-status';
import {
  amountRefundedOf,
  CHARGE_TOTAL,
  checkRefundClaim,
  mergeRefunds,
  refundReversed,
  shownRefund,
  type RefundLedger,
} from '../domain/refunds';
import type { Signal } from '../domain/signals';
import type { RefundInput } from '../domain/workflow-input';
import type { InvoicesPort } from '../ports/invoices';
import { type ChargeOwner, ownerOfCharge } from './charge-owner';
import { nowIso } from './deps';

/** What recordRefund depends on: the orders, the subscription invoices' records, a clock. */
export type RefundDeps = Parameters<typeof ownerOfCharge>[0] & { invoices: InvoicesPort };

/**
 * What recordRefund did.
 *
 * - `apply: true`: the refund is the order's; the workflow settles its petals and emails the
 *   customer with `emailTemplate` (`refund`: what is refunded now; `refund-failed`: a counted
 *   refund failed or was canceled, `refundedBefore` is what the customer had been told), the
 *   outbox id made distinct by `emailKey`. (The workflow's cancel step then cancels the print of
 *   a refunded order that Printify has not produced yet: cancelRefundedPrint.)
 * - `apply: false`, `owner: invoice`: a refund of one of our subscription invoices' charges,
 *   recorded on the invoice's record (its refunds by id, `amountRefunded` now); the workflow then
 *   settles the invoice's petals (settleInvoicePetals). No email: Stripe's receipt is the only one
 *   a subscriber gets for an invoice.
 * - `apply: false`, `owner: mismatch | none`: nothing was touched; the execution ends without effect.
 * - `apply: false`, `owner: unfulfilled`: a refund of one of the named order's unfulfilled payments
 *   (another payment intent: `ops hold refund <order> <pi>`): the order is untouched, no alarm.
 * - `apply: false`, `owner: impossible`: the event claims what the order's payment cannot have
 *   refunded (above what was charged, or in a currency neither charged nor the order's:
 *   checkRefundClaim): nothing was touched, flagged (refund-claim-impossible) for an operator.
 *
 * Amounts in minor units.
 */
export type RefundRecorded =
  | {
      apply: true;
      orderId: string;
      amountRefunded: number;
      refundedBefore: number;
      fullyRefunded: boolean;
      status: Order['status'];
      emailTemplate: 'refund' | 'refund-failed';
      emailKey: string;
      signals: Signal[];
    }
  | {
      apply: false;
      owner: 'invoice';
      invoiceId: string;
      amountRefunded: number;
      refundedBefore: number;
      reason: string;
      signals: Signal[];
    }
  | { apply: false; owner: 'mismatch' | 'none' | 'impossible' | 'unfulfilled'; reason: string; signals: Signal[] };

/** The refunds an event reports, as ledger entries (its Refund objects; else the charge's cumulative amount_refunded). */
function refundsOfEvent(input: RefundInput): RefundLedger {
  const at = input.created;
  if (input.refunds && input.refunds.length > 0) {
    return Object.fromEntries(
      input.refunds.map((r) => [
        r.refundId,
        { amount: r.amount, status: r.status, at, ...(r.created !== undefined ? { created: r.created } : {}) },
      ]),
    );
  }
  if (input.amountRefunded === undefined) return {};
  return { [CHARGE_TOTAL]: { amount: input.amountRefunded, status: 'succeeded', at } };
}

/** How many counted refunds of the ledger failed or were canceled (distinguishes repeated emails of the same amount). */
const reversals = (ledger: RefundLedger) =>
  Object.entries(ledger).filter(([id, r]) => !id.startsWith('charge:') && refundReversed(r.status)).length;

const MAX_ROUNDS = 5;

/**
 * Records a refund event's Refund objects (by refund id, with amount and status) on the order
 * whose payment intent the charge is, and derives what is refunded now from them (amountRefundedOf
 * in domain/refunds.ts): refunds that fail or are canceled count no more, so the amount goes down
 * as well as up, in any order of arrival. A paid order fully refunded becomes `refunded`; a
 * refunded order no longer fully refunded returns to the status it had (REFUND_REVERSAL_STATUSES).
 * An order whose held payment an operator refunded (`ops hold refund`, holdResolution refunded)
 * counts as fully refunded once what was charged (the held payment's amount) is: Stripe's own
 * events for that refund leave it refunded, with no petals; if that refund fails or is canceled,
 * the order is held again (payment_mismatch, paid-not-fulfilled) for the operator.
 * A refund that overtakes its payment (same payment intent) is recorded on the pending order and
 * applied when the payment arrives (recordPayment).
 *
 * An event whose payment intent is not the named order's, or that is no order's or invoice's we
 * know, touches no order (`apply: false`, with charge-order-mismatch or charge-without-order); a
 * subscription invoice's charge is recorded on the invoice's record (`owner: invoice`). Throws
 * OrderNotReadyError while a charge naming a pending order may still become its payment
 * (ownerOfCharge: the workflow retries), TransientError when concurrent writers kept changing the
 * order (retry), and the store's errors.
 */
export async function recordRefund(deps: RefundDeps, input: RefundInput): Promise<RefundRecorded> {
  const owner = await ownerOfCharge(deps, input);
  if (owner.kind === 'invoice') return recordInvoiceRefund(deps, owner.invoiceId, input);
  if (owner.kind === 'mismatch' && owner.claimedOrderId && input.paymentIntentId) {
    // a refund of one of the named order's extra payments (ops hold refund <order> <pi>, or the
    // Dashboard): that money was never the order's, so the order is untouched, and it is no mismatch
    const named = await deps.orders.get(owner.claimedOrderId);
    const extra = named ? unfulfilledPaymentsOf(named)[input.paymentIntentId] : undefined;
    if (extra) {
      return {
        apply: false,
        owner: 'unfulfilled',
        reason: `a refund of payment ${input.paymentIntentId}, one of order ${owner.claimedOrderId}'s unfulfilled payments${extra.resolution ? ` (${extra.resolution.action})` : ''}: the order is untouched`,
        signals: [],
      };
    }
  }
  if (owner.kind !== 'order') return notApplied(owner);
  const orderId = owner.orderId;
  const incoming = refundsOfEvent(input);
  for (let round = 0; round < MAX_ROUNDS; round++) {
    const before = await deps.orders.require(orderId);
    const refundedBefore = before.amountRefunded ?? 0;
    // an order refunded before refunds were kept by id: what it showed is the charge's total so far
    const known = before.refunds ?? (refundedBefore > 0 ? { [CHARGE_TOTAL]: { amount: refundedBefore, status: 'succeeded', at: 0 } } : {});
    // refunds are claims in the charge's currency, checked against what the order's payment charged
    const claim = checkRefundClaim(before, input);
    if (claim.kind === 'impossible') return impossible(`order ${orderId}`, claim.detail);
    const { basis } = claim;
    const refunds = mergeRefunds(known, incoming);
    const refundedOfCharge = amountRefundedOf(refunds);
    if (refundedOfCharge > basis.amount)
      return impossible(
        `order ${orderId}`,
        `refunds of ${refundedOfCharge} ${basis.currency} in all, above what was charged (${basis.amount} ${basis.currency})`,
      );
    // what the order shows, in its own currency: never above its total nor above what was charged
    const amountRefunded = shownRefund(before, refundedOfCharge, basis);
    // an operator's refund of a held payment (ops hold refund) paid back what was charged, not what the order owes
    const refundedHold = before.holdResolution?.action === 'refunded';
    const fullyRefunded = refundedOfCharge >= basis.amount;
    let status: OrderStatus = before.status;
    const lowered = amountRefunded < refundedBefore;
    const generation = reversals(refunds);
    // the customer hears of a change of the refunded amount only: an event that leaves it as it
    // was repeats the email of the event that set it (same outbox id: sent once, and a retry after
    // a crash between the write and the email still sends it)
    const email: RefundEmail =
      amountRefunded === refundedBefore
        ? (before.refundEmail ?? { template: 'refund', key: `${amountRefunded}` })
        : lowered
          ? { template: 'refund-failed', key: `${refundedBefore}-${amountRefunded}#${generation}`, refundedBefore }
          : { template: 'refund', key: generation > 0 ? `${amountRefunded}#${generation}` : `${amountRefunded}` };
    const changes: Record<string, unknown> = {
      refunds,
      amountRefunded,
      refundsVersion: (before.refundsVersion ?? 0) + 1,
      refundEmail: email,
      // petals are taken back by the refunded fraction of the charge
      refundedOfCharge: { amount: refundedOfCharge, of: basis.amount, currency: basis.currency },
    };
    if (fullyRefunded && hasBeenPaid(before.status) && canTransition(before.status, 'refunded')) {
      status = 'refunded';
      Object.assign(changes, { status, statusBeforeRefund: before.status, refundedAt: nowIso(deps) });
    } else if (!fullyRefunded && before.status === 'refunded' && refundedHold) {
      // the operator's refund failed or was canceled: the held money is back with the shop, so the
      // order is held again for the operator to accept or refund (ops held lists it)
      status = 'payment_mismatch';
      Object.assign(changes, { status, holdResolution: null, refundReversedAt: nowIso(deps) });
    } else if (!fullyRefunded && before.status === 'refunded') {
      status = before.statusBeforeRefund && canReverseRefundTo(before.statusBeforeRefund) ? before.statusBeforeRefund : 'paid';
      Object.assign(changes, { status, statusBeforeRefund: null, refundReversedAt: nowIso(deps) });
      if ((before as Order & { printifyCanceledAt?: string }).printifyCanceledAt) {
        // the print was canceled for the refund: the paid order needs a new one (ops retry-mapping)
        status = 'fulfillment_failed';
        Object.assign(changes, {
          status,
          failureReason: 'The refund failed after its Printify order was canceled: create it again (ops retry-mapping).',
        });
      }
    }
    const unchanged =
      JSON.stringify(refunds) === JSON.stringify(before.refunds ?? null) &&
      amountRefunded === refundedBefore &&
      status === before.status &&
      before.refundedOfCharge?.amount === refundedOfCharge &&
      before.refundedOfCharge.of === basis.amount;
    const after = unchanged
      ? before
      : await deps.orders.compareAndSet(orderId, { refundsVersion: before.refundsVersion, status: before.status }, changes);
    if (!after) continue; // another writer changed the order: read again, merge again
    const signals: Signal[] = [];
    if (lowered) signals.push({ kind: 'refund-reversed' });
    if (status === 'payment_mismatch' && before.status === 'refunded') signals.push({ kind: 'paid-not-fulfilled' });
    return {
      apply: true,
      orderId,
      amountRefunded,
      // a repeated email (an event that changed nothing) says what the first one said
      refundedBefore: amountRefunded === refundedBefore ? (before.refundEmail?.refundedBefore ?? refundedBefore) : refundedBefore,
      fullyRefunded,
      status: after.status,
      emailTemplate: email.template,
      emailKey: email.key,
      signals,
    };
  }
  throw new TransientError(`the refunds of order ${orderId} did not settle in ${MAX_ROUNDS} rounds`);
}

/**
 * A refund of a subscription invoice's charge: merged by refund id into the invoice's record (the
 * same arithmetic as an order's), which is created if the invoice's payment is not recorded yet.
 * Guarded by the record's refundsVersion; TransientError when concurrent writers kept changing it.
 */
async function recordInvoiceRefund(deps: RefundDeps, invoiceId: string, input: RefundInput): Promise<RefundRecorded> {
  const incoming = refundsOfEvent(input);
  for (let round = 0; round < MAX_ROUNDS; round++) {
    const before = (await deps.invoices.get(invoiceId)) ?? { invoiceId };
    const refunds = mergeRefunds(before.refunds, incoming);
    const amountRefunded = amountRefundedOf(refunds);
    if (before.amountPaid !== undefined && before.currency) {
      // the same check as an order's: never more than the invoice's payment, in its currency (an
      // invoice is charged in its own currency: what was paid is what was charged, so a refund in
      // another currency is impossible rather than judged against the event's own charge amount)
      const paid = { amount: before.amountPaid, currency: before.currency };
      const claim = checkRefundClaim(
        { amountTotal: paid.amount, currency: paid.currency, chargedAmount: paid.amount, chargedCurrency: paid.currency },
        input,
      );
      if (claim.kind === 'impossible') return impossible(`invoice ${invoiceId}`, claim.detail);
      if (amountRefunded > claim.basis.amount)
        return impossible(`invoice ${invoiceId}`, `refunds of ${amountRefunded} ${claim.basis.currency} in all, above what was paid`);
    }
    const refundedBefore = before.amountRefunded ?? 0;
    const unchanged = before.refunds !== undefined && JSON.stringify(refunds) === JSON.stringify(before.refunds);
    const after = unchanged
      ? before
      : await deps.invoices.compareAndSet(
          invoiceId,
          { refundsVersion: before.refundsVersion },
          { refunds, amountRefunded, refundsVersion: (before.refundsVersion ?? 0) + 1 },
        );
    if (!after) continue;
    return {
      apply: false,
      owner: 'invoice',
      invoiceId,
      amountRefunded,
      refundedBefore,
      reason: `a refund of subscription invoice ${invoiceId}`,
      signals: amountRefunded < refundedBefore ? [{ kind: 'refund-reversed' }] : [],
    };
  }
  throw new TransientError(`the refunds of invoice ${invoiceId} did not settle in ${MAX_ROUNDS} rounds`);
}

/** A refund event claiming what the order's payment cannot have refunded: nothing touched, flagged. */
function impossible(whose: string, detail: string): RefundRecorded {
  return {
    apply: false,
    owner: 'impossible',
    reason: `${whose}: ${detail}; nothing was changed`,
    signals: [{ kind: 'refund-claim-impossible' }],
  };
}

/** A refund that is not one of our orders' or invoices': nothing touched, flagged (mismatch) or ignored (no one's we know). */
function notApplied(owner: Exclude<ChargeOwner, { kind: 'order' | 'invoice' }>): RefundRecorded {
  return {
    apply: false,
    owner: owner.kind,
    reason: owner.reason,
    signals: [{ kind: owner.kind === 'mismatch' ? 'charge-order-mismatch' : 'charge-without-order' }],
  };
}
