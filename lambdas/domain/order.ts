import type { OrderStatus } from './order-status';
import type { HeldPayment, HoldResolution } from './payment-check';
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
  amountRefunded?: number;
  petalsAwarded?: number;
  /** petals taken back so far: refunds' share, or all of them while a dispute holds them */
  petalsDeducted?: number;
  disputeId?: string;
  /** open while Stripe's dispute runs; then won (or an inquiry closed) or lost */
  disputeStatus?: 'open' | 'won' | 'lost';
  disputeReason?: string;
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
