import { createHmac } from 'node:crypto';
import { decidePrintifyEvent, MalformedPrintifyEventError } from '../../lambdas/printify-webhook/events';
import { isValidPrintifySignature, signPrintifyBody } from '../../lambdas/printify-webhook/signature';

const SECRET = 'b4f2a1c9d8e7f6a5b4c3d2e1f0a9b8c7d6e5f4a3';
/** Printify's documented signature, computed here independently of the code under test. */
const printifySigned = (body: string, secret = SECRET) => `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;

// Shaped as developers.printify.com documents the order events.
const shipmentCreated = {
  id: '653b6be8-2ff7-4ab5-a7a6-6889a8b3bbf5',
  type: 'order:shipment:created',
  created_at: '2022-05-17 15:00:00+00:00',
  resource: {
    id: '5a96f649b2439217d070f507',
    type: 'order',
    data: {
      shop_id: 815256,
      shipped_at: '2022-05-17 15:00:00+00:00',
      carrier: {
        code: 'USPS',
        tracking_number: '9400110200828911663274',
        tracking_url: 'https://tools.usps.com/go/TrackConfirmAction?tLabels=9400110200828911663274',
      },
      skus: ['6202'],
    },
  },
};
const withType = (type: string, data: Record<string, unknown>) => ({
  ...shipmentCreated,
  type,
  resource: { ...shipmentCreated.resource, data: { shop_id: 815256, ...data } },
});

describe('X-Pfy-Signature', () => {
  const body = Buffer.from(JSON.stringify(shipmentCreated));

  it("accepts Printify's sha256=<hex HMAC-SHA256 of the raw body>, in either hex case", () => {
    const header = printifySigned(body.toString());
    expect(isValidPrintifySignature(body, header, SECRET)).toBe(true);
    expect(isValidPrintifySignature(body, header.toUpperCase().replace('SHA256=', 'sha256='), SECRET)).toBe(true);
    expect(signPrintifyBody(body, SECRET)).toBe(header);
  });

  it('refuses another secret, a changed body, a missing or malformed header', () => {
    const header = printifySigned(body.toString());
    expect(isValidPrintifySignature(body, printifySigned(body.toString(), 'other'), SECRET)).toBe(false);
    expect(isValidPrintifySignature(Buffer.from(`${body.toString()} `), header, SECRET)).toBe(false);
    for (const bad of [undefined, '', 'sha256=', header.slice('sha256='.length), `sha1=${header.slice(7)}`, `${header}00`, 'sha256=zz']) {
      expect(isValidPrintifySignature(body, bad, SECRET)).toBe(false);
    }
    expect(isValidPrintifySignature(body, header, '')).toBe(false);
  });
});

describe('decidePrintifyEvent', () => {
  it("order:shipment:created: the parcel's carrier, tracking number, link and time", () => {
    expect(decidePrintifyEvent(shipmentCreated)).toEqual({
      kind: 'shipped',
      printifyOrderId: '5a96f649b2439217d070f507',
      at: '2022-05-17T15:00:00.000Z',
      shipment: {
        carrier: 'USPS',
        trackingNumber: '9400110200828911663274',
        trackingUrl: 'https://tools.usps.com/go/TrackConfirmAction?tLabels=9400110200828911663274',
        shippedAt: '2022-05-17T15:00:00.000Z',
      },
    });
  });

  it("tolerates the flat spelling of the order's shipments (carrier, number, url)", () => {
    const decided = decidePrintifyEvent(
      withType('order:shipment:created', { carrier: 'DHL', number: 'JD01', url: 'https://dhl.example/JD01' }),
    );
    expect(decided).toMatchObject({
      kind: 'shipped',
      shipment: { carrier: 'DHL', trackingNumber: 'JD01', trackingUrl: 'https://dhl.example/JD01' },
    });
  });

  it('order:shipment:delivered: when, and the parcel', () => {
    const decided = decidePrintifyEvent(
      withType('order:shipment:delivered', { delivered_at: '2022-05-20 10:00:00+00:00', carrier: { code: 'USPS', tracking_number: '94' } }),
    );
    expect(decided).toEqual({
      kind: 'delivered',
      printifyOrderId: '5a96f649b2439217d070f507',
      at: '2022-05-17T15:00:00.000Z',
      deliveredAt: '2022-05-20T10:00:00.000Z',
      shipment: { carrier: 'USPS', trackingNumber: '94' },
    });
  });

  it('order:sent-to-production, order:updated (failed or not), order:created', () => {
    expect(decidePrintifyEvent(withType('order:sent-to-production', {}))).toMatchObject({
      kind: 'sent-to-production',
      printifyOrderId: '5a96f649b2439217d070f507',
    });
    expect(decidePrintifyEvent(withType('order:updated', { status: 'canceled' }))).toMatchObject({
      kind: 'failed',
      printifyStatus: 'canceled',
      reason: 'Printify reported the order canceled',
    });
    expect(decidePrintifyEvent(withType('order:updated', { status: 'has-issues' }))).toMatchObject({
      kind: 'failed',
      printifyStatus: 'has-issues',
    });
    expect(decidePrintifyEvent(withType('order:updated', { status: 'in-production' }))).toMatchObject({
      kind: 'status',
      printifyStatus: 'in-production',
    });
    expect(decidePrintifyEvent(withType('order:updated', {}))).toMatchObject({ kind: 'ignore' });
    expect(decidePrintifyEvent(withType('order:created', {}))).toMatchObject({ kind: 'ignore' });
  });

  it('ignores product and shop topics', () => {
    expect(
      decidePrintifyEvent({ id: 'e', type: 'product:deleted', resource: { id: 'p', type: 'product', data: { shop_id: 1 } } }),
    ).toMatchObject({ kind: 'ignore' });
    expect(decidePrintifyEvent({ id: 'e', type: 'shop:disconnected', resource: { id: '1', type: 'shop' } })).toMatchObject({
      kind: 'ignore',
    });
  });

  it('refuses what is not a Printify event', () => {
    for (const bad of [null, 'x', {}, { id: 'e', type: 'order:updated' }, { id: '', type: 'order:updated', resource: { id: 'o' } }]) {
      expect(() => decidePrintifyEvent(bad)).toThrow(MalformedPrintifyEventError);
    }
  });

  it('reads Printify\'s times ("2022-05-17 15:00:00+00:00", other offsets, ISO) as ISO UTC', () => {
    expect(decidePrintifyEvent({ ...withType('order:sent-to-production', {}), created_at: '2022-05-17 17:00:00+02:00' })).toMatchObject({
      at: '2022-05-17T15:00:00.000Z',
    });
    expect(decidePrintifyEvent({ ...withType('order:sent-to-production', {}), created_at: '2022-05-17T15:00:00Z' })).toMatchObject({
      at: '2022-05-17T15:00:00.000Z',
    });
  });

  it('uses the time it was received when Printify gives none', () => {
    const { created_at: _omitted, ...noTime } = withType('order:sent-to-production', {});
    expect(decidePrintifyEvent(noTime, '2026-01-01T00:00:00.000Z')).toMatchObject({ at: '2026-01-01T00:00:00.000Z' });
  });

  it("clamps an event time (and a parcel's times) more than a day ahead of its receipt to the receipt", () => {
    const received = '2026-01-01T00:00:00.000Z';
    const future = {
      ...withType('order:shipment:delivered', {
        delivered_at: '2099-01-01 00:00:00+00:00',
        shipped_at: '2099-01-01 00:00:00+00:00',
        carrier: { code: 'USPS', tracking_number: 'T1' },
      }),
      created_at: '2099-01-01 00:00:00+00:00',
    };
    expect(decidePrintifyEvent(future, received)).toMatchObject({ at: received, deliveredAt: received, shipment: { shippedAt: received } });
    const skewed = { ...withType('order:sent-to-production', {}), created_at: '2026-01-01 12:00:00+00:00' };
    expect(decidePrintifyEvent(skewed, received)).toMatchObject({ at: '2026-01-01T12:00:00.000Z' });
  });

  it('a tracking number or Printify order id that cannot be part of a key is unappliable, not malformed', () => {
    const long = withType('order:shipment:created', { carrier: { code: 'USPS', tracking_number: 'T'.repeat(1100) } });
    expect(decidePrintifyEvent(long)).toMatchObject({
      kind: 'unappliable',
      reason: expect.stringMatching(/tracking number of 1100 characters/),
    });
    const fits = withType('order:shipment:created', { carrier: { code: 'USPS', tracking_number: 'T'.repeat(255) } });
    expect(decidePrintifyEvent(fits)).toMatchObject({ kind: 'shipped' });
    const badId = { ...shipmentCreated, resource: { ...shipmentCreated.resource, id: 'x'.repeat(300) } };
    expect(decidePrintifyEvent(badId)).toMatchObject({ kind: 'unappliable' });
  });
});
