import { DEFAULT_PETAL_RATES } from '../../lambdas/domain/petals';
import type { OrderStatus } from '../../lambdas/domain/order-status';
import { awardInvoicePetals, settleOrderPetals } from '../../lambdas/petals/use-cases';
import { anOrder, memoryPorts } from '../support/fakes';

// anOrder: $25.00, so 25 petals
async function withOrder(status: OrderStatus = 'paid', overrides: Record<string, unknown> = {}) {
  const ports = memoryPorts();
  await ports.orders.put(anOrder({ status, stripeSessionId: 'cs_1', ...overrides }));
  return {
    ...ports,
    deps: { orders: ports.orders, invoices: ports.invoices, ledger: ports.ledger, rates: DEFAULT_PETAL_RATES, now: ports.clock.now },
  };
}

const amounts = async (ledger: ReturnType<typeof memoryPorts>['ledger']) =>
  (await ledger.entries('user_1')).map((e) => `${e.entryId} ${e.amount}`);

describe('settleOrderPetals: purchase', () => {
  it("awards one petal per dollar once, in the purchase entry's shape", async () => {
    const { deps, ledger, orders } = await withOrder();
    expect(await settleOrderPetals(deps, 'ord_1')).toEqual({
      orderId: 'ord_1',
      userId: 'user_1',
      awarded: 25,
      deducted: 0,
      written: ['purchase#ord_1'],
      petalsDeducted: 0,
      signals: [{ kind: 'petals-awarded', petals: 25 }],
    });
    expect(await ledger.entries('user_1')).toEqual([
      {
        userId: 'user_1',
        entryId: 'purchase#ord_1',
        type: 'purchase_bonus',
        amount: 25,
        reason: 'Purchase bonus',
        source: 'purchase',
        description: 'Purchase bonus for order ord_1',
        metadata: { orderId: 'ord_1', stripeSessionId: 'cs_1', amountCents: 2500, currency: 'usd' },
        createdAt: '2026-11-26T12:00:00.000Z',
      },
    ]);
    expect((await orders.read('ord_1')).petalsAwarded).toBe(25);
  });

  it('settled again writes nothing and reports nothing awarded by this call', async () => {
    const { deps, ledger } = await withOrder();
    await settleOrderPetals(deps, 'ord_1');
    expect(await settleOrderPetals(deps, 'ord_1')).toMatchObject({ awarded: 25, written: [], petalsDeducted: 0, signals: [] });
    expect(await ledger.balance('user_1')).toBe(25);
  });

  it.each(['pending', 'failed', 'cancelled'] as const)('a %s order earns nothing', async (status) => {
    const { deps, ledger } = await withOrder(status);
    expect(await settleOrderPetals(deps, 'ord_1')).toMatchObject({ awarded: 0, written: [] });
    expect(await ledger.entries('user_1')).toEqual([]);
  });

  it('a currency without a rate records an award of 0 without a ledger line', async () => {
    const { deps, ledger, orders } = await withOrder('paid', { currency: 'eur' });
    expect(await settleOrderPetals(deps, 'ord_1')).toMatchObject({ awarded: 0, written: [], signals: [] });
    expect(await ledger.entries('user_1')).toEqual([]);
    expect((await orders.read('ord_1')).petalsAwarded).toBe(0);
  });

  it('when another execution awards first, reads again and writes nothing twice', async () => {
    const { deps, ledger } = await withOrder();
    ledger.beforeAppend = async () => void (await settleOrderPetals(deps, 'ord_1'));
    expect(await settleOrderPetals(deps, 'ord_1')).toMatchObject({ awarded: 25, written: [], signals: [] });
    expect(await amounts(ledger)).toEqual(['purchase#ord_1 25']);
  });
});

describe('settleOrderPetals: refunds', () => {
  it('partial refunds take back their share, rounded down; the full refund takes the rest', async () => {
    const { deps, ledger, orders } = await withOrder();
    await settleOrderPetals(deps, 'ord_1');
    await orders.set('ord_1', { amountRefunded: 1000 });
    expect(await settleOrderPetals(deps, 'ord_1')).toMatchObject({
      deducted: 10,
      written: ['refund#ord_1#1000'],
      petalsDeducted: 10,
      balance: 15,
      signals: [{ kind: 'petals-deducted', petals: 10 }],
    });
    await orders.set('ord_1', { amountRefunded: 2500 });
    expect(await settleOrderPetals(deps, 'ord_1')).toMatchObject({ deducted: 25, petalsDeducted: 15, balance: 0 });
    expect(await settleOrderPetals(deps, 'ord_1')).toMatchObject({ written: [], petalsDeducted: 0, signals: [] });
    expect(await amounts(ledger)).toEqual(['purchase#ord_1 25', 'refund#ord_1#1000 -10', 'refund#ord_1#2500 -15']);
  });

  it('a refund recorded before the award: awards, then deducts, in one call', async () => {
    const { deps, ledger } = await withOrder('refunded', { amountRefunded: 2500 });
    expect(await settleOrderPetals(deps, 'ord_1')).toMatchObject({
      written: ['purchase#ord_1', 'refund#ord_1#2500'],
      balance: 0,
      signals: [
        { kind: 'petals-awarded', petals: 25 },
        { kind: 'petals-deducted', petals: 25 },
      ],
    });
    expect(await ledger.balance('user_1')).toBe(0);
  });

  it('reports the negative balance a refund of spent petals leaves', async () => {
    const { deps, ledger, orders } = await withOrder();
    await settleOrderPetals(deps, 'ord_1');
    await ledger.append({
      userId: 'user_1',
      entryId: 'spend#1',
      type: 'adjust',
      amount: -20,
      reason: 'Redeemed',
      source: 'purchase',
      description: 'Redeemed',
      metadata: {},
      createdAt: 'x',
    });
    await orders.set('ord_1', { amountRefunded: 2500 });
    expect(await settleOrderPetals(deps, 'ord_1')).toMatchObject({
      petalsDeducted: 25,
      balance: -20,
      signals: [{ kind: 'petals-deducted', petals: 25 }, { kind: 'negative-petal-balance' }],
    });
  });
});

describe('settleOrderPetals: disputes', () => {
  it("an open dispute holds every petal; a won one gives back all but the refunds' share", async () => {
    const { deps, ledger, orders } = await withOrder('shipped', { disputeId: 'dp_1', disputeStatus: 'open', amountRefunded: 1000 });
    await settleOrderPetals(deps, 'ord_1');
    expect(await amounts(ledger)).toEqual(['dispute#ord_1#dp_1 -25', 'purchase#ord_1 25']);
    await orders.set('ord_1', { disputeStatus: 'won' });
    expect(await settleOrderPetals(deps, 'ord_1')).toMatchObject({
      deducted: 10,
      written: ['dispute-won#ord_1#dp_1'],
      petalsDeducted: 0,
      signals: [],
    });
    expect(await ledger.balance('user_1')).toBe(15);
    const release = (await ledger.entries('user_1')).find((e) => e.entryId === 'dispute-won#ord_1#dp_1');
    expect(release).toMatchObject({
      amount: 15,
      reason: 'Dispute won: petals restored',
      source: 'dispute',
      metadata: { disputeId: 'dp_1', amountRefunded: 1000 },
    });
  });

  it('a lost dispute keeps them held', async () => {
    const { deps, ledger, orders } = await withOrder('shipped', { disputeId: 'dp_1', disputeStatus: 'open' });
    await settleOrderPetals(deps, 'ord_1');
    await orders.set('ord_1', { disputeStatus: 'lost' });
    expect(await settleOrderPetals(deps, 'ord_1')).toMatchObject({ written: [], deducted: 25 });
    expect(await ledger.balance('user_1')).toBe(0);
  });

  it('an unknown order is OrderNotFound', async () => {
    const { deps } = await withOrder();
    await expect(settleOrderPetals(deps, 'ord_missing')).rejects.toMatchObject({ name: 'OrderNotFound' });
  });
});

describe('awardInvoicePetals', () => {
  const invoice = {
    eventId: 'evt_inv',
    eventType: 'invoice.paid',
    created: 1,
    livemode: false,
    kind: 'invoicePayment' as const,
    invoiceId: 'in_1',
    userId: 'user_1',
    amountPaid: 1299,
    currency: 'usd',
    subscriptionId: 'sub_1',
  };

  it("awards the invoice's petals once", async () => {
    const { deps, ledger } = await withOrder();
    expect(await awardInvoicePetals(deps, invoice)).toEqual({
      userId: 'user_1',
      invoiceId: 'in_1',
      petals: 12,
      written: true,
      signals: [{ kind: 'petals-awarded', petals: 12 }],
    });
    expect(await awardInvoicePetals(deps, invoice)).toEqual({
      userId: 'user_1',
      invoiceId: 'in_1',
      petals: 12,
      written: false,
      signals: [],
    });
    expect(await ledger.entries('user_1')).toEqual([
      expect.objectContaining({
        entryId: 'invoice#in_1',
        type: 'purchase_bonus',
        amount: 12,
        source: 'subscription',
        metadata: { invoiceId: 'in_1', subscriptionId: 'sub_1', amountCents: 1299, currency: 'usd' },
      }),
    ]);
  });

  it('an invoice too small for a petal writes nothing', async () => {
    const { deps, ledger } = await withOrder();
    expect(await awardInvoicePetals(deps, { ...invoice, amountPaid: 99 })).toMatchObject({ petals: 0, written: false, signals: [] });
    expect(await ledger.entries('user_1')).toEqual([]);
  });
});
