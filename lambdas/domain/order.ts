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
   * the latest paid event the pipeline did not fulfil although it took money (another payment of
   * an order already paid or refunded, a second payment of a held order); `ops held` lists it
   */
  unfulfilledPayment?: { eventId: string; paymentIntentId?: string; amountTotal?: number; currency?: string; reason: string; at: string };
  createdAt: string;
  updatedAt: string;
}

export interface ProductMapping {
  productId: string;
  variantId: string;
  printifyProductId: string;
  printifyVariantId: number;
}
