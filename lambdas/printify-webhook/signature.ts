import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Printify signs each webhook delivery with the secret given when the webhook was created:
 * `X-Pfy-Signature: sha256=<hex HMAC-SHA256 of the raw body>`.
 */
export const PRINTIFY_SIGNATURE_HEADER = 'x-pfy-signature';

export function signPrintifyBody(rawBody: string | Buffer, secret: string): string {
  return `sha256=${createHmac('sha256', secret).update(rawBody).digest('hex')}`;
}

/** Constant-time check of the header against the raw body; false for anything malformed. */
export function isValidPrintifySignature(rawBody: Buffer, header: string | undefined, secret: string): boolean {
  if (!header || !secret) return false;
  const match = /^sha256=([0-9a-f]{64})$/i.exec(header.trim());
  if (!match) return false;
  const expected = createHmac('sha256', secret).update(rawBody).digest();
  const given = Buffer.from(match[1]!, 'hex');
  return given.length === expected.length && timingSafeEqual(given, expected);
}
