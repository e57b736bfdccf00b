import * as z from 'zod';
import { isKeyId, MAX_KEY_ID_LENGTH } from '../domain/keys';

/**
 * Printify's order webhooks, as documented (developers.printify.com, "Webhooks"):
 *
 *   { "id": "<event id>", "type": "order:shipment:created", "created_at": "2022-05-17 15:00:00+00:00",
 *     "resource": { "id": "<Printify order id>", "type": "order",
 *       "data": { "shop_id": 815256, "shipped_at": "…",
 *                 "carrier": { "code": "USPS", "tracking_number": "…", "tracking_url": "…" }, "skus": ["…"] } } }
 *
 * order:shipment:delivered carries `delivered_at` and the same carrier; order:updated carries the
 * order's new `status`; order:created and order:sent-to-production only the shop. Pure: decides
 * what an event means for our order, nothing more.
 */
export type PrintifyEventDecision =
  | ({ kind: 'sent-to-production' } & EventTime)
  | ({ kind: 'shipped'; shipment: Shipment } & EventTime)
  | ({ kind: 'delivered'; deliveredAt: string; shipment?: Shipment } & EventTime)
  | ({ kind: 'failed'; printifyStatus: string; reason: string } & EventTime)
  | ({ kind: 'status'; printifyStatus: string } & EventTime)
  | { kind: 'ignore'; reason: string }
  | { kind: 'unappliable'; reason: string };

/**
 * How far ahead of our clock an event's time (or a shipped/delivered time in it) may be before it is
 * not believed: one day, far beyond any honest clock skew. A time beyond it is clamped to when the
 * event was received, so that an event dated 2099 cannot freeze the order's Printify status or
 * parcel (every later event would look older).
 */
export const MAX_PRINTIFY_CLOCK_SKEW_MS = 24 * 60 * 60 * 1000;

/**
 * Which Printify order an applicable event is about and its time (ISO UTC). `clampedFrom`: the
 * event's own time when it was more than MAX_PRINTIFY_CLOCK_SKEW_MS ahead of its receipt and `at`
 * was clamped to the receipt (for the log).
 */
export interface EventTime {
  printifyOrderId: string;
  at: string;
  clampedFrom?: string;
}

export interface Shipment {
  carrier: string;
  trackingNumber?: string;
  trackingUrl?: string;
  shippedAt?: string;
}

export class MalformedPrintifyEventError extends Error {
  override readonly name = 'MalformedPrintifyEventError';
}

/** order:updated statuses after which Printify will not deliver the order as it stands. */
export const FAILED_PRINTIFY_STATUSES: readonly string[] = ['canceled', 'cancelled', 'has-issues', 'had-issues', 'unfulfillable'];

const text = z.string().trim().min(1);
const carrierSchema = z.union([
  z.object({
    code: z.string().nullish(),
    name: z.string().nullish(),
    tracking_number: z.string().nullish(),
    tracking_url: z.string().nullish(),
  }),
  z.string(),
]);
const envelope = z.object({
  id: text,
  type: text,
  created_at: z.string().nullish(),
  resource: z.object({
    id: z.union([text, z.number().transform(String)]),
    type: z.string().nullish(),
    data: z.record(z.string(), z.unknown()).nullish(),
  }),
});
const shipmentData = z.object({
  shop_id: z.union([z.string(), z.number()]).nullish(),
  shipped_at: z.string().nullish(),
  delivered_at: z.string().nullish(),
  carrier: carrierSchema.nullish(),
  // tolerated flat spellings, as in the order's `shipments` entries (carrier, number, url)
  tracking_number: z.string().nullish(),
  number: z.string().nullish(),
  tracking_url: z.string().nullish(),
  url: z.string().nullish(),
});

const nonEmpty = (value: string | null | undefined): string | undefined => (value?.trim() ? value.trim() : undefined);

/** Printify's "2022-05-17 15:00:00+00:00" as ISO 8601 UTC, like every other time on the order. */
export function printifyTimeToIso(value: string | null | undefined): string | undefined {
  const text = nonEmpty(value);
  if (!text) return undefined;
  const parsed = Date.parse(/^\d{4}-\d{2}-\d{2} /.test(text) ? text.replace(' ', 'T') : text);
  return Number.isNaN(parsed) ? text : new Date(parsed).toISOString();
}

/** `iso`, unless it is more than MAX_PRINTIFY_CLOCK_SKEW_MS after `receivedAt`: then `receivedAt`. */
function believable(iso: string, receivedAt: string): string {
  const time = Date.parse(iso);
  return !Number.isNaN(time) && time - Date.parse(receivedAt) > MAX_PRINTIFY_CLOCK_SKEW_MS ? receivedAt : iso;
}

function shipmentOf(data: z.infer<typeof shipmentData>, receivedAt: string): Shipment | undefined {
  const carrier = typeof data.carrier === 'string' ? { code: data.carrier } : (data.carrier ?? {});
  const trackingNumber =
    nonEmpty('tracking_number' in carrier ? carrier.tracking_number : undefined) ?? nonEmpty(data.tracking_number) ?? nonEmpty(data.number);
  const trackingUrl =
    nonEmpty('tracking_url' in carrier ? carrier.tracking_url : undefined) ?? nonEmpty(data.tracking_url) ?? nonEmpty(data.url);
  const code = nonEmpty(carrier.code) ?? nonEmpty('name' in carrier ? carrier.name : undefined);
  if (!code && !trackingNumber) return undefined;
  return {
    carrier: code ?? 'carrier',
    ...(trackingNumber ? { trackingNumber } : {}),
    ...(trackingUrl ? { trackingUrl } : {}),
    ...(nonEmpty(data.shipped_at) ? { shippedAt: believable(printifyTimeToIso(data.shipped_at)!, receivedAt) } : {}),
  };
}

/**
 * Decides what a verified, JSON-parsed Printify webhook means. The shop is not checked: a webhook
 * is registered per shop and signed with our secret, and the order is found by Printify's order id
 * (an order that is not ours is ignored), so a shop id spelled differently cannot lose an event.
 *
 * `receivedAt` (ISO) is our clock: an event time more than a day after it is clamped to it
 * (MAX_PRINTIFY_CLOCK_SKEW_MS). A delivery whose Printify order id or tracking number cannot be
 * part of a key (isKeyId: over 255 characters, or control characters) is `unappliable`: no retry
 * could ever record it, so the caller acknowledges it (Printify disables a webhook that keeps
 * failing) and logs and counts it for an operator. Throws MalformedPrintifyEventError for a body
 * that is not a Printify event at all.
 */
export function decidePrintifyEvent(raw: unknown, receivedAt = new Date().toISOString()): PrintifyEventDecision {
  const parsed = envelope.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new MalformedPrintifyEventError(
      `not a Printify event: ${issue ? `${issue.path.join('.') || '(event)'}: ${issue.message}` : 'invalid'}`,
    );
  }
  const event = parsed.data;
  if (!event.type.startsWith('order:')) return { kind: 'ignore', reason: `topic ${event.type} is not handled` };
  if (event.resource.type && event.resource.type !== 'order') return { kind: 'ignore', reason: `resource type ${event.resource.type}` };
  const data = shipmentData.safeParse(event.resource.data ?? {});
  if (!data.success) throw new MalformedPrintifyEventError(`${event.type} ${event.id}: ${data.error.issues[0]?.message ?? 'invalid data'}`);
  const printifyOrderId = event.resource.id;
  if (!isKeyId(printifyOrderId)) {
    return {
      kind: 'unappliable',
      reason: `${event.type} ${event.id}: Printify order id of ${printifyOrderId.length} characters cannot be a key (at most ${MAX_KEY_ID_LENGTH}, no control characters)`,
    };
  }
  const claimed = printifyTimeToIso(event.created_at) ?? receivedAt;
  const at = believable(claimed, receivedAt);
  const time: EventTime = { printifyOrderId, at, ...(at !== claimed ? { clampedFrom: claimed } : {}) };
  const shipment = shipmentOf(data.data, receivedAt);
  if (shipment?.trackingNumber !== undefined && !isKeyId(shipment.trackingNumber)) {
    return {
      kind: 'unappliable',
      reason: `${event.type} ${event.id}: tracking number of ${shipment.trackingNumber.length} characters cannot be a key (at most ${MAX_KEY_ID_LENGTH}, no control characters)`,
    };
  }
  switch (event.type) {
    case 'order:sent-to-production':
      return { kind: 'sent-to-production', ...time };
    case 'order:shipment:created': {
      const parcel = shipment ?? { carrier: 'carrier' };
      return { kind: 'shipped', ...time, shipment: { ...parcel, shippedAt: parcel.shippedAt ?? at } };
    }
    case 'order:shipment:delivered': {
      const deliveredAt = believable(printifyTimeToIso(data.data.delivered_at) ?? at, receivedAt);
      return { kind: 'delivered', ...time, deliveredAt, ...(shipment ? { shipment } : {}) };
    }
    case 'order:updated': {
      const status = nonEmpty(typeof event.resource.data?.status === 'string' ? event.resource.data.status : undefined);
      if (!status) return { kind: 'ignore', reason: 'order:updated without a status' };
      if (FAILED_PRINTIFY_STATUSES.includes(status)) {
        return { kind: 'failed', ...time, printifyStatus: status, reason: `Printify reported the order ${status}` };
      }
      return { kind: 'status', ...time, printifyStatus: status };
    }
    default:
      return { kind: 'ignore', reason: `topic ${event.type} needs nothing from us` };
  }
}
