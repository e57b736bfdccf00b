import * as z from 'zod';

/**
 * What the webhook hands to a workflow: the few facts of a Stripe event that the workflow needs,
 * normalised from Stripe's shapes. The execution input is this object; every task reads it from
 * `$$.Execution.Input`, so a task retried or replayed sees exactly the same facts.
 */
export const shippingAddressSchema = z.object({
  name: z.string(),
  line1: z.string(),
  line2: z.string().optional(),
  city: z.string(),
  state: z.string().optional(),
  postalCode: z.string(),
  country: z.string(),
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
  amountTotal: z.number().int().nonnegative().optional(),
  currency: z.string().optional(),
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
  /** Stripe's dispute status: needs_response, under_review, won, lost, warning_closed, … */
  status: z.string(),
  closed: z.boolean(),
  reason: z.string(),
  amount: z.number().int().nonnegative(),
  currency: z.string(),
});

export const refundInputSchema = z.object({
  ...eventRef,
  kind: z.literal('refund'),
  chargeId: z.string(),
  paymentIntentId: z.string().optional(),
  /** from the charge's metadata when present; otherwise found through the payment intent */
  orderId: z.string().optional(),
  /** cumulative, as Stripe reports it */
  amountRefunded: z.number().int().nonnegative(),
  amount: z.number().int().nonnegative(),
  currency: z.string(),
});

export const invoicePaymentInputSchema = z.object({
  ...eventRef,
  kind: z.literal('invoicePayment'),
  invoiceId: z.string(),
  userId: z.string().min(1),
  amountPaid: z.number().int().nonnegative(),
  currency: z.string(),
  subscriptionId: z.string().optional(),
});

export const workflowInputSchema = z.discriminatedUnion('kind', [
  paymentInputSchema,
  paymentFailedInputSchema,
  checkoutExpiredInputSchema,
  disputeInputSchema,
  refundInputSchema,
  invoicePaymentInputSchema,
]);

export type PaymentInput = z.infer<typeof paymentInputSchema>;
export type PaymentFailedInput = z.infer<typeof paymentFailedInputSchema>;
export type CheckoutExpiredInput = z.infer<typeof checkoutExpiredInputSchema>;
export type DisputeInput = z.infer<typeof disputeInputSchema>;
export type RefundInput = z.infer<typeof refundInputSchema>;
export type InvoicePaymentInput = z.infer<typeof invoicePaymentInputSchema>;
export type WorkflowInput = z.infer<typeof workflowInputSchema>;
