import { PrintifyApiError } from '../../lambdas/adapters/printify-client';
import { PRINTIFY_QUOTA, SES_QUOTA } from '../../lambdas/domain/rate-slots';
import { pacedOrderEmail } from '../../lambdas/email/use-cases';
import { pacedPrintifyOrder, withFulfilmentSlots } from '../../lambdas/fulfilment/pacing';
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

describe('withFulfilmentSlots', () => {
  it('reserves two Printify slots (create, send to production) and one SES slot per fulfilled order', async () => {
    const { pacing } = setup();
    const first = await withFulfilmentSlots(pacing, { fulfil: true });
    const second = await withFulfilmentSlots(pacing, { fulfil: true });
    expect(first.pace).toEqual({
      printify: { seconds: 0, at: '2026-11-26T12:00:00.000Z' },
      email: { seconds: 0, at: '2026-11-26T12:00:00.000Z' },
    });
    // 2 × 111 ms later for Printify, 79 ms later for SES
    expect(second.pace).toEqual({
      printify: { seconds: 0, at: '2026-11-26T12:00:00.222Z' },
      email: { seconds: 0, at: '2026-11-26T12:00:00.079Z' },
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
      printify: ports.printify,
      shippingMethod: 1,
    };
    return { ...ports, deps };
  }

  it('sleeps the rest of its slot, then creates the order', async () => {
    const { deps, slept, printify } = await printifySetup();
    expect(await pacedPrintifyOrder(deps, 'ord_1', '2026-11-26T12:00:00.400Z')).toMatchObject({ outcome: 'created' });
    expect(slept).toEqual([400]);
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

  it('a late task sends at once; SES Throttling waits a window in the task and sends once', async () => {
    const { deps, slept, mailer, rateSlots } = await emailSetup();
    mailer.failures.push(Object.assign(new Error('Maximum sending rate exceeded.'), { name: 'Throttling' }));
    expect(await pacedOrderEmail(deps, { template: 'order-confirmation', orderId: 'ord_1' }, '2026-11-26T11:59:00.000Z')).toMatchObject({
      outcome: 'sent',
    });
    // no sleep for the late slot, then one window (1 s) after the throttle, which every sender waits out
    expect(slept).toEqual([1000]);
    expect(rateSlots.nextFree.get('ses')).toBe(new Date('2026-11-26T12:00:01.000Z').getTime());
    expect(mailer.sent).toHaveLength(1);
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

describe('pacedPrintifyOrder: retries are paced too', () => {
  it('a retry reserves its own slots (lookup + create + send) and waits for them when near', async () => {
    const ports = setup();
    await ports.orders.put(anOrder({ status: 'paid', printifyAttemptedAt: '2026-11-26T11:59:00.000Z' } as never));
    await ports.mappings.put(P1_MAPPING);
    await ports.rateSlots.pushBack('printify', new Date('2026-11-26T12:00:03.000Z'));
    const deps = {
      ...ports.pacing,
      orders: ports.orders,
      mappings: ports.mappings,
      index: ports.index,
      printify: ports.printify,
      shippingMethod: 1,
    };
    expect(await pacedPrintifyOrder(deps, 'ord_1', '2026-11-26T11:59:00.000Z')).toMatchObject({ outcome: 'created' });
    expect(ports.slept).toEqual([3000]);
    expect(ports.rateSlots.nextFree.get('printify')).toBeCloseTo(new Date('2026-11-26T12:00:03.000Z').getTime() + 3 * (60_000 / 540), 3);
  });

  it('a retry with the quota booked further ahead calls nothing: PrintifyUnavailable, retried later', async () => {
    const ports = setup();
    await ports.orders.put(anOrder({ status: 'paid', printifyAttemptedAt: '2026-11-26T11:59:00.000Z' } as never));
    await ports.rateSlots.pushBack('printify', new Date('2026-11-26T12:05:00.000Z'));
    const deps = {
      ...ports.pacing,
      orders: ports.orders,
      mappings: ports.mappings,
      index: ports.index,
      printify: ports.printify,
      shippingMethod: 1,
    };
    await expect(pacedPrintifyOrder(deps, 'ord_1', '2026-11-26T11:59:00.000Z')).rejects.toMatchObject({ name: 'PrintifyUnavailable' });
    expect(ports.printify.calls).toEqual([]);
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
    await expect(pacedPrintifyOrder(deps, 'ord_1', '2026-11-26T12:00:00.000Z')).rejects.toMatchObject({ name: 'PrintifyUnavailable' });
    expect(await ports.orders.read('ord_1')).toMatchObject({ printifyRateLimitedAt: '2026-11-26T12:00:00.000Z' });
    expect((await ports.orders.read('ord_1')).printifyAttemptedAt).toBeUndefined();
    expect(await pacedPrintifyOrder(deps, 'ord_1', '2026-11-26T12:00:00.000Z')).toMatchObject({ outcome: 'created' });
    expect(ports.printify.calls).toEqual(['createOrder', 'createOrder', 'sendToProduction']);
  });
});
