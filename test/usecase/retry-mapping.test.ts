import { PrintifyApiError } from '../../lambdas/adapters/printify-client';
import type { OrderStatus } from '../../lambdas/domain/order-status';
import { retryPrintifyOrder, type RetryPrintifyOrderDeps } from '../../scripts/lib/retry-mapping';
import { anOrder, memoryPorts, P1_MAPPING } from '../support/fakes';

async function scene(status: OrderStatus, mapped = true) {
  const ports = memoryPorts();
  await ports.orders.put(anOrder({ status }));
  if (mapped) await ports.mappings.put(P1_MAPPING);
  let connected = 0;
  const deps: RetryPrintifyOrderDeps = {
    orders: ports.orders,
    mappings: ports.mappings,
    index: ports.index,
    connectPrintify: async () => {
      connected += 1;
      return ports.printify;
    },
    shippingMethod: 1,
    sendToProduction: true,
    now: ports.clock.now,
  };
  return { ...ports, deps, connections: () => connected };
}

describe("retryPrintifyOrder (the operator's retry-mapping)", () => {
  it.each(['pending_mapping', 'fulfillment_failed'] as const)(
    'creates the Printify order of a %s order now that its mapping exists',
    async (status) => {
      const { deps, index } = await scene(status);
      expect(await retryPrintifyOrder(deps, 'ord_1')).toEqual({
        orderId: 'ord_1',
        before: status,
        after: 'in_production',
        outcome: 'created',
        printifyOrderId: 'pf_1',
      });
      expect(await index.orderIdOf('pf_1')).toBe('ord_1');
    },
  );

  it('run again, the order is in_production and is not retried: no second Printify order', async () => {
    const { deps, printify } = await scene('pending_mapping');
    await retryPrintifyOrder(deps, 'ord_1');
    await expect(retryPrintifyOrder(deps, 'ord_1')).rejects.toThrow(
      'order ord_1 is in_production: only pending_mapping or fulfillment_failed orders are retried',
    );
    expect(printify.orders).toHaveLength(1);
  });

  it('an order whose product still lacks a mapping stays pending_mapping, naming it', async () => {
    const { deps } = await scene('pending_mapping', false);
    expect(await retryPrintifyOrder(deps, 'ord_1')).toEqual({
      orderId: 'ord_1',
      before: 'pending_mapping',
      after: 'pending_mapping',
      outcome: 'pending_mapping',
      missing: ['p1/M'],
    });
  });

  it('a refusal by Printify is recorded: fulfillment_failed with the reason', async () => {
    const { deps, printify, orders } = await scene('pending_mapping');
    printify.faults.createOrder = [
      new PrintifyApiError({
        message: 'HTTP 400: Validation failed.',
        kind: 'http',
        method: 'POST',
        path: '/x',
        status: 400,
        retryable: false,
        fieldErrors: [],
      }),
    ];
    expect(await retryPrintifyOrder(deps, 'ord_1')).toEqual({
      orderId: 'ord_1',
      before: 'pending_mapping',
      after: 'fulfillment_failed',
      outcome: 'failed',
      reason: 'Printify rejected the order: HTTP 400: Validation failed.',
    });
    expect((await orders.read('ord_1')).failureReason).toBe('PrintifyRejected: Printify rejected the order: HTTP 400: Validation failed.');
  });

  it('Printify unavailable is thrown for the operator to try later; the order stays as it was', async () => {
    const { deps, printify, orders } = await scene('fulfillment_failed');
    printify.faults.createOrder = [
      new PrintifyApiError({ message: '503', kind: 'http', method: 'POST', path: '/x', status: 503, retryable: true }),
    ];
    await expect(retryPrintifyOrder(deps, 'ord_1')).rejects.toMatchObject({ name: 'PrintifyUnavailable' });
    expect((await orders.read('ord_1')).status).toBe('fulfillment_failed');
  });

  it.each(['paid', 'in_production', 'shipped', 'refunded'] as const)(
    'refuses a %s order without connecting to Printify',
    async (status) => {
      const { deps, connections } = await scene(status);
      await expect(retryPrintifyOrder(deps, 'ord_1')).rejects.toThrow(`order ord_1 is ${status}`);
      expect(connections()).toBe(0);
    },
  );
});
