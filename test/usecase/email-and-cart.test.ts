import { clearPurchasedLines } from '../../lambdas/cart/use-cases';
import { EmailRejectedError } from '../../lambdas/domain/errors';
import { DEFAULT_PETAL_RATES } from '../../lambdas/domain/petals';
import { sendOrderEmail } from '../../lambdas/email/use-cases';
import { anOrder, memoryPorts } from '../support/fakes';

async function emailScene(overrides: Record<string, unknown> = {}) {
  const ports = memoryPorts();
  await ports.orders.put(anOrder({ status: 'paid', ...overrides }));
  return { ...ports, deps: { orders: ports.orders, outbox: ports.outbox, mailer: ports.mailer, rates: DEFAULT_PETAL_RATES } };
}

describe('sendOrderEmail: sent', () => {
  it("sends the confirmation to the order's address once; run again, already-sent", async () => {
    const { deps, mailer } = await emailScene();
    expect(await sendOrderEmail(deps, { template: 'order-confirmation', orderId: 'ord_1' })).toEqual({
      outcome: 'sent',
      messageId: 'msg_1',
      signals: [{ kind: 'email-sent' }],
    });
    expect(await sendOrderEmail(deps, { template: 'order-confirmation', orderId: 'ord_1' })).toEqual({
      outcome: 'already-sent',
      signals: [],
    });
    expect(mailer.sent).toHaveLength(1);
    expect(mailer.sent[0]).toMatchObject({ to: 'sakura@example.com' });
    expect(mailer.sent[0]!.text).toContain('25 petals');
  });

  it('each refund amount, each failed payment event and each parcel is an email of its own', async () => {
    const { deps, mailer } = await emailScene();
    const requests = [
      { template: 'refund' as const, orderId: 'ord_1', amountRefunded: 1000 },
      { template: 'refund' as const, orderId: 'ord_1', amountRefunded: 2500 },
      { template: 'payment-failed' as const, orderId: 'ord_1', eventId: 'evt_1', reason: 'card_declined' },
      { template: 'payment-failed' as const, orderId: 'ord_1', eventId: 'evt_2', reason: 'card_declined' },
      { template: 'shipping' as const, orderId: 'ord_1', carrier: 'usps', trackingNumber: '1Z1' },
      { template: 'shipping' as const, orderId: 'ord_1', carrier: 'usps', trackingNumber: '1Z2' },
    ];
    for (const request of [...requests, ...requests]) await sendOrderEmail(deps, request);
    expect(mailer.sent).toHaveLength(6);
  });
});

describe('sendOrderEmail: not sent', () => {
  it('an order without an email address has no recipient', async () => {
    const { deps, mailer } = await emailScene({ email: undefined });
    expect(await sendOrderEmail(deps, { template: 'order-confirmation', orderId: 'ord_1' })).toEqual({
      outcome: 'no-recipient',
      signals: [],
    });
    expect(mailer.sent).toEqual([]);
  });

  it('while another task holds the claim, throws TransientError (retry later) and sends nothing', async () => {
    const { deps, outbox, mailer } = await emailScene();
    await outbox.claim('ord_1', 'order-confirmation', {});
    await expect(sendOrderEmail(deps, { template: 'order-confirmation', orderId: 'ord_1' })).rejects.toMatchObject({
      name: 'TransientError',
    });
    expect(mailer.sent).toEqual([]);
  });

  it('takes over a claim whose sender died, once its lease has run out', async () => {
    const { deps, outbox, mailer, clock } = await emailScene();
    await outbox.claim('ord_1', 'order-confirmation', {});
    clock.set('2026-11-26T12:01:01.000Z');
    expect(await sendOrderEmail(deps, { template: 'order-confirmation', orderId: 'ord_1' })).toMatchObject({ outcome: 'sent' });
    expect(mailer.sent).toHaveLength(1);
  });

  it('a mailer failure gives the claim back and throws; the retry sends', async () => {
    const { deps, mailer } = await emailScene();
    mailer.failures.push(new Error('Throttling'));
    await expect(sendOrderEmail(deps, { template: 'order-confirmation', orderId: 'ord_1' })).rejects.toThrow('Throttling');
    expect(await sendOrderEmail(deps, { template: 'order-confirmation', orderId: 'ord_1' })).toMatchObject({ outcome: 'sent' });
    expect(mailer.sent).toHaveLength(1);
  });
});

describe('sendOrderEmail: customer addresses', () => {
  it.each([
    ['a header injection', 'someone@example.com\r\nBcc: other@example.net'],
    ['a list', 'a, b'],
    ['not an address', 'not-an-email'],
  ])('%s never reaches the mailer: recorded as undeliverable once, signalled, not thrown', async (_what, email) => {
    const { deps, mailer, outbox } = await emailScene({ email });
    const first = await sendOrderEmail(deps, { template: 'order-confirmation', orderId: 'ord_1' });
    expect(first).toMatchObject({ outcome: 'undeliverable', signals: [{ kind: 'email-undeliverable' }] });
    expect(await sendOrderEmail(deps, { template: 'order-confirmation', orderId: 'ord_1' })).toMatchObject({
      outcome: 'undeliverable',
      signals: [],
    });
    expect(mailer.sent).toEqual([]);
    expect(outbox.items.get('ord_1#order-confirmation')).toMatchObject({
      status: 'undeliverable',
      lastError: expect.stringMatching(/^recipient /),
    });
  });

  it('a Unicode domain is sent in its punycode form', async () => {
    const { deps, mailer } = await emailScene({ email: 'user@bücher.example' });
    expect(await sendOrderEmail(deps, { template: 'order-confirmation', orderId: 'ord_1' })).toMatchObject({ outcome: 'sent' });
    expect(mailer.sent[0]).toMatchObject({ to: 'user@xn--bcher-kva.example' });
  });

  it('SES refusing the email for good (EmailRejected) gives the claim back and throws it, not retryable', async () => {
    const { deps, mailer, outbox } = await emailScene();
    mailer.failures.push(new EmailRejectedError('SES refused the email: MessageRejected: Email address is not verified.'));
    await expect(sendOrderEmail(deps, { template: 'order-confirmation', orderId: 'ord_1' })).rejects.toMatchObject({
      name: 'EmailRejected',
      retryable: false,
    });
    expect(outbox.items.get('ord_1#order-confirmation')).toMatchObject({ status: 'failed' });
  });
});

describe('clearPurchasedLines', () => {
  it('removes the purchased lines unchanged since checkout, keeps changed and unrelated ones; a second run removes nothing', async () => {
    const { orders, carts } = memoryPorts();
    await orders.put(
      anOrder({
        status: 'paid',
        createdAt: '2026-11-26T10:00:00.000Z',
        items: [
          { productId: 'hoodie', variantId: 'M', quantity: 1, unitAmount: 3999 },
          { productId: 'sticker', variantId: 'std', quantity: 2, unitAmount: 500 },
          { productId: 'gone', variantId: 'x', quantity: 1, unitAmount: 100 },
        ],
      }),
    );
    await carts.put('user_1', { productId: 'hoodie', variantId: 'M', quantity: 1, updatedAt: '2026-11-26T09:59:00.000Z' });
    await carts.put('user_1', { productId: 'sticker', variantId: 'std', quantity: 5, updatedAt: '2026-11-26T10:05:00.000Z' });
    await carts.put('user_1', { productId: 'other', variantId: 'L', quantity: 1, updatedAt: '2026-11-26T09:00:00.000Z' });
    const deps = { orders, carts };
    expect(await clearPurchasedLines(deps, 'ord_1')).toEqual({ removed: ['hoodie/M'], kept: ['sticker/std', 'gone/x'] });
    expect(await clearPurchasedLines(deps, 'ord_1')).toEqual({ removed: [], kept: ['hoodie/M', 'sticker/std', 'gone/x'] });
    expect(carts.linesOf('user_1')).toEqual(['other/L', 'sticker/std']);
  });
});
