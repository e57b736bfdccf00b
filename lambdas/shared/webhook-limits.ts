/**
 * The largest webhook body accepted. Stripe's events are a few kilobytes (a large invoice some tens);
 * anything bigger is not a Stripe or Printify event, and is refused before it is parsed, verified or
 * written anywhere (413). API Gateway's own limit (10 MB) is far above it.
 */
export const MAX_WEBHOOK_BODY_BYTES = 256 * 1024;

/** The decoded body's size when it is over the limit, else undefined. */
export function oversizedBody(body: Buffer | string, limit = MAX_WEBHOOK_BODY_BYTES): number | undefined {
  const size = typeof body === 'string' ? Buffer.byteLength(body) : body.length;
  return size > limit ? size : undefined;
}
