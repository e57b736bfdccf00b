import type { RefundLedger } from './refunds';

/**
 * A subscription invoice this pipeline awarded petals for (item pk INVOICE#<invoiceId>, sk
 * INVOICE): what a later refund of its charge needs to take the petals back in proportion, for the
 * right user, once. Written by the subscription-payment workflow (the invoice's facts, its petal
 * counters) and by the refund workflow (its refunds, by Stripe refund id, the same arithmetic as an
 * order's: domain/refunds.ts). A refund may be recorded before the invoice's payment: the item then
 * has refunds and no user yet, and the payment's award settles both. Amounts in minor units.
 *
 * `paymentIntentId` (indexed by the sparse GSI byPaymentIntent, as an order's) is how a refund or
 * dispute that names only a payment intent finds the invoice: Refund and Dispute objects carry no
 * invoice at any API version, and charges lost their `invoice` at 2025-03-31.
 */
export interface InvoiceRecord {
  invoiceId: string;
  userId?: string;
  /** the invoice's amount_paid, in `currency` */
  amountPaid?: number;
  currency?: string;
  subscriptionId?: string;
  /** the invoice's payment intent (pi_…), when its event named one */
  paymentIntentId?: string;
  /** the invoice's charge (ch_…), when its event named one */
  chargeId?: string;
  /** the Stripe event that recorded the payment */
  paidEventId?: string;
  /** petals of the subscription bonus (set once, with its ledger entry) */
  petalsAwarded?: number;
  /** petals taken back so far for refunds */
  petalsDeducted?: number;
  /** every refund of the invoice's charge by Stripe refund id (domain/refunds.ts) */
  refunds?: RefundLedger;
  /** what is refunded now (amountRefundedOf(refunds)) */
  amountRefunded?: number;
  /** bumped by every change of `refunds`: the guard of its read-merge-write */
  refundsVersion?: number;
  /** a dispute of the invoice's charge, as an order keeps one (domain/disputes.ts): its petals are held while open or lost */
  disputeId?: string;
  disputeStatus?: 'open' | 'won' | 'lost';
  disputeStripeStatus?: string;
  disputeEventAt?: number;
  updatedAt?: string;
}
