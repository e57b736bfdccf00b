import { createHmac, timingSafeEqual } from 'node:crypto';

/** The Stripe-Signature header is missing, malformed, stale or does not match: answer 400. */
export class InvalidSignatureError extends Error {
  override readonly name = 'InvalidSignatureError';
}
/** The signature matched but the body is not JSON: answer 400. */
export class InvalidPayloadError extends Error {
  override readonly name = 'InvalidPayloadError';
}

export interface StripeEventVerifier {
  /** Verifies `Stripe-Signature` over the raw body and returns the parsed event. */
  verify(rawBody: Buffer, signatureHeader: string | undefined): unknown;
}

const SHA256_HEX = /^[0-9a-f]{64}$/i;

/**
 * The rejection when no `v1` signature matches (Stripe's wording): the one that a stale or rolled
 * secret causes, so the caller may read the secret again and verify once more.
 */
export const SIGNATURE_MISMATCH = 'No signatures found matching the expected signature for payload';

/**
 * Stripe's webhook signature scheme, implemented with node:crypto so that the webhook does not
 * bundle the Stripe client (https://docs.stripe.com/webhooks#verify-manually):
 * `Stripe-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>" with the endpoint's
 * secret>[,v1=…]`. Any one `v1` may match: while Stripe rolls an endpoint's secret it signs with the
 * old and the new one. Other schemes (`v0`, test mode's legacy) are ignored. Comparisons are
 * constant-time. The timestamp must be within `toleranceSeconds` of now, in the past (a replay) and
 * in the future (a signature made to be replayed later); a header with more than one `t` is
 * refused, since a parser that kept another than the signed one would let such a signature through.
 * `verify` throws InvalidSignatureError (with Stripe's own wording) or InvalidPayloadError (a
 * verified body that is not JSON); the caller answers 400.
 */
export class StripeSignatureVerifier implements StripeEventVerifier {
  constructor(
    private readonly secret: string,
    private readonly toleranceSeconds = 300,
    private readonly nowSeconds: () => number = () => Math.floor(Date.now() / 1000),
  ) {}

  verify(rawBody: Buffer, signatureHeader: string | undefined): unknown {
    if (!signatureHeader) throw new InvalidSignatureError('missing Stripe-Signature header');
    const timestamps: string[] = [];
    const signatures: string[] = [];
    for (const item of signatureHeader.split(',')) {
      const separator = item.indexOf('=');
      if (separator < 0) continue;
      const key = item.slice(0, separator).trim();
      const value = item.slice(separator + 1).trim();
      if (key === 't') timestamps.push(value);
      else if (key === 'v1') signatures.push(value);
    }
    if (timestamps.length > 1)
      throw new InvalidSignatureError('Unable to extract timestamp and signatures from header: more than one timestamp');
    const timestamp = timestamps.length === 1 && /^\d{1,12}$/.test(timestamps[0]!) ? Number(timestamps[0]) : undefined;
    if (timestamp === undefined) throw new InvalidSignatureError('Unable to extract timestamp and signatures from header');
    if (signatures.length === 0) throw new InvalidSignatureError('No signatures found with expected scheme');

    const expected = createHmac('sha256', this.secret).update(`${timestamps[0]}.`).update(rawBody).digest();
    let matched = false;
    for (const signature of signatures) {
      // every candidate is compared (no early exit), each in constant time
      if (SHA256_HEX.test(signature) && timingSafeEqual(expected, Buffer.from(signature, 'hex'))) matched = true;
    }
    if (!matched) throw new InvalidSignatureError(SIGNATURE_MISMATCH);

    const age = this.nowSeconds() - timestamp;
    if (age > this.toleranceSeconds) throw new InvalidSignatureError('Timestamp outside the tolerance zone');
    if (-age > this.toleranceSeconds) throw new InvalidSignatureError('Timestamp outside the tolerance zone (in the future)');

    try {
      return JSON.parse(rawBody.toString('utf8')) as unknown;
    } catch {
      throw new InvalidPayloadError('body is not JSON');
    }
  }
}
