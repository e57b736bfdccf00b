import { DEFAULT_PETAL_RATES } from '../../lambdas/domain/petals';
import type { PaymentInput, RefundInput } from '../../lambdas/domain/workflow-input';
import { sendOrderEmail } from '../../lambdas/email/use-cases';
import { recordPayment } from '../../lambdas/fulfilment/payments';
import { recordRefund } from '../../lambdas/fulfilment/refunds';
import { settleOrderPetals } from '../../lambdas/petals/use-cases';
import { metricsOfSignals } from '../../lambdas/shared/task-metrics';
import { anOrder, aPayment, memoryPorts } from '../support/fakes';

// Refund amounts are claims in the charge's currency (money3 item 3): checked against what the
// order's payment charged; the order shows at most its total; an impossible claim touches nothing.

const T0 = 1_764_158_400;

const paid = (overrides: Partial<PaymentInput> = {}): PaymentInput =>
  aPayment({ amountTotal: 4999, chargedAmount: 4999, chargedCurrency: 'usd', ...overrides });

const chargeRefunded = (amountRefunded: number, overrides: Partial<RefundInput> = {}): RefundInput => ({
  eventId: `evt_refund_${amountRefunded}`,
  eventType: 'charge.refunded',
  created: T0 + 60,
  livemode: false,
  kind: 'refund',
  chargeId: 'ch_1',
  paymentIntentId: 'pi_1',
  amountRefunded,
  amount: 4999,
  currency: 'usd',
  ...overrides,
});

async function scene(payment: PaymentInput = paid()) {
  const ports = memoryPorts();
  await ports.orders.put(anOrder({ amountTotal: 4999, currency: 'usd' }));
  const deps = { orders: ports.orders, invoices: ports.invoices, now: ports.clock.now };
  await recordPayment(deps, payment);
  const petals = { orders: ports.orders, invoices: ports.invoices, ledger: ports.ledger, rates: DEFAULT_PETAL_RATES, now: ports.clock.now };
  await settleOrderPetals(petals, 'ord_1');
  const email = { orders: ports.orders, outbox: ports.outbox, mailer: ports.mailer, rates: DEFAULT_PETAL_RATES };
  return { ...ports, deps, petals, email };
}

describe('recordRefund: a refund is a claim checked against what was charged', () => {
  it('amount_refunded 999999 on a 4999 charge of a 4999 order: nothing touched, no email, RefundClaimImpossible', async () => {
    const { deps, orders } = await scene();
    const before = await orders.read('ord_1');
    const result = await recordRefund(deps, chargeRefunded(999999));
    expect(result).toMatchObject({ apply: false, owner: 'impossible', signals: [{ kind: 'refund-claim-impossible' }] });
    expect(metricsOfSignals(result.signals)).toEqual(expect.arrayContaining([expect.objectContaining({ name: 'RefundClaimImpossible' })]));
    expect(await orders.read('ord_1')).toEqual(before);
  });

  it("a claim above the order's recorded charge is impossible even when the event's charge says more", async () => {
    const { deps, orders } = await scene();
    expect(await recordRefund(deps, chargeRefunded(9000, { amount: 9000 }))).toMatchObject({ owner: 'impossible' });
    expect((await orders.read('ord_1')).amountRefunded).toBeUndefined();
  });

  it('one Refund above the charge, or refunds adding up above it, are impossible', async () => {
    const { deps } = await scene();
    const refund = (id: string, amount: number): RefundInput => ({
      ...chargeRefunded(0),
      eventId: `evt_${id}`,
      eventType: 'refund.updated',
      amountRefunded: undefined,
      amount: undefined,
      refunds: [{ refundId: id, amount, status: 'succeeded' }],
    });
    expect(await recordRefund(deps, refund('re_big', 5000))).toMatchObject({ owner: 'impossible' });
    expect(await recordRefund(deps, refund('re_1', 3000))).toMatchObject({ apply: true, amountRefunded: 3000 });
    expect(await recordRefund(deps, refund('re_2', 3000))).toMatchObject({ owner: 'impossible' });
  });

  it("a refund in a currency neither charged nor the order's is impossible", async () => {
    const { deps } = await scene();
    expect(await recordRefund(deps, chargeRefunded(1000, { currency: 'eur', amount: 4999 }))).toMatchObject({ owner: 'impossible' });
  });

  it("Adaptive Pricing: refunds in the customer's currency go by the fraction of the charge; the order shows its own currency", async () => {
    const { deps, orders, petals, ledger, email, mailer } = await scene(paid({ chargedAmount: 7450, chargedCurrency: 'jpy' }));
    expect(await ledger.balance('user_1')).toBe(49);
    // half of the yen charge refunded: half of the order's dollars shown, half the petals back
    const half = await recordRefund(deps, chargeRefunded(3725, { amount: 7450, currency: 'jpy' }));
    expect(half).toMatchObject({ apply: true, amountRefunded: 2499, fullyRefunded: false, emailTemplate: 'refund' });
    await settleOrderPetals(petals, 'ord_1');
    expect(await ledger.balance('user_1')).toBe(25);
    if (half.apply)
      await sendOrderEmail(email, { template: 'refund', orderId: 'ord_1', amountRefunded: half.amountRefunded, emailKey: half.emailKey });
    expect(mailer.sent.at(-1)?.text).toContain('$24.99');
    // the whole charge: the whole order, all the petals
    expect(await recordRefund(deps, chargeRefunded(7450, { amount: 7450, currency: 'jpy' }))).toMatchObject({
      amountRefunded: 4999,
      fullyRefunded: true,
      status: 'refunded',
    });
    await settleOrderPetals(petals, 'ord_1');
    expect(await ledger.balance('user_1')).toBe(0);
    // 7450 yen is not "above 4999": compared in the charge's currency
    expect((await orders.read('ord_1')).refundedOfCharge).toEqual({ amount: 7450, of: 7450, currency: 'jpy' });
  });

  it('the emailed amount is never above what was charged: a refund of the whole charge says the order total', async () => {
    const { deps, email, mailer } = await scene();
    const full = await recordRefund(deps, chargeRefunded(4999));
    expect(full).toMatchObject({ apply: true, amountRefunded: 4999, fullyRefunded: true });
    if (full.apply)
      await sendOrderEmail(email, { template: 'refund', orderId: 'ord_1', amountRefunded: full.amountRefunded, emailKey: full.emailKey });
    expect(mailer.sent.at(-1)?.text).toContain('$49.99');
    expect(mailer.sent.at(-1)?.text).not.toContain('9,999.99');
  });

  it("a subscription invoice's refund above what the invoice paid is impossible too", async () => {
    const { deps, invoices } = await scene();
    await invoices.compareAndSet('in_1', {}, { userId: 'user_1', amountPaid: 999, currency: 'usd' });
    const claim = (amountRefunded: number) => chargeRefunded(amountRefunded, { paymentIntentId: 'pi_sub', invoiceId: 'in_1', amount: 999 });
    expect(await recordRefund(deps, claim(5000))).toMatchObject({ apply: false, owner: 'impossible' });
    expect((await invoices.get('in_1'))?.amountRefunded).toBeUndefined();
    expect(await recordRefund(deps, claim(999))).toMatchObject({ owner: 'invoice', amountRefunded: 999 });
  });

  it("a subscription invoice's refund in another currency is impossible, whatever the event's own charge says", async () => {
    const { deps, invoices } = await scene();
    await invoices.compareAndSet('in_1', {}, { userId: 'user_1', amountPaid: 999, currency: 'usd' });
    // a eur charge of 5,000 refunded 900: within the event's own charge, but the invoice was paid in usd
    const inEur = chargeRefunded(900, { paymentIntentId: 'pi_sub', invoiceId: 'in_1', amount: 5000, currency: 'eur' });
    expect(await recordRefund(deps, inEur)).toMatchObject({ apply: false, owner: 'impossible' });
    expect((await invoices.get('in_1'))?.amountRefunded).toBeUndefined();
  });
});
