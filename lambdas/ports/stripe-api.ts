/** A refund as Stripe returns it (the Refund object): its id, status, amount (minor units) and currency (lowercase). */
export interface StripeRefund {
  refundId: string;
  /** pending, requires_action, succeeded, failed or canceled (https://docs.stripe.com/api/refunds/object) */
  status: string;
  amount: number;
  currency: string;
}

/**
 * The part of Stripe's API that operators' commands call (the pipeline itself only receives
 * Stripe's webhooks). Every method throws StripeApiError: `retryable` for 429, 5xx, timeouts and
 * network errors (try again: the idempotency key makes the retry safe), not for Stripe's refusal
 * (4xx: a charge already refunded, an unknown payment intent, a wrong key), whose message says why.
 */
export interface StripeApiPort {
  /**
   * POST /v1/refunds with `payment_intent` (https://docs.stripe.com/api/refunds/create): refunds the
   * whole remaining amount of the payment intent's charge. `idempotencyKey` makes a repeat of the
   * same request return the same refund instead of refunding twice (Stripe keeps keys for at least
   * 24 hours: https://docs.stripe.com/api/idempotent_requests). `metadata` is set on the refund.
   */
  refundPaymentIntent(request: {
    paymentIntentId: string;
    idempotencyKey: string;
    metadata?: Record<string, string>;
  }): Promise<StripeRefund>;
}
