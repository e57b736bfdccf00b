import * as z from 'zod';

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
  | { kind: 'sent-to-production'; printifyOrderId: string; at: string }
  | { kind: 'shipped'; printifyOrderId: string; at: string; shipment: Shipment }
  | { kind: 'delivered'; printifyOrderId: string; at: string; deliveredAt: string; shipment?: Shipment }
  | { kind: 'failed'; printifyOrderId: string; at: string; printifyStatus: string; reason: string }
  | { kind: 'status'; printifyOrderId: string; at: string; printifyStatus: string }
  | { kind: 'ignore'; reason: string };

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

const nonEmpty = (value: string | null | undefined): string | undefined => (value && value.trim() ? value.trim() : undefined);

/** Printify's "2022-05-17 15:00:00+00:00" as ISO 8601 UTC, like every other time on the order. */
export function printifyTimeToIso(value: string | null | undefined): string | undefined {
  const text = nonEmpty(value);
  if (!text) return undefined;
  const parsed = Date.parse(/^\d{4}-\d{2}-\d{2} /.test(text) ? text.replace(' ', 'T') : text);
  return Number.isNaN(parsed) ? text : new Date(parsed).toISOString();
}

function shipmentOf(data: z.infer<typeof shipmentData>): Shipment | undefined {
  const carrier = typeof data.carrier === 'string' ? { code: data.carrier } : (data.carrier ?? {});
  const trackingNumber = nonEmpty('tracking_number' in carrier ? carrier.tracking_number : undefined) ?? nonEmpty(data.tracking_number) ?? nonEmpty(data.number);
  const trackingUrl = nonEmpty('tracking_url' in carrier ? carrier.tracking_url : undefined) ?? nonEmpty(data.tracking_url) ?? nonEmpty(data.url);
  const code = nonEmpty(carrier.code) ?? nonEmpty('name' in carrier ? carrier.name : undefined);
  if (!code && !trackingNumber) return undefined;
  return {
    carrier: code ?? 'carrier',
    ...(trackingNumber ? { trackingNumber } : {}),
    ...(trackingUrl ? { trackingUrl } : {}),
    ...(nonEmpty(data.shipped_at) ? { shippedAt: printifyTimeToIso(data.shipped_at)! } : {}),
  };
}

/**
 * Decides what a verified, JSON-parsed Printify webhook means. The shop is not checked: a webhook
 * is registered per shop and signed with our secret, and the order is found by Printify's order id
 * (an order that is not ours is ignored), so a shop id spelled differently cannot lose an event.
 */
export function decidePrintifyEvent(raw: unknown, receivedAt = new Date().toISOString()): PrintifyEventDecision {
  const parsed = envelope.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new MalformedPrintifyEventError(`not a Printify event: ${issue ? `${issue.path.join('.') || '(event)'}: ${issue.message}` : 'invalid'}`);
  }
  const event = parsed.data;
  if (!event.type.startsWith('order:')) return { kind: 'ignore', reason: `topic ${event.type} is not handled` };
  if (event.resource.type && event.resource.type !== 'order') return { kind: 'ignore', reason: `resource type ${event.resource.type}` };
  const data = shipmentData.safeParse(event.resource.data ?? {});
  if (!data.success) throw new MalformedPrintifyEventError(`${event.type} ${event.id}: ${data.error.issues[0]?.message ?? 'invalid data'}`);
  const printifyOrderId = event.resource.id;
  const at = printifyTimeToIso(event.created_at) ?? receivedAt;
  switch (event.type) {
    case 'order:sent-to-production':
      return { kind: 'sent-to-production', printifyOrderId, at };
    case 'order:shipment:created': {
      const shipment = shipmentOf(data.data) ?? { carrier: 'carrier' };
      return { kind: 'shipped', printifyOrderId, at, shipment: { ...shipment, shippedAt: shipment.shippedAt ?? at } };
    }
    case 'order:shipment:delivered': {
      const shipment = shipmentOf(data.data);
      return { kind: 'delivered', printifyOrderId, at, deliveredAt: printifyTimeToIso(data.data.delivered_at) ?? at, ...(shipment ? { shipment } : {}) };
    }
    case 'order:updated': {
      const status = nonEmpty(typeof event.resource.data?.status === 'string' ? event.resource.data.status : undefined);
      if (!status) return { kind: 'ignore', reason: 'order:updated without a status' };
      if (FAILED_PRINTIFY_STATUSES.includes(status)) {
        return { kind: 'failed', printifyOrderId, at, printifyStatus: status, reason: `Printify reported the order ${status}` };
      }
      return { kind: 'status', printifyOrderId, at, printifyStatus: status };
    }
    default:
      return { kind: 'ignore', reason: `topic ${event.type} needs nothing from us` };
  }
}
