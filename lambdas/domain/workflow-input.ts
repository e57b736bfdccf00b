import * as z from 'zod';

/**
 * What the webhook hands to a workflow: the few facts of a Stripe event that the workflow needs,
 * normalised from Stripe's shapes. The execution input is this object; every task reads it from
 * `$$.Execution.Input`, so a task retried or replayed sees exactly the same facts.
 */
/**
 * A shipping address as the customer entered it at Checkout: only the fields that are there. Many
 * countries have no postal codes (Hong Kong, the UAE, …), no states, or no separate city (Hong
 * Kong, Singapore, Macau), so every line but the name may be absent; Stripe's `Address` makes every
 * field nullable (https://docs.stripe.com/api/checkout/sessions/object#checkout_session_object-collected_information-shipping_details-address).
 * `country` is Stripe's 2-letter ISO code. Whether an incomplete address can be delivered is
 * Printify's to say (its per-field messages are kept on the order as printifyErrors).
 */
export const shippingAddressSchema = z.object({
  name: z.string(),
  line1: z.string().optional(),
  line2: z.string().optional(),
  city: z.string().optional(),
  state: z.string().optional(),
  postalCode: z.string().optional(),
  country: z.string().optional(),
  phone: z.string().optional(),
});
export type ShippingAddress = z.infer<typeof shippingAddressSchema>;

const eventRef = {
  eventId: z.string().min(1),
  eventType: z.string().min(1),
  /** Stripe's `created`, unix seconds */
  created: z.number().int(),
  livemode: z.boolean(),
};
export type EventRef = { eventId: string; eventType: string; created: number; livemode: boolean };

export const paymentInputSchema = z.object({
  ...eventRef,
  kind: z.literal('payment'),
  orderId: z.string().min(1),
  /** false for a completed Checkout session whose delayed payment has not cleared yet */
  paid: z.boolean(),
  stripeSessionId: z.string().optional(),
  paymentIntentId: z.string().optional(),
  /** what was paid in the integration's currency (compared with what the order owes) */
  amountTotal: z.number().int().nonnegative().optional(),
  currency: z.string().optional(),
  /** what the customer's payment method was charged, in the charge's (presentment) currency: refunds are in it */
  chargedAmount: z.number().int().nonnegative().optional(),
  chargedCurrency: z.string().optional(),
  email: z.string().optional(),
  customerName: z.string().optional(),
  shippingAddress: shippingAddressSchema.optional(),
});

export const paymentFailedInputSchema = z.object({
  ...eventRef,
  kind: z.literal('paymentFailed'),
  orderId: z.string().min(1),
  /** absent when a delayed Checkout payment failed before Stripe named an intent */
  paymentIntentId: z.string().optional(),
  reason: z.string(),
});

/** A Checkout session expired unpaid: its pending order is cancelled. */
export const checkoutExpiredInputSchema = z.object({
  ...eventRef,
  kind: z.literal('checkoutExpired'),
  orderId: z.string().min(1),
  stripeSessionId: z.string(),
});

export const disputeInputSchema = z.object({
  ...eventRef,
  kind: z.literal('dispute'),
  disputeId: z.string(),
  chargeId: z.string().optional(),
  paymentIntentId: z.string().optional(),
  orderId: z.string().optional(),
  /** Stripe's dispute status: needs_response, under_review, won, lost, warning_closed, … (domain/disputes.ts) */
  status: z.string(),
  /** the event was charge.dispute.closed (informative: the status decides) */
  closed: z.boolean(),
  reason: z.string(),
  amount: z.number().int().nonnegative(),
  currency: z.string(),
});

/** One Stripe Refund object as a refund event reports it (https://docs.stripe.com/api/refunds/object). */
export const refundObjectSchema = z.object({
  refundId: z.string().min(1),
  /** minor units */
  amount: z.number().int().nonnegative(),
  /** pending, requires_action, succeeded, failed, canceled (a future one is kept as sent) */
  status: z.string(),
  /** when the refund was made (its `created`), Unix seconds */
  created: z.number().int().optional(),
});

/**
 * A refund event: `charge.refunded` (the charge, with its cumulative `amountRefunded` and, at API
 * versions before 2022-11-15, its refunds) or `charge.refund.updated` / `refund.updated` /
 * `refund.failed` (one Refund object, in `refunds`). Whose payment it reverses is decided against
 * the orders (recordRefund), never from `orderId` alone.
 */
export const refundInputSchema = z.object({
  ...eventRef,
  kind: z.literal('refund'),
  /** absent for a Refund object without a charge (Stripe sends null for some payment methods) */
  chargeId: z.string().optional(),
  paymentIntentId: z.string().optional(),
  /** the charge's (or refund's) metadata.orderId: a hint, checked against the order's payment intent */
  orderId: z.string().optional(),
  /** the charge's `invoice` (API versions before 2025-03-31, set by Stripe): a subscription invoice's charge */
  invoiceId: z.string().optional(),
  /** the charge's cumulative amount_refunded (minor units), on charge.refunded only */
  amountRefunded: z.number().int().nonnegative().optional(),
  /** the charge's amount (minor units), on charge.refunded only */
  amount: z.number().int().nonnegative().optional(),
  currency: z.string(),
  /** the Refund objects the event carries (charge.refunds.data[], or the one Refund of a refund event) */
  refunds: z.array(refundObjectSchema).optional(),
});

export const invoicePaymentInputSchema = z.object({
  ...eventRef,
  kind: z.literal('invoicePayment'),
  invoiceId: z.string(),
  userId: z.string().min(1),
  amountPaid: z.number().int().nonnegative(),
  currency: z.string(),
  subscriptionId: z.string().optional(),
  /** the invoice's payment intent and charge (API versions before 2025-03-31 name them on the invoice) */
  paymentIntentId: z.string().optional(),
  chargeId: z.string().optional(),
});

/**
 * An invoice's payment (invoice_payment.paid, API 2025-03-31 and later): the payment intent or
 * charge that paid it, recorded on the invoice's record. At least one of the two is present.
 */
export const invoicePaymentLinkInputSchema = z.object({
  ...eventRef,
  kind: z.literal('invoicePaymentLink'),
  invoiceId: z.string().min(1),
  /** the InvoicePayment (inpay_…) */
  invoicePaymentId: z.string(),
  paymentIntentId: z.string().optional(),
  chargeId: z.string().optional(),
});

export const workflowInputSchema = z.discriminatedUnion('kind', [
  paymentInputSchema,
  paymentFailedInputSchema,
  checkoutExpiredInputSchema,
  disputeInputSchema,
  refundInputSchema,
  invoicePaymentInputSchema,
  invoicePaymentLinkInputSchema,
]);

export type PaymentInput = z.infer<typeof paymentInputSchema>;
export type PaymentFailedInput = z.infer<typeof paymentFailedInputSchema>;
export type CheckoutExpiredInput = z.infer<typeof checkoutExpiredInputSchema>;
export type DisputeInput = z.infer<typeof disputeInputSchema>;
export type RefundInput = z.infer<typeof refundInputSchema>;
export type RefundObject = z.infer<typeof refundObjectSchema>;
export type InvoicePaymentInput = z.infer<typeof invoicePaymentInputSchema>;
export type InvoicePaymentLinkInput = z.infer<typeof invoicePaymentLinkInputSchema>;
export type WorkflowInput = z.infer<typeof workflowInputSchema>;
