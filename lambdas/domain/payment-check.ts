import type { Order } from './order';

/**
 * What a payment event says was paid, in the integration's currency (the router reads
 * `currency_conversion` for Adaptive Pricing sessions created before API 2025-03-31, see
 * stripe-events.ts): `amountTotal` in the currency's minor unit, `currency` lowercase ISO. Either
 * may be missing (an event without them is unverified).
 */
export interface ClaimedPayment {
  amountTotal?: number | undefined;
  currency?: string | undefined;
}

/**
 * The verdict on a payment against the order it claims to pay (DESIGN principle 7: the order says
 * what is owed). `match` only when the event names an amount and a currency and both equal the
 * order's `amountTotal` and `currency`; otherwise `mismatch`, with a `reason` for the operator:
 *
 * - `unverified`: the event names no amount or no currency (or the order names none);
 * - `currency`: paid in another currency than the order's;
 * - `underpaid` / `overpaid`: the right currency, another amount.
 */
export type PaymentVerdict =
  | { kind: 'match' }
  | { kind: 'mismatch'; reason: 'unverified' | 'currency' | 'underpaid' | 'overpaid'; detail: string };

/** Compares a claimed payment with what the order owes (pure; amounts in minor units). */
export function checkPayment(order: Pick<Order, 'amountTotal' | 'currency'>, paid: ClaimedPayment): PaymentVerdict {
  const owed = `${order.amountTotal} ${order.currency}`;
  const claimed = `${paid.amountTotal ?? '(no amount)'} ${paid.currency ?? '(no currency)'}`;
  const detail = `paid ${claimed}, the order owes ${owed}`;
  if (typeof order.amountTotal !== 'number' || typeof order.currency !== 'string' || order.currency === '') {
    return { kind: 'mismatch', reason: 'unverified', detail };
  }
  if (paid.amountTotal === undefined || paid.currency === undefined || paid.currency === '')
    return { kind: 'mismatch', reason: 'unverified', detail };
  if (paid.currency.toLowerCase() !== order.currency.toLowerCase()) return { kind: 'mismatch', reason: 'currency', detail };
  if (paid.amountTotal < order.amountTotal) return { kind: 'mismatch', reason: 'underpaid', detail };
  if (paid.amountTotal > order.amountTotal) return { kind: 'mismatch', reason: 'overpaid', detail };
  return { kind: 'match' };
}

/**
 * A payment that holds its order (status payment_mismatch), as the order keeps it (`heldPayment`):
 * the event that brought it, what it said was paid (minor units, lowercase currency, as the event
 * said), its Stripe ids, why it was held, and when (ISO).
 */
export interface HeldPayment {
  eventId: string;
  eventType: string;
  amountTotal?: number;
  currency?: string;
  paymentIntentId?: string;
  stripeSessionId?: string;
  reason: string;
  detail: string;
  heldAt: string;
}

/**
 * How an operator resolved a hold (`holdResolution` on the order): `accepted` (fulfilled as it was
 * paid) or `refunded` (the payment given back through Stripe: `refundId`), at `at` (ISO).
 */
export interface HoldResolution {
  action: 'accepted' | 'refunded';
  eventId: string;
  paymentIntentId?: string;
  refundId?: string;
  at: string;
}

/**
 * The amount (the order's minor units) the purchase bonus is computed on: what the order owes,
 * unless an operator accepted a held payment (`holdResolution.action` accepted), then no more than
 * was paid in the order's currency
 * (nothing when it was paid in another currency or its amount was unknown, or the operator gave
 * the held payment back): no petals for unpaid amounts.
 */
export function amountEarningPetals(
  order: Pick<Order, 'amountTotal' | 'currency'> & { heldPayment?: HeldPayment | undefined; holdResolution?: HoldResolution | undefined },
): number {
  const held = order.heldPayment;
  if (order.holdResolution?.action === 'refunded') return 0;
  // held, then paid in full by another payment (not by the operator's accept): what it owes
  if (!held || order.holdResolution?.action !== 'accepted') return order.amountTotal;
  if (held.amountTotal === undefined || held.currency?.toLowerCase() !== order.currency.toLowerCase()) return 0;
  return Math.min(order.amountTotal, held.amountTotal);
}
