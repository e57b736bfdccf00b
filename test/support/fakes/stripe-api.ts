import { StripeApiError } from '../../../lambdas/adapters/stripe-api-client';
import type { StripeApiPort, StripeRefund } from '../../../lambdas/ports/stripe-api';

/**
 * Stripe's refunds in memory: each payment intent has an amount (`charge(pi, amount, currency)`);
 * a refund refunds it whole, once (re_1, re_2…); the same idempotency key returns the same refund;
 * a second refund of a refunded intent, or of an unknown one, is refused (400) as Stripe refuses it.
 * `failNext` makes the next call fail as Stripe being down (retryable).
 */
export class FakeStripeApi implements StripeApiPort {
  readonly intents = new Map<string, { amount: number; currency: string }>();
  readonly refunds: (StripeRefund & { paymentIntentId: string; idempotencyKey: string; metadata?: Record<string, string> })[] = [];
  private failing = false;

  charge(paymentIntentId: string, amount: number, currency: string): void {
    this.intents.set(paymentIntentId, { amount, currency });
  }

  failNext(): void {
    this.failing = true;
  }

  async refundPaymentIntent(request: {
    paymentIntentId: string;
    idempotencyKey: string;
    metadata?: Record<string, string>;
  }): Promise<StripeRefund> {
    if (this.failing) {
      this.failing = false;
      throw new StripeApiError('Stripe answered 500 to POST /v1/refunds: down', 500, true);
    }
    const same = this.refunds.find((r) => r.idempotencyKey === request.idempotencyKey);
    if (same) return { refundId: same.refundId, status: same.status, amount: same.amount, currency: same.currency };
    const intent = this.intents.get(request.paymentIntentId);
    if (!intent)
      throw new StripeApiError(`Stripe answered 400 to POST /v1/refunds: No such payment_intent: '${request.paymentIntentId}'`, 400, false);
    if (this.refunds.some((r) => r.paymentIntentId === request.paymentIntentId)) {
      throw new StripeApiError('Stripe answered 400 to POST /v1/refunds: Charge has already been refunded.', 400, false);
    }
    const refund = { refundId: `re_${this.refunds.length + 1}`, status: 'succeeded', amount: intent.amount, currency: intent.currency };
    this.refunds.push({ ...refund, ...request });
    return refund;
  }
}
