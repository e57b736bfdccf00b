import type { InvoiceRecord } from './invoice';
import { ledgerEntryIds } from './keys';
import { wholeUnits } from './money';
import type { Order } from './order';
import { hasBeenPaid } from './order-status';
import { amountEarningPetals } from './payment-check';

/**
 * Petals per whole unit of each currency. One petal per whole US dollar is the shop's rule; other
 * currencies earn petals only when a rate is configured for them (PETAL_RATES, JSON), so that a
 * new currency never silently earns 100x the petals.
 */
export type PetalRates = Readonly<Record<string, number>>;

export const DEFAULT_PETAL_RATES: PetalRates = { usd: 1 };

export function parsePetalRates(json: string | undefined): PetalRates {
  if (!json) return DEFAULT_PETAL_RATES;
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch {
    throw new Error(`PETAL_RATES is not JSON: ${json}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new Error('PETAL_RATES must be a JSON object such as {"usd":1,"eur":1}');
  }
  const rates: Record<string, number> = {};
  for (const [currency, rate] of Object.entries(parsed)) {
    if (typeof rate !== 'number' || !Number.isFinite(rate) || rate < 0) {
      throw new Error(`PETAL_RATES.${currency} must be a non-negative number`);
    }
    rates[currency.toLowerCase()] = rate;
  }
  // Configuring another currency must not silently stop US dollars earning petals.
  return { ...DEFAULT_PETAL_RATES, ...rates };
}

/** Petals earned by a payment: $49.99 -> 49. */
export function petalsForAmount(amountMinor: number, currency: string, rates: PetalRates): number {
  const rate = rates[currency.toLowerCase()] ?? 0;
  if (amountMinor <= 0 || rate <= 0) return 0;
  // The epsilon keeps a product such as 90 × 0.7 (62.99999…) from losing a whole petal.
  return Math.floor(wholeUnits(amountMinor, currency) * rate + 1e-9);
}

/**
 * How many of the awarded petals a refund of `amountRefunded` (cumulative, as Stripe reports it)
 * takes back in total. Proportional, rounded down so that partial refunds never take more than their
 * share, and exactly `awarded` once the order is fully refunded.
 */
export function petalsToDeduct(awarded: number, amountRefunded: number, amountTotal: number): number {
  if (awarded <= 0 || amountRefunded <= 0) return 0;
  if (amountTotal <= 0 || amountRefunded >= amountTotal) return awarded;
  return Math.min(awarded, Math.floor((awarded * amountRefunded) / amountTotal));
}

/**
 * One entry of a user's petal ledger (pk USER#<userId>, sk LEDGER#<entryId>). `entryId` is
 * deterministic (ledgerEntryIds in keys.ts): the same business fact always has the same entry, so
 * writing it twice is detected, never counted twice. `amount` is signed petals; `createdAt` ISO.
 */
export interface LedgerEntry {
  userId: string;
  entryId: string;
  type: 'purchase_bonus' | 'adjust';
  amount: number;
  reason: string;
  source: 'purchase' | 'refund' | 'subscription' | 'dispute';
  description: string;
  metadata: Record<string, string | number>;
  createdAt: string;
}

/** The facts of an order that decide its petals (a subset of the order item). */
export type OrderPetalFacts = Pick<
  Order,
  | 'orderId'
  | 'userId'
  | 'status'
  | 'amountTotal'
  | 'currency'
  | 'stripeSessionId'
  | 'paymentIntentId'
  | 'amountRefunded'
  | 'refundedOfCharge'
  | 'petalsAwarded'
  | 'petalsDeducted'
  | 'disputeId'
  | 'disputeStatus'
  | 'heldPayment'
  | 'holdResolution'
>;

/**
 * The next ledger entry an order's petals need, or `settled` when the ledger already says what the
 * order's facts say:
 *
 * - `award`: the purchase bonus, once per paid order (petalsAwarded is still unset; the entry may
 *   be of 0 petals, which records the award without a ledger line).
 * - `refund`: takes back the refunded share (petalsToDeduct, cumulative) beyond what was taken.
 * - `hold`: an open or lost dispute holds every petal of the order.
 * - `release`: a won dispute gives back all but the refunds' share.
 * - `restore`: a refund that failed or was canceled gives back what it took (no dispute to release).
 *
 * An entry id may already be taken by the same movement made earlier (held, released, held again;
 * refunded, failed, refunded again): the caller then writes it as ledgerEntryIds.repeated(id, n).
 *
 * `deductedBefore`/`deductedAfter` are the order's petalsDeducted counter before and after the
 * entry: the write must only happen while the counter still reads `deductedBefore` (another
 * execution may have settled first). Amounts are petals; `now` is the entry's ISO time.
 */
export type PetalStep =
  | { kind: 'settled' }
  | { kind: 'award'; entry: LedgerEntry; petalsAwarded: number }
  | { kind: 'refund' | 'hold' | 'release' | 'restore'; entry: LedgerEntry; deductedBefore: number; deductedAfter: number };

export function planOrderPetals(order: OrderPetalFacts, rates: PetalRates, now: string): PetalStep {
  if (!hasBeenPaid(order.status)) return { kind: 'settled' };
  const { orderId, userId } = order;
  if (order.petalsAwarded === undefined) {
    const petals = petalsForAmount(amountEarningPetals(order), order.currency, rates);
    return {
      kind: 'award',
      petalsAwarded: petals,
      entry: {
        userId,
        entryId: ledgerEntryIds.purchase(orderId),
        type: 'purchase_bonus',
        amount: petals,
        reason: 'Purchase bonus',
        source: 'purchase',
        description: `Purchase bonus for order ${orderId}`,
        // the payment that earned them: a Checkout session, or a payment intent when that paid first
        metadata: {
          orderId,
          ...(order.stripeSessionId ? { stripeSessionId: order.stripeSessionId } : {}),
          ...(order.paymentIntentId ? { paymentIntentId: order.paymentIntentId } : {}),
          amountCents: order.amountTotal,
          currency: order.currency,
        },
        createdAt: now,
      },
    };
  }
  const amountRefunded = order.amountRefunded ?? 0;
  // the refunded fraction of what was charged (the order's own figures for orders refunded before it was kept)
  const ofCharge = order.refundedOfCharge;
  const refundShare = ofCharge
    ? petalsToDeduct(order.petalsAwarded, ofCharge.amount, ofCharge.of)
    : petalsToDeduct(order.petalsAwarded, amountRefunded, order.amountTotal);
  const held = order.disputeStatus === 'open' || order.disputeStatus === 'lost';
  const target = held ? order.petalsAwarded : refundShare;
  const already = order.petalsDeducted ?? 0;
  if (target === already) return { kind: 'settled' };
  const metadata = { orderId, amountRefunded, amountCents: order.amountTotal, currency: order.currency };
  const dispute = { ...metadata, disputeId: order.disputeId ?? '' };
  const adjust = (
    entryId: string,
    amount: number,
    reason: string,
    source: LedgerEntry['source'],
    description: string,
    meta: LedgerEntry['metadata'],
  ): LedgerEntry => ({
    userId,
    entryId,
    type: 'adjust',
    amount,
    reason,
    source,
    description,
    metadata: meta,
    createdAt: now,
  });
  const counters = { deductedBefore: already, deductedAfter: target };
  if (target < already && order.disputeStatus !== 'won') {
    const entryId = ledgerEntryIds.refundRestore(orderId, amountRefunded);
    return {
      kind: 'restore',
      ...counters,
      entry: adjust(
        entryId,
        already - target,
        'Refund failed: petals restored',
        'refund',
        `Petals restored for order ${orderId}: a refund failed or was canceled`,
        metadata,
      ),
    };
  }
  if (target < already) {
    const entryId = ledgerEntryIds.disputeRelease(orderId, order.disputeId ?? 'unknown');
    return {
      kind: 'release',
      ...counters,
      entry: adjust(entryId, already - target, 'Dispute won: petals restored', 'dispute', `Petals restored for order ${orderId}`, dispute),
    };
  }
  if (held && target > refundShare) {
    const entryId = ledgerEntryIds.disputeHold(orderId, order.disputeId ?? 'unknown');
    return {
      kind: 'hold',
      ...counters,
      entry: adjust(entryId, -(target - already), 'Dispute hold', 'dispute', `Petals held while order ${orderId} is disputed`, dispute),
    };
  }
  const entryId = ledgerEntryIds.refund(orderId, amountRefunded);
  return {
    kind: 'refund',
    ...counters,
    entry: adjust(entryId, -(target - already), 'Refund deduction', 'refund', `Refund deduction for order ${orderId}`, metadata),
  };
}

/** A paid subscription invoice (Stripe's invoice.paid: amount_paid in minor units) as a petal entry, once per invoice. */
export function invoicePetalEntry(
  invoice: { userId: string; invoiceId: string; subscriptionId?: string | undefined; amountPaid: number; currency: string },
  rates: PetalRates,
  now: string,
): LedgerEntry {
  return {
    userId: invoice.userId,
    entryId: ledgerEntryIds.invoice(invoice.invoiceId),
    type: 'purchase_bonus',
    amount: petalsForAmount(invoice.amountPaid, invoice.currency, rates),
    reason: 'Subscription bonus',
    source: 'subscription',
    description: `Subscription bonus for invoice ${invoice.invoiceId}`,
    metadata: {
      invoiceId: invoice.invoiceId,
      subscriptionId: invoice.subscriptionId ?? '',
      amountCents: invoice.amountPaid,
      currency: invoice.currency,
    },
    createdAt: now,
  };
}

/**
 * The next ledger entry a subscription invoice's petals need (as planOrderPetals for an order), or
 * `settled`: the subscription bonus once (invoicePetalEntry, the entry id it always had), then
 * refund deductions up to the refunded share of `amountPaid` (petalsToDeduct), restorations when a
 * counted refund failed or was canceled, and a dispute's hold (every petal, while open or lost)
 * and release (won). A record that holds only refunds or a dispute (recorded before the invoice's
 * payment) has nothing to settle yet. Guarded by the record's own counters.
 */
export function planInvoicePetals(invoice: InvoiceRecord, rates: PetalRates, now: string): PetalStep {
  const { invoiceId, userId, amountPaid, currency } = invoice;
  if (userId === undefined || amountPaid === undefined || currency === undefined) return { kind: 'settled' };
  if (invoice.petalsAwarded === undefined) {
    const entry = invoicePetalEntry({ userId, invoiceId, subscriptionId: invoice.subscriptionId, amountPaid, currency }, rates, now);
    return { kind: 'award', petalsAwarded: entry.amount, entry };
  }
  const amountRefunded = invoice.amountRefunded ?? 0;
  const refundShare = petalsToDeduct(invoice.petalsAwarded, amountRefunded, amountPaid);
  const held = invoice.disputeStatus === 'open' || invoice.disputeStatus === 'lost';
  const target = held ? invoice.petalsAwarded : refundShare;
  const already = invoice.petalsDeducted ?? 0;
  if (target === already) return { kind: 'settled' };
  const disputeId = invoice.disputeId ?? 'unknown';
  const [kind, entryId, reason, source, description]: [
    'refund' | 'hold' | 'release' | 'restore',
    string,
    string,
    LedgerEntry['source'],
    string,
  ] =
    target < already && invoice.disputeStatus !== 'won'
      ? [
          'restore',
          ledgerEntryIds.invoiceRefundRestore(invoiceId, amountRefunded),
          'Refund failed: petals restored',
          'refund',
          `Petals restored for subscription invoice ${invoiceId}: a refund failed or was canceled`,
        ]
      : target < already
        ? [
            'release',
            ledgerEntryIds.invoiceDisputeRelease(invoiceId, disputeId),
            'Dispute won: petals restored',
            'dispute',
            `Petals restored for subscription invoice ${invoiceId}`,
          ]
        : held && target > refundShare
          ? [
              'hold',
              ledgerEntryIds.invoiceDisputeHold(invoiceId, disputeId),
              'Dispute hold',
              'dispute',
              `Petals held while subscription invoice ${invoiceId} is disputed`,
            ]
          : [
              'refund',
              ledgerEntryIds.invoiceRefund(invoiceId, amountRefunded),
              'Refund deduction',
              'refund',
              `Refund deduction for subscription invoice ${invoiceId}`,
            ];
  return {
    kind,
    deductedBefore: already,
    deductedAfter: target,
    entry: {
      userId,
      entryId,
      type: 'adjust',
      amount: already - target,
      reason,
      source,
      description,
      metadata: {
        invoiceId,
        subscriptionId: invoice.subscriptionId ?? '',
        amountRefunded,
        amountCents: amountPaid,
        currency,
        ...(source === 'dispute' ? { disputeId } : {}),
      },
      createdAt: now,
    },
  };
}
