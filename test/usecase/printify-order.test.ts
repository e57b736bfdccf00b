import { PrintifyApiError } from '../../lambdas/adapters/printify-client';
import { OrderNotReadyError, PrintifyLookupContinuesError, PrintifyRejectedError } from '../../lambdas/domain/errors';
import {
  createPrintifyOrder,
  markFulfillmentFailed,
  PrintifyUnavailableError,
  type PrintifyOrderDeps,
} from '../../lambdas/fulfilment/printify-order';
import { anOrder, memoryPorts, P1_MAPPING } from '../support/fakes';

async function setup(
  options: {
    sendToProduction?: boolean;
    status?: ReturnType<typeof anOrder>['status'];
    mapped?: boolean;
    order?: Record<string, unknown>;
  } = {},
) {
  const ports = memoryPorts();
  await ports.orders.put(anOrder({ status: options.status ?? 'paid', ...options.order }));
  if (options.mapped ?? true) await ports.mappings.put(P1_MAPPING);
  const deps: PrintifyOrderDeps = {
    orders: ports.orders,
    mappings: ports.mappings,
    index: ports.index,
    printify: ports.printify,
    shippingMethod: 1,
    sendToProduction: options.sendToProduction ?? true,
    now: ports.clock.now,
  };
  return { ...ports, deps };
}

const refusal = (message: string, fieldErrors: string[] = []) =>
  new PrintifyApiError({ message, kind: 'http', method: 'POST', path: '/x', status: 400, retryable: false, fieldErrors });
const outage = (message = '502') =>
  new PrintifyApiError({ message, kind: 'http', method: 'POST', path: '/x', status: 502, retryable: true });

describe('createPrintifyOrder: created', () => {
  it("creates the order with our id as external_id, indexes Printify's id to ours, and sends it to production", async () => {
    const { deps, orders, index, printify } = await setup();
    expect(await createPrintifyOrder(deps, 'ord_1')).toEqual({
      outcome: 'created',
      printifyOrderId: 'pf_1',
      status: 'in_production',
      sentToProduction: true,
      signals: [{ kind: 'printify-order-created' }],
    });
    expect(await index.orderIdOf('pf_1')).toBe('ord_1');
    expect(printify.orders[0]!.request).toMatchObject({
      external_id: 'ord_1',
      line_items: [{ product_id: P1_MAPPING.printifyProductId, variant_id: 32918, quantity: 2 }],
      address_to: { first_name: 'Sakura', last_name: 'Haruno', region: 'OR', zip: '97201', email: 'sakura@example.com' },
    });
    expect(await orders.require('ord_1')).toMatchObject({
      printifyOrderId: 'pf_1',
      printifySentToProductionAt: '2026-11-26T12:00:00.000Z',
    });
  });

  it('run again (a retried task), creates and sends nothing more', async () => {
    const { deps, printify } = await setup();
    await createPrintifyOrder(deps, 'ord_1');
    expect(await createPrintifyOrder(deps, 'ord_1')).toEqual({
      outcome: 'already-created',
      printifyOrderId: 'pf_1',
      status: 'in_production',
      sentToProduction: true,
      signals: [],
    });
    expect(printify.calls).toEqual(['createOrder', 'sendToProduction']);
  });

  it('leaves the order on hold when sending to production is left to the shop', async () => {
    const { deps, printify } = await setup({ sendToProduction: false });
    expect(await createPrintifyOrder(deps, 'ord_1')).toMatchObject({ outcome: 'created', sentToProduction: false });
    expect(printify.calls).toEqual(['createOrder']);
  });

  it('fulfils an order an operator retries from fulfillment_failed, clearing the recorded failure', async () => {
    const { deps, orders } = await setup({
      status: 'fulfillment_failed',
      order: { failureReason: 'PrintifyUnavailable', printifyErrors: ['x'] },
    });
    expect(await createPrintifyOrder(deps, 'ord_1')).toMatchObject({ outcome: 'created', status: 'in_production' });
    const order = await orders.read('ord_1');
    expect(order.failureReason).toBeUndefined();
    expect(order.printifyErrors).toBeUndefined();
  });
});

describe('createPrintifyOrder: a print canceled for a refund that then failed', () => {
  // The refund workflow canceled the on-hold print (cancelRefundedPrint); the refund failed, so the
  // paid order is fulfillment_failed "create it again (ops retry-mapping)".
  async function canceledThenRetried(sendToProduction: boolean) {
    const ctx = await setup({ sendToProduction: false });
    await createPrintifyOrder(ctx.deps, 'ord_1');
    await ctx.printify.cancelOrder('pf_1');
    await ctx.orders.set('ord_1', {
      status: 'fulfillment_failed',
      printifyCanceledAt: '2026-11-26T12:05:00.000Z',
      printifyStatus: 'canceled',
      failureReason: 'The refund failed after its Printify order was canceled: create it again (ops retry-mapping).',
    });
    return { ...ctx, deps: { ...ctx.deps, sendToProduction } };
  }

  for (const sendToProduction of [true, false]) {
    it(`creates a new Printify order on the operator's retry instead of reusing the canceled one (send_to_production ${sendToProduction ? 'ours' : "the shop's"})`, async () => {
      const { deps, orders, printify, index } = await canceledThenRetried(sendToProduction);
      expect(await createPrintifyOrder(deps, 'ord_1')).toMatchObject({
        outcome: 'created',
        printifyOrderId: 'pf_2',
        status: 'in_production',
        sentToProduction: sendToProduction,
      });
      expect(printify.orders.map((o) => [o.id, o.status])).toEqual([
        ['pf_1', 'canceled'],
        ['pf_2', sendToProduction ? 'sending-to-production' : 'on-hold'],
      ]);
      const order = await orders.read('ord_1');
      expect(order).toMatchObject({ printifyOrderId: 'pf_2', canceledPrintifyOrderIds: ['pf_1'], retriedAt: expect.any(String) });
      expect(order.printifyCanceledAt).toBeUndefined();
      expect(order.failureReason).toBeUndefined();
      expect(await index.orderIdOf('pf_2')).toBe('ord_1');
      // run again (a retried task): nothing more is created
      expect(await createPrintifyOrder(deps, 'ord_1')).toMatchObject({ outcome: 'already-created', printifyOrderId: 'pf_2' });
      expect(printify.orders).toHaveLength(2);
    });
  }

  it('never records a canceled Printify order as sent to production: its refused send fails for good', async () => {
    const { deps, orders, printify } = await setup({ sendToProduction: false });
    await createPrintifyOrder(deps, 'ord_1');
    await printify.cancelOrder('pf_1'); // canceled at Printify (the shop), the order not told yet
    await expect(createPrintifyOrder({ ...deps, sendToProduction: true }, 'ord_1')).rejects.toThrow(/pf_1 \(canceled\) to production/);
    expect((await orders.read('ord_1')).printifySentToProductionAt).toBeUndefined();
  });
});

describe('createPrintifyOrder: addresses as the world writes them', () => {
  it('creates the order with a Hong Kong address that has no postal code or city, sending only what is there', async () => {
    const hongKong = { name: 'Chan Tai Man', line1: "Flat 12, 3/F, 88 Queen's Road Central", state: 'Central', country: 'HK' };
    const { deps, orders, printify } = await setup({ order: { shippingAddress: hongKong } });
    expect(await createPrintifyOrder(deps, 'ord_1')).toMatchObject({ outcome: 'created', status: 'in_production' });
    const sent = printify.orders[0]!.request.address_to;
    expect(sent).toMatchObject({ first_name: 'Chan Tai', last_name: 'Man', address1: hongKong.line1, region: 'Central', country: 'HK' });
    expect(sent).not.toHaveProperty('zip');
    expect(sent).not.toHaveProperty('city');
    expect((await orders.read('ord_1')).shippingAddress).toEqual(hongKong);
  });

  it("keeps Printify's field message when it refuses an address without a postal code", async () => {
    const { deps, orders, printify } = await setup({
      order: { shippingAddress: { name: 'A B', line1: '1 Road', city: 'Town', country: 'US' } },
    });
    printify.faults.createOrder = [refusal('Validation failed.', ['address_to.zip: The address_to.zip field is required.'])];
    await expect(createPrintifyOrder(deps, 'ord_1')).rejects.toBeInstanceOf(PrintifyRejectedError);
    expect((await orders.read('ord_1')).printifyErrors).toEqual(['address_to.zip: The address_to.zip field is required.']);
  });
});

describe('createPrintifyOrder: lost answers and refusals', () => {
  it('treats a refused send as done when Printify has the order past on-hold (our first send went through unseen)', async () => {
    const { deps, orders, printify } = await setup();
    printify.faults.sendToProduction = [outage()];
    await expect(createPrintifyOrder(deps, 'ord_1')).rejects.toBeInstanceOf(PrintifyUnavailableError);
    printify.orders[0]!.status = 'sending-to-production'; // it did reach Printify
    expect(await createPrintifyOrder(deps, 'ord_1')).toMatchObject({ outcome: 'already-created', sentToProduction: true });
    expect(printify.calls).toEqual(['createOrder', 'sendToProduction', 'sendToProduction', 'getOrder']);
    expect((await orders.read('ord_1')).printifySentToProductionAt).toBeDefined();
  });

  it('fails for good when Printify refuses to send an order still on hold', async () => {
    const { deps, printify } = await setup();
    printify.faults.sendToProduction = [refusal('Insufficient balance')];
    await expect(createPrintifyOrder(deps, 'ord_1')).rejects.toBeInstanceOf(PrintifyRejectedError);
  });

  it('makes a retryable send failure PrintifyUnavailable, and the retry sends without creating again', async () => {
    const { deps, orders, printify } = await setup();
    printify.faults.sendToProduction = [outage()];
    await expect(createPrintifyOrder(deps, 'ord_1')).rejects.toBeInstanceOf(PrintifyUnavailableError);
    expect((await orders.require('ord_1')).printifyOrderId).toBe('pf_1');
    expect(await createPrintifyOrder(deps, 'ord_1')).toMatchObject({ outcome: 'already-created', sentToProduction: true });
    expect(printify.calls).toEqual(['createOrder', 'sendToProduction', 'sendToProduction']);
  });

  it('after a create whose answer was lost, finds the order at Printify instead of creating another', async () => {
    const { deps, printify, clock } = await setup();
    printify.lost = outage('timed out');
    await expect(createPrintifyOrder(deps, 'ord_1')).rejects.toBeInstanceOf(PrintifyUnavailableError);
    clock.set('2026-11-26T12:05:00.000Z');
    expect(await createPrintifyOrder(deps, 'ord_1')).toMatchObject({
      outcome: 'already-created',
      printifyOrderId: 'pf_1',
      status: 'in_production',
    });
    expect(printify.orders).toHaveLength(1);
  });

  it('searches Printify back to the first attempt, not the one just before', async () => {
    const { deps, orders, printify, clock } = await setup();
    const searches: unknown[] = [];
    const find = printify.findOrderByExternalId.bind(printify);
    printify.findOrderByExternalId = async (externalId, options) => {
      searches.push([externalId, options]);
      return find(externalId, options);
    };
    printify.faults.createOrder = [outage('timed out'), outage('timed out'), outage('timed out')];
    await expect(createPrintifyOrder(deps, 'ord_1')).rejects.toBeInstanceOf(PrintifyUnavailableError);
    clock.set('2026-11-26T12:05:00.000Z');
    await expect(createPrintifyOrder(deps, 'ord_1')).rejects.toBeInstanceOf(PrintifyUnavailableError);
    clock.set('2026-11-26T12:30:00.000Z');
    await expect(createPrintifyOrder(deps, 'ord_1')).rejects.toBeInstanceOf(PrintifyUnavailableError);
    // each search is bounded to LOOKUP_BUDGET_SECONDS from its own start
    expect(searches).toEqual([
      ['ord_1', { createdSince: '2026-11-26T12:00:00.000Z', deadline: Date.parse('2026-11-26T12:05:15.000Z') }],
      ['ord_1', { createdSince: '2026-11-26T12:00:00.000Z', deadline: Date.parse('2026-11-26T12:30:15.000Z') }],
    ]);
    expect((await orders.require('ord_1')).printifyAttemptedAt).toBe('2026-11-26T12:00:00.000Z');
  });

  it('continues a long lookup from the page the last attempt reached, then finds the order once', async () => {
    const { deps, orders, printify, clock } = await setup();
    printify.lost = outage('timed out');
    await expect(createPrintifyOrder(deps, 'ord_1')).rejects.toBeInstanceOf(PrintifyUnavailableError);
    // a flash sale: 35 orders of other customers after ours, so ours is on page 4, newest first
    for (let i = 0; i < 35; i += 1) await printify.createOrder({ ...printify.orders[0]!.request, external_id: `other_${i}` });
    printify.pagesBeforeDeadline = 1;
    const pages: (number | undefined)[] = [];
    for (let attempt = 0; attempt < 3; attempt += 1) {
      await expect(createPrintifyOrder(deps, 'ord_1')).rejects.toBeInstanceOf(PrintifyLookupContinuesError);
      pages.push((await orders.require('ord_1')).printifyLookupPage);
    }
    expect(pages).toEqual([2, 3, 4]);
    clock.set('2026-11-26T12:05:00.000Z');
    expect(await createPrintifyOrder(deps, 'ord_1')).toMatchObject({ outcome: 'already-created', printifyOrderId: 'pf_1' });
    expect(printify.orders.filter((o) => o.external_id === 'ord_1')).toHaveLength(1);
    // the walk is over: a later lookup (after another lost create) starts from the newest again
    expect((await orders.require('ord_1')).printifyLookupPage).toBeUndefined();
  });

  it("keeps Printify's field messages on the order when it refuses the order; after a fix it creates without searching", async () => {
    const { deps, orders, printify } = await setup();
    printify.faults.createOrder = [refusal('HTTP 400: Validation failed.', ['address_to.zip: The address_to.zip field is required.'])];
    await expect(createPrintifyOrder(deps, 'ord_1')).rejects.toThrow('Printify rejected the order: HTTP 400: Validation failed.');
    expect((await orders.read('ord_1')).printifyErrors).toEqual(['address_to.zip: The address_to.zip field is required.']);
    expect(await createPrintifyOrder(deps, 'ord_1')).toMatchObject({ outcome: 'created', printifyOrderId: 'pf_1' });
    expect(printify.calls).not.toContain('findOrderByExternalId');
  });
});

describe('createPrintifyOrder: waits or skips', () => {
  it('moves an order with an unmapped product to pending_mapping, naming the pair, and calls Printify not at all', async () => {
    const { deps, orders, printify } = await setup({ mapped: false });
    expect(await createPrintifyOrder(deps, 'ord_1')).toEqual({
      outcome: 'pending_mapping',
      missing: ['p1/M'],
      status: 'pending_mapping',
      signals: [{ kind: 'printify-mapping-missing' }],
    });
    expect((await orders.require('ord_1')).missingMappings).toEqual(['p1/M']);
    expect(printify.calls).toEqual([]);
  });

  it('throws OrderNotReady for a paid order without a shipping address yet (the session carrying it is on its way)', async () => {
    const { deps, printify } = await setup({ order: { shippingAddress: undefined } });
    await expect(createPrintifyOrder(deps, 'ord_1')).rejects.toBeInstanceOf(OrderNotReadyError);
    expect(printify.calls).toEqual([]);
  });

  it.each(['pending', 'refunded', 'cancelled'] as const)('skips a %s order', async (status) => {
    const { deps, printify } = await setup({ status });
    expect(await createPrintifyOrder(deps, 'ord_1')).toEqual({ outcome: 'skipped', reason: `order is ${status}`, status, signals: [] });
    expect(printify.calls).toEqual([]);
  });

  it('keeps the Printify id on an order refunded while Printify created it, without sending it to production', async () => {
    const { deps, orders, printify } = await setup();
    const create = printify.createOrder.bind(printify);
    printify.createOrder = async (request) => {
      await orders.transition('ord_1', 'refunded');
      return create(request);
    };
    expect(await createPrintifyOrder(deps, 'ord_1')).toMatchObject({
      outcome: 'created',
      printifyOrderId: 'pf_1',
      status: 'refunded',
      sentToProduction: false,
    });
    expect((await orders.require('ord_1')).printifyOrderId).toBe('pf_1');
    expect(printify.calls).not.toContain('sendToProduction');
  });
});

describe('markFulfillmentFailed', () => {
  it('records the reason and moves the order to fulfillment_failed once', async () => {
    const { orders } = await setup();
    expect(await markFulfillmentFailed({ orders }, 'ord_1', 'PrintifyRejected: no')).toEqual({
      status: 'fulfillment_failed',
      transitioned: true,
      signals: [{ kind: 'printify-order-failed' }],
    });
    expect(await markFulfillmentFailed({ orders }, 'ord_1', 'PrintifyRejected: no')).toMatchObject({
      status: 'fulfillment_failed',
      transitioned: false,
    });
    expect((await orders.require('ord_1')).failureReason).toBe('PrintifyRejected: no');
  });

  it('leaves a shipped order as it is', async () => {
    const { orders } = await setup({ status: 'shipped' });
    expect(await markFulfillmentFailed({ orders }, 'ord_1', 'late')).toMatchObject({ status: 'shipped', transitioned: false });
    expect((await orders.require('ord_1')).failureReason).toBeUndefined();
  });
});
