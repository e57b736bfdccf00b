import { TransientError } from '../domain/errors';
import { ledgerEntryIds } from '../domain/keys';
import { planInvoicePetals, planOrderPetals, type PetalRates, type PetalStep } from '../domain/petals';
import type { Signal } from '../domain/signals';
import type { InvoicePaymentInput, InvoicePaymentLinkInput } from '../domain/workflow-input';
import type { InvoicesPort } from '../ports/invoices';
import type { OrdersPort } from '../ports/orders';
import type { PetalLedgerPort } from '../ports/petal-ledger';

/** What the petal use cases depend on: the orders, the ledger, the petal rates and a clock. */
export interface PetalsDeps {
  orders: Pick<OrdersPort, 'require'>;
  ledger: PetalLedgerPort;
  rates: PetalRates;
  now?: () => Date;
}

/** What settleOrderPetals did: the order's counters after it, and what this call wrote. */
export interface OrderPetals {
  orderId: string;
  userId: string;
  /** petals of the purchase bonus (the order's petalsAwarded; 0 while unpaid) */
  awarded: number;
  /** petals taken back so far (the order's petalsDeducted) */
  deducted: number;
  /** entries written by this call */
  written: string[];
  /** petals this call took back (refunds, dispute holds) */
  petalsDeducted: number;
  /** the user's balance after a deduction by this call (a customer may have spent them) */
  balance?: number;
  /** petals-awarded (the purchase bonus, when this call wrote it), petals-deducted, negative-petal-balance */
  signals: Signal[];
}

const MAX_ROUNDS = 5;

/** What a petal subject (an order, a subscription invoice's record) says of its petals. */
interface PetalCounters {
  userId?: string | undefined;
  petalsAwarded?: number | undefined;
  petalsDeducted?: number | undefined;
}

/** What settlePetals did: the subject's counters after it, and what this call wrote (as OrderPetals). */
type Settled = Omit<OrderPetals, 'orderId' | 'userId'> & { userId: string | undefined };

/**
 * The one settle loop of orders and invoices: plan the next entry from what was read, write it in
 * one transaction with the subject's counters (`guard`), and when another execution settled first
 * (`stale`, `exists`) read and plan again. `adoptAward`: an award entry that exists while the
 * counter is unset (written before the subject kept counters) is adopted as the award.
 */
async function settlePetals<T extends PetalCounters>(
  deps: Pick<PetalsDeps, 'ledger'>,
  subject: string,
  read: () => Promise<T>,
  plan: (current: T) => PetalStep,
  guard: { orderId: string } | { invoiceId: string },
  adoptAward?: (petals: number) => Promise<unknown>,
): Promise<Settled> {
  const written: string[] = [];
  let petalsAwarded = 0;
  let petalsDeducted = 0;
  // n-th use of an entry id whose earlier use was another movement (see ledgerEntryIds.repeated)
  const repeats = new Map<string, number>();
  let rounds = 0;
  for (let attempt = 0; rounds < MAX_ROUNDS && attempt < MAX_ROUNDS * 10; attempt++) {
    const current = await read();
    const step = plan(current);
    if (step.kind === 'settled') {
      // a customer may have spent petals a refund now takes back: the operator wants to know
      const balance = petalsDeducted > 0 && current.userId ? await deps.ledger.balance(current.userId) : undefined;
      const signals: Signal[] = [];
      if (petalsAwarded > 0) signals.push({ kind: 'petals-awarded', petals: petalsAwarded });
      if (petalsDeducted > 0) signals.push({ kind: 'petals-deducted', petals: petalsDeducted });
      if (balance !== undefined && balance < 0) signals.push({ kind: 'negative-petal-balance' });
      return {
        userId: current.userId,
        awarded: current.petalsAwarded ?? 0,
        deducted: current.petalsDeducted ?? 0,
        written,
        petalsDeducted,
        ...(balance !== undefined ? { balance } : {}),
        signals,
      };
    }
    const base = step.entry.entryId;
    const entry = { ...step.entry, entryId: ledgerEntryIds.repeated(base, repeats.get(base) ?? 1) };
    const result =
      step.kind === 'award'
        ? await deps.ledger.append(entry, { ...guard, kind: 'award', petalsAwarded: step.petalsAwarded })
        : await deps.ledger.append(entry, {
            ...guard,
            kind: 'deduct',
            deductedBefore: step.deductedBefore,
            deductedAfter: step.deductedAfter,
          });
    if (result === 'exists' && step.kind === 'award' && adoptAward) {
      await adoptAward(step.petalsAwarded);
      continue;
    }
    if (result === 'exists' && step.kind !== 'award') {
      // The entry id is taken. If the counter still reads what we planned from, nobody settled
      // this movement: the id is an earlier movement's (held, released, held again), so this one
      // is its next repeat. Otherwise another execution settled first.
      if (((await read()).petalsDeducted ?? 0) === step.deductedBefore) {
        repeats.set(base, (repeats.get(base) ?? 1) + 1);
        continue;
      }
    }
    // otherwise another execution settled first: read again and see what is left to do
    if (result !== 'written') {
      rounds++;
      continue;
    }
    if (entry.amount !== 0) written.push(entry.entryId);
    if (step.kind === 'award') petalsAwarded = step.petalsAwarded;
    else if (entry.amount < 0) petalsDeducted -= entry.amount;
  }
  throw new TransientError(`petals for ${subject} did not settle in ${MAX_ROUNDS} rounds`);
}

/**
 * Brings an order's petals to what its payment, refunds and dispute say they should be (the petal
 * plan, planOrderPetals in domain/petals.ts): the purchase bonus once, refund deductions up to the
 * refunded share, a dispute's hold and release. Both the fulfilment and the refund workflows call
 * this, in any order and any number of times; the result is the same. Each ledger entry is written
 * in one transaction with the balance and the order's own counters, guarded by what was read; when
 * another execution settled first (`stale`, `exists`) we re-read and plan again.
 *
 * Throws OrderNotFoundError for an unknown order, TransientError when five rounds did not settle
 * (concurrent writers; the workflow retries), and the store's errors (retry).
 */
export async function settleOrderPetals(deps: PetalsDeps, orderId: string): Promise<OrderPetals> {
  const now = (deps.now ?? (() => new Date()))().toISOString();
  const settled = await settlePetals(
    deps,
    `order ${orderId}`,
    () => deps.orders.require(orderId),
    (order) => planOrderPetals(order, deps.rates, now),
    { orderId },
  );
  return { orderId, ...settled, userId: settled.userId ?? '' };
}

/** What the invoice petal use cases depend on: the invoice records, the ledger, the rates and a clock. */
export type InvoicePetalsDeps = Omit<PetalsDeps, 'orders'> & { invoices: InvoicesPort };

/** What settleInvoicePetals did (as OrderPetals, for a subscription invoice). */
export interface InvoicePetals extends Omit<OrderPetals, 'orderId' | 'userId'> {
  invoiceId: string;
  /** undefined while the invoice's payment is not recorded (only its refunds are) */
  userId?: string;
}

/**
 * Brings a subscription invoice's petals to what its payment and refunds say (planInvoicePetals):
 * the bonus once, refund deductions in proportion to `amountPaid`, restorations when a refund
 * failed or was canceled. Called by the subscription-payment workflow (after recording the
 * payment) and by the refund workflow (after recording a refund), in any order, any number of
 * times. Throws TransientError when five rounds did not settle, and the store's errors (retry).
 */
export async function settleInvoicePetals(deps: InvoicePetalsDeps, invoiceId: string): Promise<InvoicePetals> {
  const now = (deps.now ?? (() => new Date()))().toISOString();
  const settled = await settlePetals(
    deps,
    `invoice ${invoiceId}`,
    async () => (await deps.invoices.get(invoiceId)) ?? { invoiceId },
    (invoice) => planInvoicePetals(invoice, deps.rates, now),
    { invoiceId },
    (petals) => deps.invoices.compareAndSet(invoiceId, { petalsAwarded: undefined }, { petalsAwarded: petals }),
  );
  const { userId, ...rest } = settled;
  return { invoiceId, ...rest, ...(userId !== undefined ? { userId } : {}) };
}

/**
 * A paid subscription invoice (invoice.payment_succeeded): records what a later refund needs on
 * the invoice's record (user, amount paid, currency, payment intent and charge when the event
 * names them; first writer wins, so a redelivery changes nothing), then settles its petals: the
 * bonus once per invoice (`written: false` on a second call), less what refunds recorded before
 * this payment take back. `petals` is what the invoice earns either way. Throws the store's errors
 * and TransientError (retry).
 */
export async function awardInvoicePetals(
  deps: InvoicePetalsDeps,
  input: InvoicePaymentInput,
): Promise<{ userId: string; invoiceId: string; petals: number; written: boolean; signals: Signal[] }> {
  await deps.invoices.fillMissing(input.invoiceId, {
    userId: input.userId,
    amountPaid: input.amountPaid,
    currency: input.currency,
    subscriptionId: input.subscriptionId,
    paymentIntentId: input.paymentIntentId,
    chargeId: input.chargeId,
    paidEventId: input.eventId,
  });
  const settled = await settleInvoicePetals(deps, input.invoiceId);
  const written = settled.written.includes(ledgerEntryIds.invoice(input.invoiceId));
  return { userId: settled.userId ?? input.userId, invoiceId: input.invoiceId, petals: settled.awarded, written, signals: settled.signals };
}

/**
 * An invoice's payment (invoice_payment.paid, API 2025-03-31 and later, when the invoice's own event
 * no longer names it): records the payment intent and charge on the invoice's record, so that the
 * byPaymentIntent index finds the invoice from a later refund or dispute. Only what the record
 * lacks is set (first writer wins), so it merges with invoice.payment_succeeded's facts in either
 * order and a redelivery changes nothing; a record absent yet is created with the link alone.
 * Settles no petals: a refund or dispute names the payment long after both events, and the record
 * is one of our subscriptions' only once invoice.payment_succeeded gave it a user (ownerOfCharge),
 * so the link of an invoice that is not ours is a record no one reads. Throws the store's errors.
 */
export async function recordInvoicePaymentLink(
  deps: { invoices: Pick<InvoicesPort, 'fillMissing'> },
  input: InvoicePaymentLinkInput,
): Promise<{ invoiceId: string; paymentIntentId?: string; chargeId?: string; linked: boolean; userId?: string }> {
  const after = await deps.invoices.fillMissing(input.invoiceId, {
    paymentIntentId: input.paymentIntentId,
    chargeId: input.chargeId,
  });
  const linked =
    (input.paymentIntentId === undefined || after.paymentIntentId === input.paymentIntentId) &&
    (input.chargeId === undefined || after.chargeId === input.chargeId);
  return {
    invoiceId: input.invoiceId,
    ...(after.paymentIntentId ? { paymentIntentId: after.paymentIntentId } : {}),
    ...(after.chargeId ? { chargeId: after.chargeId } : {}),
    // false when the record already named another payment (a second InvoicePayment: the first is kept)
    linked,
    ...(after.userId ? { userId: after.userId } : {}),
  };
}
