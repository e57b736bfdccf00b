import { DEFAULT_PETAL_RATES } from '../../lambdas/domain/petals';
import type { Signal } from '../../lambdas/domain/signals';
import type { OrderStatus } from '../../lambdas/domain/order-status';
import { sendOrderEmail } from '../../lambdas/email/use-cases';
import { signPrintifyBody } from '../../lambdas/printify-webhook/signature';
import { receivePrintifyWebhook, type PrintifyWebhookDeps } from '../../lambdas/printify-webhook/use-case';
import { anOrder, memoryPorts } from '../support/fakes';

const SECRET = 'printify-webhook-secret';

/** A Printify order event about Printify order pf_1, shaped as developers.printify.com documents them. */
function printifyEvent(type: string, data: Record<string, unknown> = {}, createdAt = '2026-11-27 10:00:00+00:00') {
  return { id: `evt_${type}_${createdAt}`, type, created_at: createdAt, resource: { id: 'pf_1', type: 'order', data: { shop_id: 1, ...data } } };
}
const parcel = (trackingNumber: string, shippedAt = '2026-11-27 10:00:00+00:00') => ({
  shipped_at: shippedAt,
  carrier: { code: 'USPS', tracking_number: trackingNumber, tracking_url: `https://usps.example/${trackingNumber}` },
});

async function scene(status: OrderStatus = 'in_production') {
  const ports = memoryPorts();
  await ports.orders.put(anOrder({ status, printifyOrderId: 'pf_1' }));
  await ports.index.record('pf_1', 'ord_1');
  const signals: Signal[] = [];
  const emailDeps = { orders: ports.orders, outbox: ports.outbox, mailer: ports.mailer, rates: DEFAULT_PETAL_RATES };
  const deps: PrintifyWebhookDeps = {
    secret: SECRET,
    index: ports.index,
    orders: ports.orders,
    sendEmail: (request) => sendOrderEmail(emailDeps, request),
    signal: (signal) => void signals.push(signal),
  };
  const deliver = (event: unknown, signature?: string) => {
    const body = Buffer.from(JSON.stringify(event));
    return receivePrintifyWebhook(deps, body, signature ?? signPrintifyBody(body, SECRET));
  };
  return { ...ports, deps, signals, deliver };
}

describe('receivePrintifyWebhook: rejected', () => {
  it('a wrong or missing signature is 401 and changes nothing', async () => {
    const { deliver, orders } = await scene();
    expect(await deliver(printifyEvent('order:shipment:created', parcel('T1')), 'sha256=00')).toEqual({ status: 401, outcome: 'rejected', reason: 'invalid X-Pfy-Signature' });
    expect((await orders.require('ord_1')).status).toBe('in_production');
  });

  it('a signed body that is not a Printify event is 400', async () => {
    const { deliver } = await scene();
    expect(await deliver({ hello: 'world' })).toMatchObject({ status: 400, outcome: 'rejected' });
  });
});

describe('receivePrintifyWebhook: ignored', () => {
  it('an order this shop did not create is acknowledged and signalled', async () => {
    const { deliver, signals } = await scene();
    const event = { ...printifyEvent('order:shipment:created', parcel('T1')), resource: { id: 'pf_other', type: 'order', data: { shop_id: 1, ...parcel('T1') } } };
    expect(await deliver(event)).toEqual({ status: 200, outcome: 'ignored', reason: 'no order for Printify order pf_other' });
    expect(signals).toEqual([{ kind: 'printify-webhook-unknown-order' }]);
  });

  it('a product topic is ignored', async () => {
    const { deliver, signals } = await scene();
    expect(await deliver({ id: 'e', type: 'product:deleted', resource: { id: 'p', type: 'product', data: { shop_id: 1 } } })).toMatchObject({ status: 200, outcome: 'ignored' });
    expect(signals).toEqual([]);
  });
});

describe('receivePrintifyWebhook: shipped', () => {
  it('ships the order with the parcel\'s tracking and emails it once; redelivered, nothing more', async () => {
    const { deliver, orders, mailer, signals } = await scene();
    const event = printifyEvent('order:shipment:created', parcel('T1'));
    expect(await deliver(event)).toEqual({ status: 200, outcome: 'applied', kind: 'shipped', orderId: 'ord_1', orderStatus: 'shipped', email: 'sent' });
    expect(await deliver(event)).toEqual({ status: 200, outcome: 'applied', kind: 'shipped', orderId: 'ord_1', orderStatus: 'shipped', email: 'already-sent' });
    expect(await orders.read('ord_1')).toMatchObject({ status: 'shipped', carrier: 'USPS', trackingNumber: 'T1', shippedAt: '2026-11-27T10:00:00.000Z' });
    expect(mailer.sent).toHaveLength(1);
    expect(signals).toEqual([{ kind: 'printify-order-shipped' }]);
  });

  it('a shipment of an order still before production moves it through in_production', async () => {
    const { deliver } = await scene('paid');
    expect(await deliver(printifyEvent('order:shipment:created', parcel('T1')))).toMatchObject({ orderStatus: 'shipped' });
  });

  it('each parcel gets its email; the order shows the newest parcel whatever order they arrive in', async () => {
    const { deliver, orders, mailer, signals } = await scene();
    await deliver(printifyEvent('order:shipment:created', parcel('T2', '2026-11-28 10:00:00+00:00')));
    await deliver(printifyEvent('order:shipment:created', parcel('T1', '2026-11-27 10:00:00+00:00')));
    expect((await orders.read('ord_1')).trackingNumber).toBe('T2');
    expect(mailer.sent).toHaveLength(2);
    expect(signals).toEqual([{ kind: 'printify-order-shipped' }]);
  });
});

describe('receivePrintifyWebhook: production, delivery, status', () => {
  it('sent-to-production moves a paid order to in_production and records when, once', async () => {
    const { deliver, orders } = await scene('paid');
    expect(await deliver(printifyEvent('order:sent-to-production'))).toMatchObject({ outcome: 'applied', orderStatus: 'in_production' });
    await deliver(printifyEvent('order:sent-to-production', {}, '2026-11-28 10:00:00+00:00'));
    expect((await orders.read('ord_1')).printifySentToProductionAt).toBe('2026-11-27T10:00:00.000Z');
  });

  it('sent-to-production leaves a recorded failure for the operator', async () => {
    const { deliver } = await scene('fulfillment_failed');
    expect(await deliver(printifyEvent('order:sent-to-production'))).toMatchObject({ orderStatus: 'fulfillment_failed' });
  });

  it('a delivery that overtook its shipment ships the order and records the delivery; signalled each time', async () => {
    const { deliver, orders, signals, mailer } = await scene();
    const delivered = printifyEvent('order:shipment:delivered', { delivered_at: '2026-11-29 09:00:00+00:00', carrier: { code: 'USPS', tracking_number: 'T1' } });
    expect(await deliver(delivered)).toMatchObject({ kind: 'delivered', orderStatus: 'shipped' });
    expect((await orders.read('ord_1')).deliveredAt).toBe('2026-11-29T09:00:00.000Z');
    expect(mailer.sent).toEqual([]);
    expect(signals).toEqual([{ kind: 'printify-order-shipped' }, { kind: 'printify-order-delivered' }]);
  });

  it('keeps the newest order:updated status only', async () => {
    const { deliver, orders } = await scene();
    await deliver(printifyEvent('order:updated', { status: 'in-production' }, '2026-11-28 10:00:00+00:00'));
    await deliver(printifyEvent('order:updated', { status: 'pending' }, '2026-11-27 10:00:00+00:00'));
    expect(await orders.read('ord_1')).toMatchObject({ printifyStatus: 'in-production', printifyStatusAt: '2026-11-28T10:00:00.000Z' });
  });
});

describe('receivePrintifyWebhook: failed at Printify', () => {
  it('a canceled order becomes fulfillment_failed, signalled once with the reason', async () => {
    const { deliver, orders, signals } = await scene();
    const canceled = printifyEvent('order:updated', { status: 'canceled' });
    expect(await deliver(canceled)).toMatchObject({ kind: 'failed', orderStatus: 'fulfillment_failed' });
    expect(await deliver(canceled)).toMatchObject({ kind: 'failed', orderStatus: 'fulfillment_failed' });
    expect(await orders.read('ord_1')).toMatchObject({ failureReason: 'Printify reported the order canceled', printifyStatus: 'canceled' });
    expect(signals).toEqual([{ kind: 'printify-order-failed' }, { kind: 'printify-order-canceled' }]);
  });

  it('an order with issues is signalled as such; a shipped order stays shipped', async () => {
    const { deliver, signals } = await scene('shipped');
    expect(await deliver(printifyEvent('order:updated', { status: 'has-issues' }))).toMatchObject({ orderStatus: 'shipped' });
    expect(signals).toEqual([]);
    const other = await scene();
    await other.deliver(printifyEvent('order:updated', { status: 'has-issues' }));
    expect(other.signals).toEqual([{ kind: 'printify-order-failed' }, { kind: 'printify-order-has-issues' }]);
  });
});
