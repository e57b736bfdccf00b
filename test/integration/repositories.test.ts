import { type DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { CartRepository } from '../../lambdas/adapters/cart-repository';
import { EmailOutbox } from '../../lambdas/adapters/email-outbox';
import { OrderRepository } from '../../lambdas/adapters/order-repository';
import { PetalLedger } from '../../lambdas/adapters/petal-ledger';
import { ProductMappings } from '../../lambdas/adapters/product-mappings';
import { StripeEventInbox } from '../../lambdas/adapters/stripe-event-inbox';
import { clearPurchasedLines } from '../../lambdas/cart/use-cases';
import { DEFAULT_PETAL_RATES } from '../../lambdas/domain/petals';
import { keys } from '../../lambdas/domain/keys';
import { settleOrderPetals, type PetalsDeps } from '../../lambdas/petals/use-cases';
import { Storefront } from '../fixtures/storefront';
import { startDynamoDbTable } from '../support/dynamodb-table';

/** The adapters against AWS's DynamoDB Local, with the table exactly as the stack declares it. */
const TABLE = 'integration-orders';
let stop: (() => Promise<void>) | undefined;
let db: DynamoDBDocumentClient;
let orders: OrderRepository;
let storefront: Storefront;

beforeAll(async () => {
  ({ db, stop } = await startDynamoDbTable(TABLE));
  orders = new OrderRepository(db, TABLE);
  storefront = new Storefront(db, TABLE);
}, 120_000);
afterAll(async () => {
  await stop?.();
});

async function paidOrder() {
  const order = await storefront.createPendingOrder();
  await orders.transition(order.orderId, 'paid', { paidByEventId: 'evt_1' });
  return order;
}

describe('order status transitions', () => {
  test('of ten concurrent attempts to pay an order, exactly one transitions it', async () => {
    const order = await storefront.createPendingOrder();
    const results = await Promise.all(
      Array.from({ length: 10 }, (_, i) => orders.transition(order.orderId, 'paid', { paidByEventId: `evt_${i}` })),
    );
    expect(results.filter((r) => r.transitioned)).toHaveLength(1);
    const winner = results.find((r) => r.transitioned)!.order.paidByEventId;
    expect((await orders.get(order.orderId))?.paidByEventId).toBe(winner);
  });

  test('a transition the table forbids changes nothing and reports the current order', async () => {
    const order = await paidOrder();
    const result = await orders.transition(order.orderId, 'failed', { failureReason: 'late failure' });
    expect(result.transitioned).toBe(false);
    expect(result.order.status).toBe('paid');
    expect((await orders.get(order.orderId))?.failureReason).toBeUndefined();
  });

  test('an unknown order is OrderNotFound, not a silent no-op', async () => {
    await expect(orders.transition('ord_missing', 'paid')).rejects.toMatchObject({ name: 'OrderNotFound' });
  });

  test('the payment intent index finds the order', async () => {
    const order = await storefront.createPendingOrder();
    await orders.set(order.orderId, { paymentIntentId: `pi_${order.orderId}` });
    expect(await orders.findOrderIdByPaymentIntent(`pi_${order.orderId}`)).toBe(order.orderId);
    expect(await orders.findOrderIdByPaymentIntent('pi_nobody')).toBeUndefined();
  });
});

describe('petals', () => {
  const deps = (): PetalsDeps => ({ orders, ledger: new PetalLedger(db, TABLE), rates: DEFAULT_PETAL_RATES });

  test('settling an order ten times at once awards its petals once', async () => {
    const order = await paidOrder();
    await Promise.all(Array.from({ length: 10 }, () => settleOrderPetals(deps(), order.orderId)));
    const ledger = deps().ledger;
    expect(await ledger.entries(order.userId)).toEqual([
      expect.objectContaining({ entryId: `purchase#${order.orderId}`, amount: 49, type: 'purchase_bonus', source: 'purchase' }),
    ]);
    expect(await ledger.balance(order.userId)).toBe(49);
  });

  test('partial refunds deduct their share; settled concurrently and repeatedly, the sum is exact', async () => {
    const order = await paidOrder();
    await settleOrderPetals(deps(), order.orderId);
    const reported: number[] = [];
    for (const refunded of [1000, 2500, 4999]) {
      await orders.set(order.orderId, { amountRefunded: refunded });
      const results = await Promise.all(Array.from({ length: 5 }, () => settleOrderPetals(deps(), order.orderId)));
      reported.push(...results.map((r) => r.petalsDeducted));
    }
    // each deduction is reported (the PetalsDeducted metric) by exactly the call that wrote it
    expect(reported.reduce((sum, n) => sum + n, 0)).toBe(49);
    const entries = await deps().ledger.entries(order.userId);
    expect(entries.map((e) => e.amount).sort((a, b) => a - b)).toEqual([-25, -15, -9, 49]);
    expect(entries.reduce((sum, e) => sum + e.amount, 0)).toBe(0);
    expect(await deps().ledger.balance(order.userId)).toBe(0);
    expect(await orders.get(order.orderId)).toMatchObject({ petalsAwarded: 49, petalsDeducted: 49 });
  });

  test('a refund recorded before the award converges to the same result', async () => {
    const order = await paidOrder();
    await orders.set(order.orderId, { amountRefunded: 4999 });
    await settleOrderPetals(deps(), order.orderId);
    expect(await deps().ledger.balance(order.userId)).toBe(0);
    expect((await deps().ledger.entries(order.userId)).map((e) => e.amount).sort()).toEqual([-49, 49]);
  });

  test('a refund of petals already spent reports the negative balance it leaves', async () => {
    const order = await paidOrder();
    expect(await settleOrderPetals(deps(), order.orderId)).toMatchObject({ petalsDeducted: 0, written: [`purchase#${order.orderId}`] });
    // the customer spent 40 of the 49 petals (the storefront writes such entries)
    await deps().ledger.append({
      userId: order.userId,
      entryId: `spend#${order.orderId}`,
      type: 'adjust',
      amount: -40,
      reason: 'Redeemed',
      source: 'purchase',
      description: 'Redeemed at checkout',
      metadata: {},
      createdAt: new Date().toISOString(),
    });
    await orders.set(order.orderId, { amountRefunded: 4999 });
    expect(await settleOrderPetals(deps(), order.orderId)).toMatchObject({ petalsDeducted: 49, balance: -40 });
    expect(await settleOrderPetals(deps(), order.orderId)).toMatchObject({ petalsDeducted: 0, written: [] });
  });

  test('an unpaid order earns nothing', async () => {
    const order = await storefront.createPendingOrder();
    const result = await settleOrderPetals(deps(), order.orderId);
    expect(result.written).toEqual([]);
    expect(await deps().ledger.entries(order.userId)).toEqual([]);
  });
});

describe('email outbox', () => {
  test('of five concurrent claims of one email, one wins; after it is sent, claims say so', async () => {
    const outbox = new EmailOutbox(db, TABLE);
    const claims = await Promise.all(Array.from({ length: 5 }, () => outbox.claim('ord_mail', 'order-confirmation', {})));
    expect(claims.filter((c) => c === 'claimed')).toHaveLength(1);
    expect(claims.filter((c) => c === 'in-progress')).toHaveLength(4);
    await outbox.markSent('ord_mail', 'order-confirmation', 'msg-1');
    expect(await outbox.claim('ord_mail', 'order-confirmation', {})).toBe('already-sent');
  });

  test('a released claim (failed send) can be claimed again; an expired lease is taken over', async () => {
    const outbox = new EmailOutbox(db, TABLE);
    expect(await outbox.claim('ord_mail2', 'refund#100', {})).toBe('claimed');
    await outbox.release('ord_mail2', 'refund#100', 'SES throttled');
    expect(await outbox.claim('ord_mail2', 'refund#100', {})).toBe('claimed');

    let now = new Date('2026-01-01T00:00:00Z');
    const clocked = new EmailOutbox(db, TABLE, 60_000, () => now);
    expect(await clocked.claim('ord_mail3', 'order-confirmation', {})).toBe('claimed');
    expect(await clocked.claim('ord_mail3', 'order-confirmation', {})).toBe('in-progress');
    now = new Date('2026-01-01T00:01:01Z');
    expect(await clocked.claim('ord_mail3', 'order-confirmation', {})).toBe('claimed');
  });
});

describe('cart', () => {
  test('removes the purchased lines unchanged since checkout, keeps newer and unrelated ones', async () => {
    const userId = 'user_cart';
    const checkout = new Date('2026-11-01T10:00:00Z');
    await storefront.putCartLine(userId, {
      productId: 'prod_sakura_hoodie',
      variantId: 'M',
      quantity: 1,
      updatedAt: new Date('2026-11-01T09:59:00Z'),
    });
    await storefront.putCartLine(userId, {
      productId: 'prod_kitsune_sticker',
      variantId: 'std',
      quantity: 5,
      updatedAt: new Date('2026-11-01T10:05:00Z'),
    });
    await storefront.putCartLine(userId, {
      productId: 'prod_other',
      variantId: 'L',
      quantity: 1,
      updatedAt: new Date('2026-11-01T09:00:00Z'),
    });
    const order = await storefront.createPendingOrder({ userId, createdAt: checkout });
    const deps = { orders, carts: new CartRepository(db, TABLE) };
    const first = await clearPurchasedLines(deps, order.orderId);
    expect(first.removed).toEqual(['prod_sakura_hoodie/M']);
    const again = await clearPurchasedLines(deps, order.orderId);
    expect(again.removed).toEqual([]);
    const left = (await deps.carts.lines(userId)).map((l) => `${l.productId}/${l.variantId}`).sort();
    expect(left).toEqual(['prod_kitsune_sticker/std', 'prod_other/L']);
  });
});

describe('Stripe event inbox', () => {
  test('records once, with the execution ARN in the same put; a second record says the event is known', async () => {
    const inbox = new StripeEventInbox(db, TABLE);
    const executionArn = 'arn:aws:states:us-east-1:000000000000:execution:sm:evt_inbox';
    const record = {
      eventId: 'evt_inbox',
      type: 'checkout.session.completed',
      livemode: false,
      workflow: 'fulfilment',
      input: {},
      executionArn,
    };
    expect(await inbox.record(record)).toBe('new');
    expect(await inbox.record(record)).toBe('known');
    const { Item } = await db.send(new GetCommand({ TableName: TABLE, Key: keys.stripeEvent('evt_inbox') }));
    expect(Item).toMatchObject({ executionArn, receivedAt: expect.any(String) });
    await inbox.forget('evt_inbox');
    expect(await inbox.record(record)).toBe('new');
  });
});

describe('items written by the documented data model (docs/data-model.md): identified by their keys', () => {
  const put = (Item: Record<string, unknown>) => db.send(new PutCommand({ TableName: TABLE, Item }));

  test('a product mapping of pk, sk, printifyProductId and printifyVariantId is found (a variant id of digits too)', async () => {
    await put({ pk: 'PRODUCT#prod_doc', sk: 'VARIANT#M', printifyProductId: '5d39b159e7c48c000728c89f', printifyVariantId: 32918 });
    await put({ pk: 'PRODUCT#prod#with#hash', sk: 'VARIANT#S', printifyProductId: '5d39b411749d0a000f30e0f4', printifyVariantId: '45740' });
    await put({ pk: 'PRODUCT#prod_doc', sk: 'VARIANT#XL', printifyProductId: '5d39b159e7c48c000728c89f' });
    const found = await new ProductMappings(db, TABLE).find([
      { productId: 'prod_doc', variantId: 'M' },
      { productId: 'prod#with#hash', variantId: 'S' },
      { productId: 'prod_doc', variantId: 'XL' },
    ]);
    expect(found.get('prod_doc#M')).toEqual({
      productId: 'prod_doc',
      variantId: 'M',
      printifyProductId: '5d39b159e7c48c000728c89f',
      printifyVariantId: 32918,
    });
    expect(found.get('prod#with#hash#S')).toMatchObject({ productId: 'prod#with#hash', variantId: 'S', printifyVariantId: 45740 });
    // without a Printify variant it is no mapping: the order waits in pending_mapping
    expect(found.has('prod_doc#XL')).toBe(false);
  });

  test('a cart line of pk, sk and quantity is read with its ids from the key, and removed at checkout', async () => {
    const carts = new CartRepository(db, TABLE);
    await put({ pk: 'USER#user_doc', sk: 'CART#prod_doc#M', quantity: 2 });
    expect(await carts.lines('user_doc')).toEqual([{ userId: 'user_doc', productId: 'prod_doc', variantId: 'M', quantity: 2 }]);
    expect(await carts.removeLineIfUnchangedSince('user_doc', 'prod_doc', 'M', new Date().toISOString())).toBe(true);
    expect(await carts.lines('user_doc')).toEqual([]);
  });

  test('an order without an orderId attribute has the id of its key, read, changed and found by payment intent', async () => {
    await put({
      pk: 'ORDER#ord_doc',
      sk: 'ORDER',
      userId: 'user_doc',
      status: 'pending',
      currency: 'usd',
      amountTotal: 100,
      items: [],
      createdAt: new Date().toISOString(),
    });
    expect(await orders.get('ord_doc')).toMatchObject({ orderId: 'ord_doc', status: 'pending' });
    expect((await orders.transition('ord_doc', 'paid', { paymentIntentId: 'pi_doc' })).order).toMatchObject({
      orderId: 'ord_doc',
      status: 'paid',
    });
    expect(await orders.findOrderIdByPaymentIntent('pi_doc')).toBe('ord_doc');
  });
});
