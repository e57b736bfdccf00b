import { randomBytes } from 'node:crypto';
import type { Order, ProductMapping } from '../../../lambdas/domain/order';
import type { LedgerEntry } from '../../../lambdas/domain/petals';
import type { CartsPort } from '../../../lambdas/ports/carts';
import type { EmailOutboxPort } from '../../../lambdas/ports/email-outbox';
import type { InvoicesPort } from '../../../lambdas/ports/invoices';
import type { OrdersPort } from '../../../lambdas/ports/orders';
import type { PetalLedgerPort } from '../../../lambdas/ports/petal-ledger';
import type { PrintifyOrderIndexPort, ProductMappingsPort } from '../../../lambdas/ports/printify';
import type { RateSlotsPort } from '../../../lambdas/ports/rate-slots';
import { anOrder } from '../fakes';

/**
 * The ports under test, and what the storefront writes to set a scene (outside the ports: the
 * pipeline never writes orders, cart lines or mappings of its own).
 */
export interface PortsUnderTest {
  orders: OrdersPort;
  invoices: InvoicesPort;
  ledger: PetalLedgerPort;
  /** an outbox on this clock (leases of 60 s) */
  outbox: (now: () => Date) => EmailOutboxPort;
  carts: CartsPort;
  mappings: ProductMappingsPort;
  index: PrintifyOrderIndexPort;
  rateSlots: RateSlotsPort;
  putOrder(order: Order): Promise<void>;
  putCartLine(userId: string, line: { productId: string; variantId: string; quantity: number; updatedAt: string }): Promise<void>;
  putMapping(mapping: ProductMapping): Promise<void>;
}

const unique = (prefix: string) => `${prefix}_${randomBytes(5).toString('hex')}`;

/**
 * One contract for every port, run against the in-memory fakes (test/usecase) and the DynamoDB
 * adapters on DynamoDB Local (test/integration), so that the fakes the use-case tier trusts behave
 * as the real thing does. Every test uses fresh ids: the table is shared.
 */
export function describePortContracts(name: string, ports: () => PortsUnderTest): void {
  async function pendingOrder(overrides: Record<string, unknown> = {}): Promise<Order> {
    const order = anOrder({ orderId: unique('ord'), userId: unique('user'), ...overrides });
    await ports().putOrder(order);
    return order;
  }

  describe(`${name}: orders port`, () => {
    it('an unknown order: get is undefined, every change is OrderNotFound', async () => {
      const { orders } = ports();
      expect(await orders.get('ord_missing')).toBeUndefined();
      await expect(orders.require('ord_missing')).rejects.toMatchObject({ name: 'OrderNotFound' });
      await expect(orders.transition('ord_missing', 'paid')).rejects.toMatchObject({ name: 'OrderNotFound' });
      await expect(orders.set('ord_missing', { a: 1 })).rejects.toMatchObject({ name: 'OrderNotFound' });
      await expect(orders.fillMissing('ord_missing', { a: 1 })).rejects.toMatchObject({ name: 'OrderNotFound' });
    });

    it('transition follows the table: allowed moves with its values, forbidden changes nothing', async () => {
      const { orders } = ports();
      const order = await pendingOrder();
      const paid = await orders.transition(order.orderId, 'paid', { paidByEventId: 'evt_1' });
      expect(paid).toMatchObject({ transitioned: true, order: { status: 'paid', paidByEventId: 'evt_1' } });
      const again = await orders.transition(order.orderId, 'paid', { paidByEventId: 'evt_2' });
      expect(again).toMatchObject({ transitioned: false, order: { status: 'paid', paidByEventId: 'evt_1' } });
      expect(await orders.transition(order.orderId, 'failed', { failureReason: 'late' })).toMatchObject({
        transitioned: false,
        order: { status: 'paid' },
      });
      expect((await orders.require(order.orderId)).failureReason).toBeUndefined();
      await expect(orders.transition(order.orderId, 'pending')).rejects.toMatchObject({ name: 'InvalidInput' });
    });

    it('a transition guarded by notRetriedAfter moves only an order not retried after that time', async () => {
      const { orders } = ports();
      const order = await pendingOrder();
      // never retried (no retriedAt): the guard holds
      expect(await orders.transition(order.orderId, 'paid', {}, { notRetriedAfter: '2000-01-01T00:00:00.000Z' })).toMatchObject({
        transitioned: true,
      });
      await orders.set(order.orderId, { retriedAt: '2026-11-27T11:00:00.000Z' });
      const late = await orders.transition(
        order.orderId,
        'fulfillment_failed',
        { failureReason: 'late' },
        { notRetriedAfter: '2026-11-27T10:00:00.000Z' },
      );
      expect(late).toMatchObject({ transitioned: false, order: { status: 'paid' } });
      expect((await orders.require(order.orderId)).failureReason).toBeUndefined();
      const current = await orders.transition(
        order.orderId,
        'fulfillment_failed',
        { failureReason: 'now' },
        { notRetriedAfter: '2026-11-27T11:00:00.000Z' },
      );
      expect(current).toMatchObject({ transitioned: true, order: { status: 'fulfillment_failed', failureReason: 'now' } });
    });

    it('set writes values, null removes; fillMissing never overwrites', async () => {
      const { orders } = ports();
      const order = await pendingOrder();
      expect(await orders.set(order.orderId, { failureReason: 'x', stripeSessionId: 'cs_1' })).toMatchObject({
        failureReason: 'x',
        stripeSessionId: 'cs_1',
      });
      expect((await orders.set(order.orderId, { failureReason: null })).failureReason).toBeUndefined();
      await orders.fillMissing(order.orderId, { stripeSessionId: 'cs_2', paymentIntentId: 'pi_1' });
      expect(await orders.require(order.orderId)).toMatchObject({ stripeSessionId: 'cs_1', paymentIntentId: 'pi_1' });
      // filling never removes: a null beside a value to fill is left out, not a REMOVE
      await orders.fillMissing(order.orderId, { stripeSessionId: null, chargeId: 'ch_1' });
      expect(await orders.require(order.orderId)).toMatchObject({ stripeSessionId: 'cs_1', chargeId: 'ch_1' });
    });

    it('finds an order by its payment intent', async () => {
      const { orders } = ports();
      const order = await pendingOrder();
      const paymentIntentId = unique('pi');
      await orders.set(order.orderId, { paymentIntentId });
      expect(await orders.findOrderIdByPaymentIntent(paymentIntentId)).toBe(order.orderId);
      expect(await orders.findOrderIdByPaymentIntent(unique('pi'))).toBeUndefined();
    });

    it('compareAndSet writes only while every expected attribute holds (absent = undefined)', async () => {
      const { orders } = ports();
      const { orderId } = await pendingOrder();
      expect(await orders.compareAndSet(orderId, { refundsVersion: undefined }, { refundsVersion: 1, amountRefunded: 100 })).toMatchObject({
        refundsVersion: 1,
        amountRefunded: 100,
      });
      expect(
        await orders.compareAndSet(orderId, { refundsVersion: undefined }, { refundsVersion: 1, amountRefunded: 999 }),
      ).toBeUndefined();
      expect(await orders.compareAndSet(orderId, { refundsVersion: 1, status: 'pending' }, { refundsVersion: 2 })).toMatchObject({
        refundsVersion: 2,
      });
      expect(await orders.compareAndSet(orderId, { refundsVersion: 1 }, { refundsVersion: 3 })).toBeUndefined();
      expect((await orders.require(orderId)).amountRefunded).toBe(100);
      await expect(orders.compareAndSet('ord_missing', {}, { amountRefunded: 1 })).rejects.toMatchObject({ name: 'OrderNotFound' });
    });

    it('compareAndSet keeps a map of payments by payment intent (unfulfilledPayments) as written', async () => {
      const { orders } = ports();
      const { orderId } = await pendingOrder();
      const first = { pi_1: { eventId: 'evt_1', paymentIntentId: 'pi_1', amountTotal: 100, currency: 'usd', reason: 'r', at: 'a' } };
      await orders.compareAndSet(
        orderId,
        { unfulfilledPaymentsVersion: undefined },
        { unfulfilledPayments: first, unfulfilledPaymentsVersion: 1 },
      );
      const both = { ...first, 'event:evt_2': { eventId: 'evt_2', reason: 'r', at: 'b' } };
      // a writer that read before the first write is refused: it reads again and keeps both
      expect(
        await orders.compareAndSet(
          orderId,
          { unfulfilledPaymentsVersion: undefined },
          { unfulfilledPayments: both, unfulfilledPaymentsVersion: 1 },
        ),
      ).toBeUndefined();
      await orders.compareAndSet(orderId, { unfulfilledPaymentsVersion: 1 }, { unfulfilledPayments: both, unfulfilledPaymentsVersion: 2 });
      expect((await orders.require(orderId)).unfulfilledPayments).toEqual(both);
    });

    it('keeps the newest Printify status and the newest parcel', async () => {
      const { orders } = ports();
      const { orderId } = await pendingOrder();
      expect(await orders.recordPrintifyStatusIfNewer(orderId, 'in-production', '2026-11-27T10:00:00.000Z')).toBe(true);
      expect(await orders.recordPrintifyStatusIfNewer(orderId, 'pending', '2026-11-26T10:00:00.000Z')).toBe(false);
      expect(await orders.recordPrintifyStatusIfNewer(orderId, 'fulfilled', '2026-11-27T10:00:00.000Z')).toBe(true);
      expect(
        await orders.showNewerParcel(orderId, { carrier: 'USPS', trackingNumber: 'T2', shippedAt: '2026-11-28T10:00:00.000Z' }),
      ).toMatchObject({ trackingNumber: 'T2' });
      expect(
        await orders.showNewerParcel(orderId, { carrier: 'USPS', trackingNumber: 'T1', shippedAt: '2026-11-27T10:00:00.000Z' }),
      ).toBeUndefined();
      expect(await orders.showNewerParcel(orderId, { carrier: 'DHL', trackingNumber: 'T3' })).toMatchObject({
        trackingNumber: 'T3',
        shippedAt: '2026-11-28T10:00:00.000Z',
      });
      expect(await orders.require(orderId)).toMatchObject({ printifyStatus: 'fulfilled', carrier: 'DHL' });
    });
  });

  describe(`${name}: invoices port`, () => {
    it('fillMissing creates the record, then never overwrites; the payment intent finds it', async () => {
      const { invoices } = ports();
      const invoiceId = unique('in');
      const paymentIntentId = unique('pi');
      expect(await invoices.get(invoiceId)).toBeUndefined();
      expect(await invoices.fillMissing(invoiceId, { userId: 'user_1', amountPaid: 999, paymentIntentId })).toMatchObject({
        invoiceId,
        userId: 'user_1',
        amountPaid: 999,
      });
      expect(
        await invoices.fillMissing(invoiceId, { userId: 'user_2', currency: 'usd', chargeId: undefined, amountPaid: null }),
      ).toMatchObject({
        userId: 'user_1',
        currency: 'usd',
      });
      expect(await invoices.get(invoiceId)).toMatchObject({ invoiceId, userId: 'user_1', amountPaid: 999, currency: 'usd' });
      expect(await invoices.findInvoiceIdByPaymentIntent(paymentIntentId)).toBe(invoiceId);
      expect(await invoices.findInvoiceIdByPaymentIntent(unique('pi'))).toBeUndefined();
    });

    it('compareAndSet creates an absent record and writes only while every expected attribute holds', async () => {
      const { invoices, orders } = ports();
      const invoiceId = unique('in');
      expect(
        await invoices.compareAndSet(invoiceId, { refundsVersion: undefined }, { refundsVersion: 1, amountRefunded: 100 }),
      ).toMatchObject({
        invoiceId,
        refundsVersion: 1,
      });
      expect(
        await invoices.compareAndSet(invoiceId, { refundsVersion: undefined }, { refundsVersion: 1, amountRefunded: 9 }),
      ).toBeUndefined();
      expect(await invoices.compareAndSet(invoiceId, { refundsVersion: 1 }, { refundsVersion: 2, amountRefunded: null })).toMatchObject({
        refundsVersion: 2,
      });
      expect((await invoices.get(invoiceId))?.amountRefunded).toBeUndefined();
      // an order's payment intent is not an invoice's (the index holds both)
      const order = await pendingOrder();
      const orderIntent = unique('pi');
      await orders.set(order.orderId, { paymentIntentId: orderIntent });
      expect(await invoices.findInvoiceIdByPaymentIntent(orderIntent)).toBeUndefined();
    });
  });

  describe(`${name}: petal ledger port`, () => {
    const entry = (userId: string, entryId: string, amount: number): LedgerEntry => ({
      userId,
      entryId,
      type: 'adjust',
      amount,
      reason: 'r',
      source: 'refund',
      description: 'd',
      metadata: { orderId: 'o' },
      createdAt: '2026-11-26T12:00:00.000Z',
    });

    it('an entry is written once, with the balance; a second append of it is `exists`', async () => {
      const { ledger } = ports();
      const userId = unique('user');
      expect(await ledger.append(entry(userId, 'b#1', 30))).toBe('written');
      expect(await ledger.append(entry(userId, 'a#1', -5))).toBe('written');
      expect(await ledger.append(entry(userId, 'b#1', 30))).toBe('exists');
      expect(await ledger.balance(userId)).toBe(25);
      expect((await ledger.entries(userId)).map((e) => e.entryId)).toEqual(['a#1', 'b#1']);
      expect(await ledger.balance(unique('user'))).toBe(0);
    });

    it('an entry of 0 petals writes no line', async () => {
      const { ledger } = ports();
      const userId = unique('user');
      expect(await ledger.append(entry(userId, 'z#1', 0))).toBe('written');
      expect(await ledger.entries(userId)).toEqual([]);
    });

    it('the award guard: once per order, with the entry', async () => {
      const { ledger, orders } = ports();
      const order = await pendingOrder({ status: 'paid' });
      expect(await ledger.append(entry(order.userId, 'purchase#1', 25), { orderId: order.orderId, kind: 'award', petalsAwarded: 25 })).toBe(
        'written',
      );
      expect((await orders.require(order.orderId)).petalsAwarded).toBe(25);
      expect(await ledger.append(entry(order.userId, 'purchase#2', 25), { orderId: order.orderId, kind: 'award', petalsAwarded: 25 })).toBe(
        'stale',
      );
      expect(await ledger.balance(order.userId)).toBe(25);
      const zero = await pendingOrder({ status: 'paid' });
      expect(await ledger.append(entry(zero.userId, 'purchase#0', 0), { orderId: zero.orderId, kind: 'award', petalsAwarded: 0 })).toBe(
        'written',
      );
      expect((await orders.require(zero.orderId)).petalsAwarded).toBe(0);
    });

    it('the deduct guard: only while petalsDeducted still reads what was planned from', async () => {
      const { ledger, orders } = ports();
      const order = await pendingOrder({ status: 'paid', petalsAwarded: 25 });
      const guard = (before: number, after: number) => ({
        orderId: order.orderId,
        kind: 'deduct' as const,
        deductedBefore: before,
        deductedAfter: after,
      });
      expect(await ledger.append(entry(order.userId, 'refund#1', -10), guard(0, 10))).toBe('written');
      expect(await ledger.append(entry(order.userId, 'refund#2', -15), guard(0, 25))).toBe('stale');
      expect(await ledger.append(entry(order.userId, 'refund#1', -10), guard(10, 20))).toBe('exists');
      expect(await ledger.append(entry(order.userId, 'refund#2', -15), guard(10, 25))).toBe('written');
      expect((await orders.require(order.orderId)).petalsDeducted).toBe(25);
      expect(await ledger.balance(order.userId)).toBe(-25);
    });

    it("an invoice's guard: the award once, deductions only while the record's counter holds", async () => {
      const { ledger, invoices } = ports();
      const userId = unique('user');
      const invoiceId = unique('in');
      await invoices.fillMissing(invoiceId, { userId, amountPaid: 999, currency: 'usd' });
      expect(await ledger.append(entry(userId, `invoice#${invoiceId}`, 9), { invoiceId, kind: 'award', petalsAwarded: 9 })).toBe('written');
      expect(await ledger.append(entry(userId, 'invoice#again', 9), { invoiceId, kind: 'award', petalsAwarded: 9 })).toBe('stale');
      const deduct = (before: number, after: number) => ({
        invoiceId,
        kind: 'deduct' as const,
        deductedBefore: before,
        deductedAfter: after,
      });
      expect(await ledger.append(entry(userId, 'invoice-refund#1', -4), deduct(0, 4))).toBe('written');
      expect(await ledger.append(entry(userId, 'invoice-refund#2', -5), deduct(0, 9))).toBe('stale');
      expect(await invoices.get(invoiceId)).toMatchObject({ petalsAwarded: 9, petalsDeducted: 4 });
      expect(await ledger.balance(userId)).toBe(5);
    });

    it('a guard on an unknown order is `stale`, and nothing is written', async () => {
      const { ledger } = ports();
      const userId = unique('user');
      expect(await ledger.append(entry(userId, 'x#1', 5), { orderId: 'ord_missing', kind: 'award', petalsAwarded: 5 })).toBe('stale');
      expect(await ledger.entries(userId)).toEqual([]);
    });
  });

  describe(`${name}: email outbox port`, () => {
    it('one claim wins; sent is final; a released claim is claimed again', async () => {
      const outbox = ports().outbox(() => new Date());
      const owner = unique('ord');
      expect(await outbox.claim(owner, 'order-confirmation', { to: 'a@example.com' })).toBe('claimed');
      expect(await outbox.claim(owner, 'order-confirmation', {})).toBe('in-progress');
      await outbox.markSent(owner, 'order-confirmation', 'msg-1');
      expect(await outbox.claim(owner, 'order-confirmation', {})).toBe('already-sent');
      await outbox.release(owner, 'order-confirmation', 'late release');
      expect(await outbox.claim(owner, 'order-confirmation', {})).toBe('already-sent');
      expect(await outbox.claim(owner, 'refund#100', {})).toBe('claimed');
      await outbox.release(owner, 'refund#100', 'SES throttled');
      expect(await outbox.claim(owner, 'refund#100', {})).toBe('claimed');
    });

    it('an undeliverable email is recorded once, never over a sent or claimed one, and may be claimed after a fix', async () => {
      const outbox = ports().outbox(() => new Date());
      const owner = unique('ord');
      expect(await outbox.markUndeliverable(owner, 'order-confirmation', { to: 'a, b' }, 'recipient a list')).toBe(true);
      expect(await outbox.markUndeliverable(owner, 'order-confirmation', { to: 'a, b' }, 'recipient a list')).toBe(false);
      expect(await outbox.claim(owner, 'order-confirmation', { to: 'a@example.com' })).toBe('claimed');
      expect(await outbox.markUndeliverable(owner, 'order-confirmation', {}, 'late')).toBe(false);
      await outbox.markSent(owner, 'order-confirmation', 'msg-1');
      expect(await outbox.markUndeliverable(owner, 'order-confirmation', {}, 'late')).toBe(false);
      expect(await outbox.claim(owner, 'order-confirmation', {})).toBe('already-sent');
    });

    it('a claim whose lease ran out is taken over', async () => {
      let now = new Date('2026-01-01T00:00:00Z');
      const outbox = ports().outbox(() => now);
      const owner = unique('ord');
      expect(await outbox.claim(owner, 'order-confirmation', {})).toBe('claimed');
      now = new Date('2026-01-01T00:00:59Z');
      expect(await outbox.claim(owner, 'order-confirmation', {})).toBe('in-progress');
      now = new Date('2026-01-01T00:01:01Z');
      expect(await outbox.claim(owner, 'order-confirmation', {})).toBe('claimed');
    });
  });

  describe(`${name}: carts, mappings, Printify order index`, () => {
    it('removes a cart line only if unchanged since the checkout', async () => {
      const { carts, putCartLine } = ports();
      const userId = unique('user');
      await putCartLine(userId, { productId: 'hoodie', variantId: 'M', quantity: 1, updatedAt: '2026-11-26T09:59:00.000Z' });
      await putCartLine(userId, { productId: 'sticker', variantId: 'std', quantity: 2, updatedAt: '2026-11-26T10:05:00.000Z' });
      expect(await carts.removeLineIfUnchangedSince(userId, 'hoodie', 'M', '2026-11-26T10:00:00.000Z')).toBe(true);
      expect(await carts.removeLineIfUnchangedSince(userId, 'hoodie', 'M', '2026-11-26T10:00:00.000Z')).toBe(false);
      expect(await carts.removeLineIfUnchangedSince(userId, 'sticker', 'std', '2026-11-26T10:00:00.000Z')).toBe(false);
      expect(await carts.removeLineIfUnchangedSince(userId, 'none', 'x', '2026-11-26T10:00:00.000Z')).toBe(false);
    });

    it('finds the mappings that exist', async () => {
      const { mappings, putMapping } = ports();
      const productId = unique('prod');
      const mapping = { productId, variantId: 'M', printifyProductId: 'pp_1', printifyVariantId: 1 };
      await putMapping(mapping);
      const found = await mappings.find([
        { productId, variantId: 'M' },
        { productId, variantId: 'L' },
        { productId, variantId: 'M' },
      ]);
      // (the table's own keys may come along, as they do with orders)
      expect([...found.keys()]).toEqual([`${productId}#M`]);
      expect(found.get(`${productId}#M`)).toMatchObject(mapping);
    });

    it("indexes Printify's order id to ours; recording again is harmless", async () => {
      const { index } = ports();
      const printifyOrderId = unique('pf');
      expect(await index.orderIdOf(printifyOrderId)).toBeUndefined();
      await index.record(printifyOrderId, 'ord_1');
      await index.record(printifyOrderId, 'ord_1');
      expect(await index.orderIdOf(printifyOrderId)).toBe('ord_1');
    });
  });

  describe(`${name}: rate slots port`, () => {
    const t0 = new Date('2026-11-26T12:00:00.000Z');
    const at = (ms: number) => new Date(t0.getTime() + ms);

    it('an idle quota starts now; later reservations queue behind, interval apart, n slots each', async () => {
      const { rateSlots } = ports();
      const quota = unique('q');
      expect(await rateSlots.reserve(quota, 2, 100, t0)).toEqual({ at: t0 });
      expect(await rateSlots.reserve(quota, 1, 100, t0)).toEqual({ at: at(200) });
      expect(await rateSlots.reserve(quota, 2, 100, at(50))).toEqual({ at: at(300) });
      // a quota idle since its last slot keeps no credit: the next one starts at its own now
      expect(await rateSlots.reserve(quota, 1, 100, at(10_000))).toEqual({ at: at(10_000) });
    });

    it('concurrent reservations never share a slot', async () => {
      const { rateSlots } = ports();
      const quota = unique('q');
      const slots = await Promise.all(Array.from({ length: 12 }, () => rateSlots.reserve(quota, 1, 100, t0)));
      const times = slots.map((slot) => slot!.at.getTime() - t0.getTime()).sort((a, b) => a - b);
      expect(times).toEqual(Array.from({ length: 12 }, (_, i) => i * 100));
    });

    it('maxWaitMs: reserves nothing when the first slot is further away', async () => {
      const { rateSlots } = ports();
      const quota = unique('q');
      await rateSlots.reserve(quota, 10, 100, t0);
      expect(await rateSlots.reserve(quota, 1, 100, t0, { maxWaitMs: 500 })).toBeUndefined();
      expect(await rateSlots.reserve(quota, 1, 100, t0, { maxWaitMs: 1000 })).toEqual({ at: at(1000) });
    });

    it('pushBack moves the next free slot later, never earlier', async () => {
      const { rateSlots } = ports();
      const quota = unique('q');
      await rateSlots.pushBack(quota, at(5000));
      await rateSlots.pushBack(quota, at(1000));
      expect(await rateSlots.reserve(quota, 1, 100, t0)).toEqual({ at: at(5000) });
    });
  });
}
