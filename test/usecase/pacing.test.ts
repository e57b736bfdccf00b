import { PrintifyApiError } from '../../lambdas/adapters/printify-client';
import { parseSlotMessage, PRINTIFY_QUOTA, SES_QUOTA } from '../../lambdas/domain/rate-slots';
import { takeSlot } from '../../lambdas/shared/pacing';
import { pacedOrderEmail } from '../../lambdas/email/use-cases';
import { LOOKUP_SLOTS, pacedPrintifyOrder, withFulfilmentSlots } from '../../lambdas/fulfilment/pacing';
import { anOrder, memoryPorts, P1_MAPPING } from '../support/fakes';

const quotas = { printify: PRINTIFY_QUOTA, ses: SES_QUOTA };

/** The ports on a clock that a fake sleep moves forward (no wall clock). */
function setup(sendToProduction = true) {
  const ports = memoryPorts('2026-11-26T12:00:00.000Z');
  const slept: number[] = [];
  const sleep = async (ms: number) => {
    slept.push(ms);
    ports.clock.set(new Date(ports.clock.now().getTime() + ms).toISOString());
  };
  return { ...ports, slept, pacing: { rateSlots: ports.rateSlots, now: ports.clock.now, sleep, quotas, sendToProduction } };
}

/** The fake Printify with every call taking a slot first, as gatedFetch does for each HTTP request. */
function gated<T extends object>(printify: T): T {
  return new Proxy(printify, {
    get(target, key, receiver) {
      const value = Reflect.get(target, key, receiver);
      if (typeof value !== 'function' || key === 'call') return value;
      return async (...args: unknown[]) => {
        await takeSlot(key === 'createOrder' ? 'POST https://api.printify.com/v1/shops/1/orders.json' : `GET ${String(key)}`);
        return value.apply(target, args);
      };
    },
  });
}

describe('withFulfilmentSlots', () => {
  it('reserves two Printify slots (create, send to production) and one SES slot per fulfilled order', async () => {
    const { pacing } = setup();
    const first = await withFulfilmentSlots(pacing, { fulfil: true });
    const second = await withFulfilmentSlots(pacing, { fulfil: true });
    expect(first.pace).toEqual({
      printify: { seconds: 0, at: '2026-11-26T12:00:00.000Z', n: 2 },
      email: { seconds: 0, at: '2026-11-26T12:00:00.000Z', n: 1 },
    });
    // 2 × 111 ms later for Printify, 79 ms later for SES
    expect(second.pace).toEqual({
      printify: { seconds: 0, at: '2026-11-26T12:00:00.222Z', n: 2 },
      email: { seconds: 0, at: '2026-11-26T12:00:00.079Z', n: 1 },
    });
  });

  it("a sale's 1,000th order waits its turn: about 3.7 minutes for Printify at 540 calls a minute", async () => {
    const { pacing } = setup();
    let last: Awaited<ReturnType<typeof withFulfilmentSlots<{ fulfil: boolean }>>> | undefined;
    for (let i = 0; i < 1000; i++) last = await withFulfilmentSlots(pacing, { fulfil: true });
    expect(last!.pace!.printify.seconds).toBe(Math.floor((999 * 2 * 60_000) / 540 / 1000));
    expect(last!.pace!.email.seconds).toBe(Math.floor((999 * 1000) / 12.6 / 1000));
  });

  it('one Printify slot per order when the shop auto-approves (no send_to_production)', async () => {
    const { pacing } = setup(false);
    await withFulfilmentSlots(pacing, { fulfil: true });
    expect((await withFulfilmentSlots(pacing, { fulfil: true })).pace!.printify.at).toBe('2026-11-26T12:00:00.111Z');
  });

  it('a payment that does not fulfil reserves nothing', async () => {
    const { pacing, rateSlots } = setup();
    expect(await withFulfilmentSlots(pacing, { fulfil: false })).toEqual({ fulfil: false });
    expect(rateSlots.nextFree.size).toBe(0);
  });
});

describe('pacedPrintifyOrder', () => {
  async function printifySetup() {
    const ports = setup();
    await ports.orders.put(anOrder({ status: 'paid' }));
    await ports.mappings.put(P1_MAPPING);
    const deps = {
      ...ports.pacing,
      orders: ports.orders,
      mappings: ports.mappings,
      index: ports.index,
      printify: gated(ports.printify),
      shippingMethod: 1,
    };
    return { ...ports, deps };
  }

  it('sleeps the rest of its slot, then creates the order', async () => {
    const { deps, slept, printify } = await printifySetup();
    expect(await pacedPrintifyOrder(deps, 'ord_1', { notBefore: '2026-11-26T12:00:00.400Z', slots: 2 })).toMatchObject({
      outcome: 'created',
    });
    // the create at its slot, the send at the next one (111 ms later)
    expect(slept[0]).toBe(400);
    expect(slept[1]).toBeCloseTo(60_000 / 540, 0);
    expect(printify.calls).toEqual(['createOrder', 'sendToProduction']);
  });

  it("a 429 pushes every execution's next slot past its Retry-After, and is rethrown for the retry", async () => {
    const { deps, printify, rateSlots } = await printifySetup();
    printify.faults.createOrder = [
      new PrintifyApiError({
        message: '429',
        kind: 'http',
        method: 'POST',
        path: '/x',
        status: 429,
        retryable: true,
        retryAfterSeconds: 30,
      }),
    ];
    await expect(pacedPrintifyOrder(deps, 'ord_1')).rejects.toMatchObject({ name: 'PrintifyUnavailable' });
    expect(rateSlots.nextFree.get('printify')).toBe(new Date('2026-11-26T12:00:30.000Z').getTime());
  });
});

describe('pacedOrderEmail', () => {
  async function emailSetup() {
    const ports = setup();
    await ports.orders.put(anOrder({ status: 'paid' }));
    const deps = { ...ports.pacing, quota: SES_QUOTA, orders: ports.orders, outbox: ports.outbox, mailer: ports.mailer, rates: { usd: 1 } };
    return { ...ports, deps };
  }

  it('with a slot from the workflow: sleeps the rest of it and sends once', async () => {
    const { deps, slept, mailer } = await emailSetup();
    expect(await pacedOrderEmail(deps, { template: 'order-confirmation', orderId: 'ord_1' }, '2026-11-26T12:00:00.300Z')).toMatchObject({
      outcome: 'sent',
    });
    expect(slept).toEqual([300]);
    expect(mailer.sent).toHaveLength(1);
  });

  it('a task later than the tolerance sends nothing: a fresh slot in SesSlotMissed for the Wait', async () => {
    const { deps, mailer, rateSlots } = await emailSetup();
    await rateSlots.pushBack('ses', new Date('2026-11-26T12:00:04.000Z'));
    const late = pacedOrderEmail(deps, { template: 'order-confirmation', orderId: 'ord_1' }, '2026-11-26T11:59:00.000Z');
    const error = await late.then(
      () => undefined,
      (e: Error) => e,
    );
    expect(error).toMatchObject({ name: 'SesSlotMissed' });
    expect(parseSlotMessage(error!.message)).toEqual({ seconds: 4, at: '2026-11-26T12:00:04.000Z', n: 1 });
    expect(mailer.sent).toHaveLength(0);
    // the claim is released: the task after the Wait sends it
    expect(await pacedOrderEmail(deps, { template: 'order-confirmation', orderId: 'ord_1' }, '2026-11-26T12:00:04.000Z')).toMatchObject({
      outcome: 'sent',
    });
    expect(mailer.sent).toHaveLength(1);
  });

  it('a late task with SES idle takes a fresh slot in the task and sends, no loop', async () => {
    const { deps, mailer } = await emailSetup();
    expect(await pacedOrderEmail(deps, { template: 'order-confirmation', orderId: 'ord_1' }, '2026-11-26T11:59:00.000Z')).toMatchObject({
      outcome: 'sent',
    });
    expect(mailer.sent).toHaveLength(1);
  });

  it('SES Throttling pushes every sender back a window and loops the task through the Wait', async () => {
    const { deps, slept, mailer, rateSlots } = await emailSetup();
    mailer.failures.push(Object.assign(new Error('Maximum sending rate exceeded.'), { name: 'Throttling' }));
    const error = await pacedOrderEmail(deps, { template: 'order-confirmation', orderId: 'ord_1' }, '2026-11-26T12:00:00.000Z').then(
      () => undefined,
      (e: Error) => e,
    );
    expect(error).toMatchObject({ name: 'SesSlotMissed' });
    expect(parseSlotMessage(error!.message)).toMatchObject({ seconds: 1, at: '2026-11-26T12:00:01.000Z' });
    expect(slept).toEqual([]);
    expect(rateSlots.nextFree.get('ses')).toBeGreaterThan(new Date('2026-11-26T12:00:01.000Z').getTime());
    expect(mailer.sent).toHaveLength(0);
  });

  it('without one: reserves its own slot when it is near and sleeps until it', async () => {
    const { deps, slept, rateSlots } = await emailSetup();
    await rateSlots.pushBack('ses', new Date('2026-11-26T12:00:02.000Z'));
    expect(await pacedOrderEmail(deps, { template: 'refund', orderId: 'ord_1', amountRefunded: 100 })).toMatchObject({ outcome: 'sent' });
    expect(slept).toEqual([2000]);
  });

  it('without one and SES booked further ahead: sends and reserves nothing, TransientError for the retry', async () => {
    const { deps, mailer, rateSlots } = await emailSetup();
    await rateSlots.pushBack('ses', new Date('2026-11-26T12:01:00.000Z'));
    await expect(pacedOrderEmail(deps, { template: 'refund', orderId: 'ord_1', amountRefunded: 100 })).rejects.toMatchObject({
      name: 'TransientError',
    });
    expect(mailer.sent).toHaveLength(0);
    expect(rateSlots.nextFree.get('ses')).toBe(new Date('2026-11-26T12:01:00.000Z').getTime());
  });
});

describe('pacedPrintifyOrder: late tasks, retries and lookups never burst', () => {
  async function lateSetup(order: Record<string, unknown> = {}) {
    const ports = setup();
    await ports.orders.put(anOrder({ status: 'paid', ...order } as never));
    await ports.mappings.put(P1_MAPPING);
    const deps = {
      ...ports.pacing,
      orders: ports.orders,
      mappings: ports.mappings,
      index: ports.index,
      printify: gated(ports.printify),
      shippingMethod: 1,
    };
    return { ...ports, deps };
  }
  const missed = (promise: Promise<unknown>) =>
    promise.then(
      () => undefined,
      (e: Error) => e,
    );

  it('a task that starts later than the tolerance after its slot calls nothing and re-reserves', async () => {
    const { deps, printify, rateSlots, orders } = await lateSetup();
    await rateSlots.pushBack('printify', new Date('2026-11-26T12:00:10.000Z'));
    // 6,555 ms is the most a call may be late at 540 a minute against 600 (lateToleranceMs)
    const error = await missed(pacedPrintifyOrder(deps, 'ord_1', { notBefore: '2026-11-26T11:59:53.000Z', slots: 2 }));
    expect(error).toMatchObject({ name: 'PrintifySlotMissed' });
    expect(parseSlotMessage(error!.message)).toEqual({ seconds: 10, at: '2026-11-26T12:00:10.000Z', n: 2 });
    expect(printify.calls).toEqual([]);
    // no request went out: the first attempt is not marked, so the next one needs no lookup
    expect((await orders.read('ord_1')).printifyAttemptedAt).toBeUndefined();
    expect(await pacedPrintifyOrder(deps, 'ord_1', { notBefore: '2026-11-26T12:00:10.000Z', slots: 2 })).toMatchObject({
      outcome: 'created',
    });
    expect(printify.calls).toEqual(['createOrder', 'sendToProduction']);
  });

  it('late with the quota idle: takes a fresh slot within a second in the task, no loop', async () => {
    const { deps, printify, rateSlots } = await lateSetup();
    expect(await pacedPrintifyOrder(deps, 'ord_1', { notBefore: '2026-11-26T11:59:00.000Z', slots: 2 })).toMatchObject({
      outcome: 'created',
    });
    expect(printify.calls).toEqual(['createOrder', 'sendToProduction']);
    // the two calls took fresh slots from now on (the late ticket's slots went unused)
    expect(rateSlots.nextFree.get('printify')).toBeCloseTo(new Date('2026-11-26T12:00:00.000Z').getTime() + 2 * (60_000 / 540), 3);
  });

  it('a little late, within the tolerance: calls, each call at its own slot', async () => {
    const { deps, printify, slept } = await lateSetup();
    expect(await pacedPrintifyOrder(deps, 'ord_1', { notBefore: '2026-11-26T11:59:55.000Z', slots: 2 })).toMatchObject({
      outcome: 'created',
    });
    expect(printify.calls).toEqual(['createOrder', 'sendToProduction']);
    expect(slept).toEqual([]);
  });

  it('the send after the create keeps its own slot: created, then re-reserved for the send alone', async () => {
    const { deps, printify, clock, rateSlots } = await lateSetup();
    await rateSlots.pushBack('printify', new Date('2026-11-26T12:05:00.000Z')); // a backlog: no near slot
    const slow = deps.index.record.bind(deps.index);
    deps.index.record = async (a: string, b: string) => {
      clock.set(new Date(clock.now().getTime() + 10_000).toISOString()); // the store answers slowly
      await slow(a, b);
    };
    const error = await missed(pacedPrintifyOrder(deps, 'ord_1', { notBefore: '2026-11-26T12:00:00.000Z', slots: 2 }));
    expect(error).toMatchObject({ name: 'PrintifySlotMissed' });
    expect(parseSlotMessage(error!.message)).toMatchObject({ n: 1 });
    expect(printify.calls).toEqual(['createOrder']);
  });

  it("a retry's lookup spends a slot per request; slots spent, it re-reserves instead of calling", async () => {
    const { deps, printify, rateSlots } = await lateSetup({ printifyAttemptedAt: '2026-11-26T11:59:00.000Z' });
    await rateSlots.pushBack('printify', new Date('2026-11-26T12:05:00.000Z')); // a backlog: no near slot
    // a ticket for the create and the send only: the lookup takes the first, the create finds none left… then the send
    const error = await missed(pacedPrintifyOrder(deps, 'ord_1', { notBefore: '2026-11-26T12:00:00.000Z', slots: 1 }));
    expect(error).toMatchObject({ name: 'PrintifySlotMissed' });
    expect(printify.calls).toEqual(['findOrderByExternalId']);
    expect(parseSlotMessage(error!.message)).toMatchObject({ n: 2 + LOOKUP_SLOTS });
  });

  it('an operator call without a ticket reserves its own slots (lookup + create + send) when near', async () => {
    const { deps, slept, rateSlots } = await lateSetup({ printifyAttemptedAt: '2026-11-26T11:59:00.000Z' });
    await rateSlots.pushBack('printify', new Date('2026-11-26T12:00:03.000Z'));
    expect(await pacedPrintifyOrder(deps, 'ord_1')).toMatchObject({ outcome: 'created' });
    expect(slept[0]).toBe(3000);
    expect(rateSlots.nextFree.get('printify')).toBeCloseTo(
      new Date('2026-11-26T12:00:03.000Z').getTime() + (2 + LOOKUP_SLOTS) * (60_000 / 540),
      3,
    );
  });

  it('an operator call with the quota booked further ahead calls nothing: PrintifyUnavailable, retried later', async () => {
    const { deps, printify, rateSlots } = await lateSetup({ printifyAttemptedAt: '2026-11-26T11:59:00.000Z' });
    await rateSlots.pushBack('printify', new Date('2026-11-26T12:05:00.000Z'));
    await expect(pacedPrintifyOrder(deps, 'ord_1')).rejects.toMatchObject({ name: 'PrintifyUnavailable' });
    expect(printify.calls).toEqual([]);
  });
});

describe('withFulfilmentSlots: one reservation per order', () => {
  it("counts the Wait's seconds from when the task answers, not from the reservation", async () => {
    const { pacing, orders, rateSlots, clock } = setup();
    await orders.put(anOrder({ status: 'paid' }));
    await rateSlots.pushBack('printify', new Date('2026-11-26T12:00:30.000Z'));
    const write = orders.compareAndSet.bind(orders);
    orders.compareAndSet = async (...args: Parameters<typeof orders.compareAndSet>) => {
      clock.set('2026-11-26T12:00:04.000Z'); // the write after the reservation answers slowly
      return write(...args);
    };
    const { pace } = await withFulfilmentSlots({ ...pacing, orders }, { fulfil: true, orderId: 'ord_1' });
    expect(pace!.printify).toMatchObject({ at: '2026-11-26T12:00:30.000Z', seconds: 26 });
  });

  it('a retried or replayed Record payment reuses the slots kept on the order', async () => {
    const { pacing, orders, rateSlots, clock } = setup();
    await orders.put(anOrder({ status: 'paid' }));
    await rateSlots.pushBack('printify', new Date('2026-11-26T12:00:30.000Z'));
    const deps = { ...pacing, orders };
    const first = await withFulfilmentSlots(deps, { fulfil: true, orderId: 'ord_1' }, 'evt_1');
    const reserved = rateSlots.nextFree.get('printify');
    clock.set('2026-11-26T12:00:05.000Z');
    const retried = await withFulfilmentSlots(deps, { fulfil: true, orderId: 'ord_1' }, 'evt_1');
    expect(rateSlots.nextFree.get('printify')).toBe(reserved);
    expect(retried.pace).toEqual({
      printify: { ...first.pace!.printify, seconds: 25 },
      email: { ...first.pace!.email, seconds: 0 },
    });
    expect(await orders.read('ord_1')).toMatchObject({ fulfilmentPace: { executionName: 'evt_1' } });
  });
});

describe('createPrintifyOrder after a 429', () => {
  it('a first attempt refused for the rate is forgotten: the retry creates without a lookup', async () => {
    const ports = setup();
    await ports.orders.put(anOrder({ status: 'paid' }));
    await ports.mappings.put(P1_MAPPING);
    const deps = {
      ...ports.pacing,
      orders: ports.orders,
      mappings: ports.mappings,
      index: ports.index,
      printify: ports.printify,
      shippingMethod: 1,
    };
    ports.printify.faults.createOrder = [
      new PrintifyApiError({
        message: '429',
        kind: 'http',
        method: 'POST',
        path: '/x',
        status: 429,
        retryable: true,
        retryAfterSeconds: 1,
      }),
    ];
    await expect(pacedPrintifyOrder(deps, 'ord_1', { notBefore: '2026-11-26T12:00:00.000Z' })).rejects.toMatchObject({
      name: 'PrintifyUnavailable',
    });
    expect(await ports.orders.read('ord_1')).toMatchObject({ printifyRateLimitedAt: '2026-11-26T12:00:00.000Z' });
    expect((await ports.orders.read('ord_1')).printifyAttemptedAt).toBeUndefined();
    expect(await pacedPrintifyOrder(deps, 'ord_1', { notBefore: '2026-11-26T12:00:00.000Z' })).toMatchObject({ outcome: 'created' });
    expect(ports.printify.calls).toEqual(['createOrder', 'createOrder', 'sendToProduction']);
  });
});
