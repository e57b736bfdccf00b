import Stripe from 'stripe';

export class InvalidSignatureError extends Error {
  override readonly name = 'InvalidSignatureError';
}
export class InvalidPayloadError extends Error {
  override readonly name = 'InvalidPayloadError';
}

export interface StripeEventVerifier {
  /** Verifies `Stripe-Signature` over the raw body and returns the parsed event. */
  verify(rawBody: Buffer, signatureHeader: string | undefined): unknown;
}

/** Stripe's own verification (HMAC-SHA256 of "<t>.<body>", constant-time, with a tolerance). */
export class StripeSignatureVerifier implements StripeEventVerifier {
  constructor(
    private readonly secret: string,
    private readonly toleranceSeconds = 300,
    private readonly nowSeconds: () => number = () => Math.floor(Date.now() / 1000),
  ) {}

  verify(rawBody: Buffer, signatureHeader: string | undefined): unknown {
    if (!signatureHeader) throw new InvalidSignatureError('missing Stripe-Signature header');
    // Stripe's library rejects only timestamps too far in the past; one too far in the future is
    // just as suspicious (a clock that lies, or a signature made to be replayed later).
    const timestamp = Number(/(?:^|,)\s*t=(\d+)/.exec(signatureHeader)?.[1]);
    if (Number.isFinite(timestamp) && timestamp - this.nowSeconds() > this.toleranceSeconds) {
      throw new InvalidSignatureError('Timestamp outside the tolerance zone (in the future)');
    }
    try {
      return Stripe.webhooks.constructEvent(rawBody, signatureHeader, this.secret, this.toleranceSeconds);
    } catch (error) {
      if (error instanceof SyntaxError) throw new InvalidPayloadError('body is not JSON');
      const message = error instanceof Error ? error.message : String(error);
      throw new InvalidSignatureError(message.split('\n')[0] ?? message);
    }
  }
}
