import type { Order, ProductMapping } from '../../../lambdas/domain/order';
import type { PaymentInput } from '../../../lambdas/domain/workflow-input';
import { MemoryCarts } from './carts';
import { MemoryEmailOutbox, MemoryMailer } from './email';
import { MemoryInvoices } from './invoices';
import { MemoryOrders } from './orders';
import { MemoryPetalLedger } from './petal-ledger';
import { FakePrintify, MemoryPrintifyOrderIndex, MemoryProductMappings } from './printify';
import { MemoryRateSlots } from './rate-slots';

export {
  FakePrintify,
  MemoryCarts,
  MemoryEmailOutbox,
  MemoryInvoices,
  MemoryMailer,
  MemoryOrders,
  MemoryPetalLedger,
  MemoryPrintifyOrderIndex,
  MemoryProductMappings,
  MemoryRateSlots,
};

/**
 * Every port in memory over one shared state (the ledger guards the same orders), on a clock the
 * test moves: `clock.set(iso)`; `clock.now` is what the ports and use cases are given.
 */
export function memoryPorts(start = '2026-11-26T12:00:00.000Z') {
  let current = new Date(start);
  const clock = {
    now: () => new Date(current),
    set: (iso: string) => {
      current = new Date(iso);
    },
  };
  const orders = new MemoryOrders(clock.now);
  const invoices = new MemoryInvoices(clock.now);
  return {
    clock,
    orders,
    invoices,
    ledger: new MemoryPetalLedger(orders, invoices),
    outbox: new MemoryEmailOutbox(clock.now),
    mailer: new MemoryMailer(),
    carts: new MemoryCarts(),
    mappings: new MemoryProductMappings(),
    index: new MemoryPrintifyOrderIndex(),
    printify: new FakePrintify(clock.now),
    rateSlots: new MemoryRateSlots(),
  };
}

export type MemoryPorts = ReturnType<typeof memoryPorts>;

/**
 * A pending order as the storefront writes it ($25.00: two of p1/M at $12.50, shipping to
 * Portland), with `overrides`.
 */
export function anOrder(overrides: Partial<Order> & Record<string, unknown> = {}): Order {
  return {
    orderId: 'ord_1',
    userId: 'user_1',
    status: 'pending',
    currency: 'usd',
    amountTotal: 2500,
    email: 'sakura@example.com',
    items: [{ productId: 'p1', variantId: 'M', quantity: 2, unitAmount: 1250 }],
    shippingAddress: { name: 'Sakura Haruno', line1: '1 Street', city: 'Portland', postalCode: '97201', country: 'US', state: 'OR' },
    createdAt: '2026-11-26T11:00:00.000Z',
    updatedAt: '2026-11-26T11:00:00.000Z',
    ...overrides,
  };
}

/** The mapping of anOrder's item p1/M. */
export const P1_MAPPING: ProductMapping = {
  productId: 'p1',
  variantId: 'M',
  printifyProductId: '5d39b159e7c48c000728c89f',
  printifyVariantId: 32918,
};

/** A paid Checkout session's payment input for anOrder (ord_1, cs_1, pi_1, usd); overrides as given. */
export function aPayment(overrides: Partial<PaymentInput> = {}): PaymentInput {
  return {
    eventId: 'evt_paid',
    eventType: 'checkout.session.completed',
    created: 1_764_158_400,
    livemode: false,
    kind: 'payment',
    orderId: 'ord_1',
    paid: true,
    stripeSessionId: 'cs_1',
    paymentIntentId: 'pi_1',
    currency: 'usd',
    ...overrides,
  };
}
