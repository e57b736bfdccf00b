import type { OrderStatus } from './order-status';
import type { HeldPayment, HoldResolution } from './payment-check';
import type { RefundLedger } from './refunds';
import type { ShippingAddress } from './workflow-input';

export interface OrderItem {
  productId: string;
  variantId: string;
  quantity: number;
  /** minor units */
  unitAmount: number;
  title?: string;
}

/** The order item of the single table (pk ORDER#<orderId>, sk ORDER). */
export interface Order {
  orderId: string;
  userId: string;
  status: OrderStatus;
  currency: string;
  amountTotal: number;
  email?: string;
  customerName?: string;
  items: OrderItem[];
  shippingAddress?: ShippingAddress;
  stripeSessionId?: string;
  paymentIntentId?: string;
  /** the Stripe event whose execution moved the order to paid, and therefore fulfils it */
  paidByEventId?: string;
  paidAt?: string;
  printifyOrderId?: string;
  /** when the first Printify create was attempted: retries search Printify back to it */
  printifyAttemptedAt?: string;
  /** where a lookup of an earlier attempt's Printify order stopped: the next attempt continues there */
  printifyLookupPage?: number;
  missingMappings?: string[];
  failureReason?: string;
  /** what is refunded now, minor units: derived from `refunds` (amountRefundedOf in refunds.ts) */
  amountRefunded?: number;
  /** every refund of the order's payment by Stripe refund id, with its amount and status (domain/refunds.ts) */
  refunds?: RefundLedger;
  /** bumped by every change of `refunds`: the guard of its read-merge-write */
  refundsVersion?: number;
  /** the refund email of the last change of `amountRefunded`: an event that changes nothing repeats it (sent once) */
  refundEmail?: RefundEmail;
  /**
   * what the order's payment charged, minor units of `chargedCurrency` (lowercase ISO): the
   * customer's presentment currency with Adaptive Pricing, else the order's; refunds are in it
   */
  chargedAmount?: number;
  chargedCurrency?: string;
  /** what is refunded of the charge (`amount` of `of`, minor units of `currency`): petals go by this fraction */
  refundedOfCharge?: { amount: number; of: number; currency: string };
  /** the status the order had when a full refund made it refunded: where it returns if the refund fails */
  statusBeforeRefund?: OrderStatus;
  petalsAwarded?: number;
  /** petals taken back so far: refunds' share, or all of them while a dispute holds them */
  petalsDeducted?: number;
  disputeId?: string;
  /** open while Stripe's dispute runs; then won (or an inquiry closed) or lost */
  disputeStatus?: 'open' | 'won' | 'lost';
  disputeReason?: string;
  /** Stripe's own status of the newest dispute event applied (an unknown future one is kept as sent) */
  disputeStripeStatus?: string;
  /** `created` of that event, Unix seconds: an older event never overrides it */
  disputeEventAt?: number;
  disputeAmount?: number;
  /** the payment that held the order (status payment_mismatch), kept after the hold is resolved */
  heldPayment?: HeldPayment;
  /** how an operator resolved the hold (`ops hold accept|refund`) */
  holdResolution?: HoldResolution;
  /**
   * every paid event the pipeline did not fulfil although it took money (another payment of an
   * order already paid or refunded, a second payment of a held order), by unfulfilledKey (its
   * payment intent, else `event:<eventId>`); `ops held` lists them, `ops hold` resolves each
   */
  unfulfilledPayments?: Record<string, UnfulfilledPayment>;
  /** bumped by every change of `unfulfilledPayments`: the guard of its read-merge-write */
  unfulfilledPaymentsVersion?: number;
  /** @deprecated the single field written before unfulfilledPayments (only the latest payment): read by unfulfilledPaymentsOf */
  unfulfilledPayment?: UnfulfilledPayment;
  createdAt: string;
  updatedAt: string;
}

export interface ProductMapping {
  productId: string;
  variantId: string;
  printifyProductId: string;
  printifyVariantId: number;
}

/** A paid event the pipeline did not fulfil although it took money; amounts in minor units of `currency`. */
export interface UnfulfilledPayment {
  eventId: string;
  paymentIntentId?: string;
  amountTotal?: number;
  currency?: string;
  reason: string;
  at: string;
  /** how an operator resolved it (`ops hold refund|accept <order> <payment intent>`) */
  resolution?: { action: 'refunded' | 'accepted'; refundId?: string; at: string };
}

/** The key of an unfulfilled payment on its order: its payment intent, else its event. */
export function unfulfilledKey(payment: Pick<UnfulfilledPayment, 'eventId' | 'paymentIntentId'>): string {
  return payment.paymentIntentId ?? `event:${payment.eventId}`;
}

/**
 * Every unfulfilled payment of the order, by key: the map, plus the single field of orders
 * written before it (unless the map already has that payment).
 */
export function unfulfilledPaymentsOf(
  order: Pick<Order, 'unfulfilledPayments' | 'unfulfilledPayment'>,
): Record<string, UnfulfilledPayment> {
  const all: Record<string, UnfulfilledPayment> = { ...(order.unfulfilledPayments ?? {}) };
  const legacy = order.unfulfilledPayment;
  if (legacy && !all[unfulfilledKey(legacy)]) all[unfulfilledKey(legacy)] = legacy;
  return all;
}

/** The unfulfilled payments no operator has resolved yet, by key. */
export function openUnfulfilledPayments(
  order: Pick<Order, 'unfulfilledPayments' | 'unfulfilledPayment'>,
): Record<string, UnfulfilledPayment> {
  return Object.fromEntries(Object.entries(unfulfilledPaymentsOf(order)).filter(([, p]) => !p.resolution));
}

/** The customer's email about the refunded amount (recordRefund): its template and outbox key. */
export interface RefundEmail {
  template: 'refund' | 'refund-failed';
  key: string;
  /** refund-failed: what the customer had been told before, minor units */
  refundedBefore?: number;
}
