import { DEFAULT_PETAL_RATES } from '../../lambdas/domain/petals';
import type { Signal } from '../../lambdas/domain/signals';
import type { OrderStatus } from '../../lambdas/domain/order-status';
import { sendOrderEmail } from '../../lambdas/email/use-cases';
import { createPrintifyOrder } from '../../lambdas/fulfilment/printify-order';
import { signPrintifyBody } from '../../lambdas/printify-webhook/signature';
import { receivePrintifyWebhook, type PrintifyWebhookDeps } from '../../lambdas/printify-webhook/use-case';
import type { PrintifyEventRecord } from '../../lambdas/ports/printify';
import { anOrder, memoryPorts } from '../support/fakes';

const SECRET = 'printify-webhook-secret';

/** A Printify order event about Printify order pf_1, shaped as developers.printify.com documents them. */
function printifyEvent(type: string, data: Record<string, unknown> = {}, createdAt = '2026-11-27 10:00:00+00:00') {
  return {
    id: `evt_${type}_${createdAt}`,
    type,
    created_at: createdAt,
    resource: { id: 'pf_1', type: 'order', data: { shop_id: 1, ...data } },
  };
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
  const recorded: { orderId: string; event: PrintifyEventRecord }[] = [];
  const emailDeps = { orders: ports.orders, outbox: ports.outbox, mailer: ports.mailer, rates: DEFAULT_PETAL_RATES };
  const deps: PrintifyWebhookDeps = {
    secret: SECRET,
    index: ports.index,
    orders: ports.orders,
    sendEmail: (request) => sendOrderEmail(emailDeps, request),
    signal: (signal) => void signals.push(signal),
    events: { record: async (orderId, event) => void recorded.push({ orderId, event }) },
  };
  const deliver = (event: unknown, signature?: string) => {
    const body = Buffer.from(JSON.stringify(event));
    return receivePrintifyWebhook(deps, body, signature ?? signPrintifyBody(body, SECRET));
  };
  return { ...ports, deps, signals, recorded, deliver };
}

describe('receivePrintifyWebhook: rejected', () => {
  it('a wrong or missing signature is 401 and changes nothing', async () => {
    const { deliver, orders } = await scene();
    expect(await deliver(printifyEvent('order:shipment:created', parcel('T1')), 'sha256=00')).toEqual({
      status: 401,
      outcome: 'rejected',
      reason: 'invalid X-Pfy-Signature',
    });
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
    const event = {
      ...printifyEvent('order:shipment:created', parcel('T1')),
      resource: { id: 'pf_other', type: 'order', data: { shop_id: 1, ...parcel('T1') } },
    };
    expect(await deliver(event)).toEqual({ status: 200, outcome: 'ignored', reason: 'no order for Printify order pf_other' });
    expect(signals).toEqual([{ kind: 'printify-webhook-unknown-order' }]);
  });

  it('a product topic is ignored', async () => {
    const { deliver, signals } = await scene();
    expect(await deliver({ id: 'e', type: 'product:deleted', resource: { id: 'p', type: 'product', data: { shop_id: 1 } } })).toMatchObject(
      { status: 200, outcome: 'ignored' },
    );
    expect(signals).toEqual([]);
  });
});

describe('receivePrintifyWebhook: shipped', () => {
  it("ships the order with the parcel's tracking and emails it once; redelivered, nothing more", async () => {
    const { deliver, orders, mailer, signals } = await scene();
    const event = printifyEvent('order:shipment:created', parcel('T1'));
    expect(await deliver(event)).toEqual({
      status: 200,
      outcome: 'applied',
      kind: 'shipped',
      orderId: 'ord_1',
      orderStatus: 'shipped',
      email: 'sent',
    });
    expect(await deliver(event)).toEqual({
      status: 200,
      outcome: 'applied',
      kind: 'shipped',
      orderId: 'ord_1',
      orderStatus: 'shipped',
      email: 'already-sent',
    });
    expect(await orders.read('ord_1')).toMatchObject({
      status: 'shipped',
      carrier: 'USPS',
      trackingNumber: 'T1',
      shippedAt: '2026-11-27T10:00:00.000Z',
    });
    expect(mailer.sent).toHaveLength(1);
    expect(signals).toEqual([{ kind: 'printify-order-shipped' }, { kind: 'email-sent' }]);
  });

  it('records each applied event on the order (what Printify said, when, and the status after it); not an ignored one', async () => {
    const { deliver, recorded } = await scene();
    await deliver(printifyEvent('order:shipment:created', parcel('T1')));
    await deliver(printifyEvent('order:created'));
    await deliver({ ...printifyEvent('order:updated', { status: 'fulfilled' }), resource: { id: 'pf_other', type: 'order', data: {} } });
    expect(recorded).toEqual([
      {
        orderId: 'ord_1',
        event: {
          eventId: 'evt_order:shipment:created_2026-11-27 10:00:00+00:00',
          topic: 'order:shipment:created',
          at: '2026-11-27T10:00:00.000Z',
          kind: 'shipped',
          orderStatus: 'shipped',
        },
      },
    ]);
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
    expect(signals).toEqual([{ kind: 'printify-order-shipped' }, { kind: 'email-sent' }, { kind: 'email-sent' }]);
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
    const delivered = printifyEvent('order:shipment:delivered', {
      delivered_at: '2026-11-29 09:00:00+00:00',
      carrier: { code: 'USPS', tracking_number: 'T1' },
    });
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

describe("receivePrintifyWebhook: every change guarded by the event's time", () => {
  it('a redelivered older has-issues does not fail an order a newer status moved on; status and printifyStatus agree', async () => {
    const { deliver, orders, signals } = await scene();
    await deliver(printifyEvent('order:updated', { status: 'in-production' }, '2026-11-28 10:00:00+00:00'));
    expect(await deliver(printifyEvent('order:updated', { status: 'has-issues' }, '2026-11-27 10:00:00+00:00'))).toMatchObject({
      orderStatus: 'in_production',
    });
    expect(await orders.read('ord_1')).toMatchObject({ status: 'in_production', printifyStatus: 'in-production' });
    expect(signals).toEqual([]);
  });

  it('a redelivered has-issues does not fail again an order an operator retried after it', async () => {
    const { deliver, orders, clock, mappings, index, printify } = await scene();
    const issues = printifyEvent('order:updated', { status: 'has-issues' }, '2026-11-27 10:00:00+00:00');
    clock.set('2026-11-27T10:00:05.000Z');
    expect(await deliver(issues)).toMatchObject({ orderStatus: 'fulfillment_failed' });
    clock.set('2026-11-27T11:00:00.000Z'); // the operator fixed it at Printify and retried (ops retry-mapping)
    await createPrintifyOrder({ orders, mappings, index, printify, shippingMethod: 1, sendToProduction: false, now: clock.now }, 'ord_1');
    expect(await orders.read('ord_1')).toMatchObject({ status: 'in_production', retriedAt: '2026-11-27T11:00:00.000Z' });
    clock.set('2026-11-27T12:00:00.000Z');
    expect(await deliver(issues)).toMatchObject({ orderStatus: 'in_production' });
    expect((await orders.read('ord_1')).failureReason).toBeUndefined();
  });

  it('a shipment for a refunded order is recorded for the operator; the refund and its status stay, no email', async () => {
    const { deliver, orders, signals, mailer } = await scene();
    await orders.transition('ord_1', 'refunded', { amountRefunded: 4999 });
    expect(await deliver(printifyEvent('order:shipment:created', parcel('T1')))).toMatchObject({ orderStatus: 'refunded' });
    expect(await orders.read('ord_1')).toMatchObject({ status: 'refunded', amountRefunded: 4999, trackingNumber: 'T1', carrier: 'USPS' });
    expect(mailer.sent).toEqual([]);
    expect(signals).toEqual([{ kind: 'printify-shipment-after-refund' }]);
  });

  it('a delivery before its shipment: the shipment event then fills shippedAt and sends the email', async () => {
    const { deliver, orders, mailer } = await scene();
    await deliver(
      printifyEvent('order:shipment:delivered', {
        delivered_at: '2026-11-29 09:00:00+00:00',
        carrier: { code: 'USPS', tracking_number: 'T1' },
      }),
    );
    expect((await orders.read('ord_1')).shippedAt).toBeUndefined();
    await deliver(printifyEvent('order:shipment:created', parcel('T1', '2026-11-28 08:00:00+00:00')));
    expect(await orders.read('ord_1')).toMatchObject({
      status: 'shipped',
      shippedAt: '2026-11-28T08:00:00.000Z',
      deliveredAt: '2026-11-29T09:00:00.000Z',
      trackingUrl: 'https://usps.example/T1',
    });
    expect(mailer.sent).toHaveLength(1);
  });

  it('a delivery without parcel details still ships the order', async () => {
    const { deliver, orders } = await scene();
    expect(await deliver(printifyEvent('order:shipment:delivered', { delivered_at: '2026-11-29 09:00:00+00:00' }))).toMatchObject({
      orderStatus: 'shipped',
    });
    expect((await orders.read('ord_1')).deliveredAt).toBe('2026-11-29T09:00:00.000Z');
  });

  it("an event dated far in the future does not freeze the order's Printify status", async () => {
    const { deliver, orders } = await scene();
    const future = await deliver(printifyEvent('order:updated', { status: 'pending' }, '2099-01-01 00:00:00+00:00'));
    expect(future).toMatchObject({ outcome: 'applied', note: expect.stringMatching(/2099-01-01T00:00:00.000Z, over a day ahead/) });
    const frozen = await orders.read('ord_1');
    expect(frozen.printifyStatusAt! < '2099').toBe(true);
    await deliver(printifyEvent('order:updated', { status: 'in-production' }, new Date(Date.now() + 60_000).toISOString()));
    expect((await orders.read('ord_1')).printifyStatus).toBe('in-production');
  });
});

describe('receivePrintifyWebhook: deliveries that can never be applied', () => {
  it('a 1,100-character tracking number is acknowledged (200), signalled, and writes nothing', async () => {
    const { deliver, orders, signals, mailer } = await scene();
    const before = await orders.read('ord_1');
    const outcome = await deliver(printifyEvent('order:shipment:created', parcel('T'.repeat(1100))));
    expect(outcome).toMatchObject({ status: 200, outcome: 'ignored', reason: expect.stringMatching(/tracking number of 1100 characters/) });
    expect(await orders.read('ord_1')).toEqual(before);
    expect(mailer.sent).toEqual([]);
    expect(signals).toEqual([{ kind: 'printify-webhook-unappliable' }]);
  });

  it('a Printify order id with a line break is acknowledged and signalled', async () => {
    const { deliver, signals } = await scene();
    const event = {
      ...printifyEvent('order:updated', { status: 'pending' }),
      resource: { id: 'pf\n1', type: 'order', data: { status: 'pending' } },
    };
    expect(await deliver(event)).toMatchObject({ status: 200, outcome: 'ignored' });
    expect(signals).toEqual([{ kind: 'printify-webhook-unappliable' }]);
  });

  it('a write DynamoDB refuses for good (ValidationException) is acknowledged and signalled; a throttle still throws', async () => {
    const { deps, deliver, signals } = await scene();
    const refuse = (name: string) => {
      deps.orders.transition = async () =>
        Promise.reject(Object.assign(new Error('Item size has exceeded the maximum allowed size'), { name }));
    };
    refuse('ValidationException');
    expect(await deliver(printifyEvent('order:shipment:created', parcel('T1')))).toMatchObject({
      status: 200,
      outcome: 'ignored',
      reason: expect.stringMatching(/cannot be recorded/),
    });
    expect(signals).toEqual([{ kind: 'printify-webhook-unappliable' }]);
    refuse('ProvisionedThroughputExceededException');
    await expect(deliver(printifyEvent('order:shipment:created', parcel('T1')))).rejects.toMatchObject({
      name: 'ProvisionedThroughputExceededException',
    });
  });

  it('a shipping email to an address that can never be sent to: recorded, signalled, and the shipment still applied', async () => {
    const { deliver, orders, mailer, signals } = await scene();
    await orders.set('ord_1', { email: 'a, b' });
    expect(await deliver(printifyEvent('order:shipment:created', parcel('T1')))).toMatchObject({
      status: 200,
      orderStatus: 'shipped',
      email: 'undeliverable',
    });
    expect(mailer.sent).toEqual([]);
    expect(signals).toEqual([{ kind: 'printify-order-shipped' }, { kind: 'email-undeliverable' }]);
  });
});
