import { PrintifyApiError, type PrintifyOrder } from '../../lambdas/adapters/printify-client';
import { PrintifyRejectedError } from '../../lambdas/domain/errors';
import type { Order, ProductMapping } from '../../lambdas/domain/order';
import { canTransition, type OrderStatus } from '../../lambdas/domain/order-status';
import { createPrintifyOrder, PrintifyUnavailableError, type PrintifyOrderDeps } from '../../lambdas/fulfilment/printify-order';

/** The order repository's contract, in memory: transitions follow the real table. */
class MemoryOrders {
  constructor(readonly items = new Map<string, Order & Record<string, unknown>>()) {}
  async require(orderId: string) {
    const order = this.items.get(orderId);
    if (!order) throw new Error(`no order ${orderId}`);
    return structuredClone(order);
  }
  async update(orderId: string, values: Record<string, unknown>) {
    const order = this.items.get(orderId)!;
    for (const [key, value] of Object.entries(values)) {
      if (value === null) delete order[key];
      else if (value !== undefined) order[key] = value;
    }
    return structuredClone(order);
  }
  async transition(orderId: string, to: OrderStatus, values: Record<string, unknown> = {}) {
    const order = this.items.get(orderId)!;
    if (!canTransition(order.status, to)) return { transitioned: false, order: structuredClone(order) };
    return { transitioned: true, order: await this.update(orderId, { ...values, status: to }) };
  }
}

const MAPPING: ProductMapping = { productId: 'p1', variantId: 'M', printifyProductId: '5d39b159e7c48c000728c89f', printifyVariantId: 32918 };

function setup(options: { sendToProduction?: boolean; sendError?: PrintifyApiError; statusAtPrintify?: string } = {}) {
  const orders = new MemoryOrders();
  orders.items.set('ord_1', {
    orderId: 'ord_1',
    userId: 'u1',
    status: 'paid',
    currency: 'usd',
    amountTotal: 2500,
    email: 'a@example.com',
    items: [{ productId: 'p1', variantId: 'M', quantity: 2, unitAmount: 1250 }],
    shippingAddress: { name: 'Sakura Haruno', line1: '1 Street', city: 'Portland', postalCode: '97201', country: 'US', state: 'OR' },
    createdAt: 'x',
    updatedAt: 'x',
  });
  const calls: string[] = [];
  const indexed: [string, string][] = [];
  const deps = {
    orders,
    mappings: { find: async () => new Map([['p1#M', MAPPING]]) },
    index: { record: async (printifyId: string, orderId: string) => void indexed.push([printifyId, orderId]) },
    printify: {
      createOrder: async () => {
        calls.push('create');
        return { id: 'pf_1' };
      },
      findOrderByExternalId: async () => undefined,
      sendToProduction: async () => {
        calls.push('send');
        if (options.sendError) throw options.sendError;
      },
      getOrder: async () => {
        calls.push('get');
        return { id: 'pf_1', status: options.statusAtPrintify ?? 'on-hold' } as PrintifyOrder;
      },
    },
    shippingMethod: 1,
    sendToProduction: options.sendToProduction ?? true,
    now: () => new Date('2026-11-26T12:00:00Z'),
  } as unknown as PrintifyOrderDeps;
  return { deps, orders, calls, indexed };
}

const refusal = (message: string) =>
  new PrintifyApiError({ message, kind: 'http', method: 'POST', path: '/x', status: 400, retryable: false, fieldErrors: [] });

describe('createPrintifyOrder', () => {
  it('creates, indexes Printify\'s id to ours, and sends to production once', async () => {
    const { deps, orders, calls, indexed } = setup();
    expect(await createPrintifyOrder(deps, 'ord_1')).toEqual({ outcome: 'created', printifyOrderId: 'pf_1', status: 'in_production', sentToProduction: true });
    expect(indexed).toEqual([['pf_1', 'ord_1']]);
    expect((await orders.require('ord_1')).printifySentToProductionAt).toBe('2026-11-26T12:00:00.000Z');
    // The task retried: nothing is created or sent again.
    expect(await createPrintifyOrder(deps, 'ord_1')).toMatchObject({ outcome: 'already-created', sentToProduction: true });
    expect(calls).toEqual(['create', 'send']);
  });

  it('leaves the order on hold when sending to production is left to the shop', async () => {
    const { deps, calls } = setup({ sendToProduction: false });
    expect(await createPrintifyOrder(deps, 'ord_1')).toMatchObject({ outcome: 'created', sentToProduction: false });
    expect(calls).toEqual(['create']);
  });

  it('treats a refused send as done when Printify has the order past on-hold (our first call went through unseen)', async () => {
    const { deps, orders, calls } = setup({ sendError: refusal('Not allowed'), statusAtPrintify: 'sending-to-production' });
    expect(await createPrintifyOrder(deps, 'ord_1')).toMatchObject({ sentToProduction: true });
    expect(calls).toEqual(['create', 'send', 'get']);
    expect((await orders.require('ord_1')).printifySentToProductionAt).toBeDefined();
  });

  it('fails for good when Printify refuses to send an order still on hold', async () => {
    const { deps } = setup({ sendError: refusal('Insufficient balance') });
    await expect(createPrintifyOrder(deps, 'ord_1')).rejects.toBeInstanceOf(PrintifyRejectedError);
  });

  it('makes a retryable send failure PrintifyUnavailable, and the retry sends without creating again', async () => {
    const failing = setup({ sendError: new PrintifyApiError({ message: '502', kind: 'http', method: 'POST', path: '/x', status: 502, retryable: true }) });
    await expect(createPrintifyOrder(failing.deps, 'ord_1')).rejects.toBeInstanceOf(PrintifyUnavailableError);
    expect((await failing.orders.require('ord_1')).printifyOrderId).toBe('pf_1');
    failing.deps.printify.sendToProduction = async () => void failing.calls.push('send again');
    expect(await createPrintifyOrder(failing.deps, 'ord_1')).toMatchObject({ outcome: 'already-created', sentToProduction: true });
    expect(failing.calls).toEqual(['create', 'send', 'send again']);
  });

  it('after an attempt whose answer was lost, searches Printify back to the first attempt before creating again', async () => {
    const { deps, orders, calls } = setup();
    const searches: unknown[] = [];
    deps.printify.createOrder = async () => {
      calls.push('create');
      throw new PrintifyApiError({ message: 'timed out', kind: 'timeout', method: 'POST', path: '/x', retryable: true });
    };
    deps.printify.findOrderByExternalId = async (externalId, options) => {
      searches.push([externalId, options]);
      return undefined;
    };
    await expect(createPrintifyOrder(deps, 'ord_1')).rejects.toBeInstanceOf(PrintifyUnavailableError);
    deps.now = () => new Date('2026-11-26T12:05:00Z'); // the retry, after backoff
    await expect(createPrintifyOrder(deps, 'ord_1')).rejects.toBeInstanceOf(PrintifyUnavailableError);
    deps.now = () => new Date('2026-11-26T12:30:00Z');
    await expect(createPrintifyOrder(deps, 'ord_1')).rejects.toBeInstanceOf(PrintifyUnavailableError);
    // every search reaches back to the first attempt, not to the one just before
    expect(searches).toEqual([
      ['ord_1', { createdSince: '2026-11-26T12:00:00.000Z' }],
      ['ord_1', { createdSince: '2026-11-26T12:00:00.000Z' }],
    ]);
    expect((await orders.require('ord_1')).printifyAttemptedAt).toBe('2026-11-26T12:00:00.000Z');
    expect(calls).toEqual(['create', 'create', 'create']);
  });

  it('keeps Printify\'s field messages on the order when it refuses the order', async () => {
    const { deps, orders } = setup();
    deps.printify.createOrder = async () => {
      throw new PrintifyApiError({
        message: 'HTTP 400: Validation failed.',
        kind: 'http',
        method: 'POST',
        path: '/x',
        status: 400,
        retryable: false,
        fieldErrors: ['address_to.zip: The address_to.zip field is required.'],
      });
    };
    await expect(createPrintifyOrder(deps, 'ord_1')).rejects.toThrow('Printify rejected the order: HTTP 400: Validation failed.');
    expect((await orders.require('ord_1')).printifyErrors).toEqual(['address_to.zip: The address_to.zip field is required.']);

    // fixed by the operator days later: created without searching Printify's history for a refusal
    let searched = false;
    deps.printify.findOrderByExternalId = async () => {
      searched = true;
      return undefined;
    };
    deps.printify.createOrder = async () => ({ id: 'pf_after_fix' });
    expect(await createPrintifyOrder(deps, 'ord_1')).toMatchObject({ outcome: 'created', printifyOrderId: 'pf_after_fix' });
    expect(searched).toBe(false);
  });
});
