import { TransientError } from '../domain/errors';
import { ledgerEntryIds } from '../domain/keys';
import { invoicePetalEntry, planOrderPetals, type PetalRates } from '../domain/petals';
import type { Signal } from '../domain/signals';
import type { InvoicePaymentInput } from '../domain/workflow-input';
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
  const written: string[] = [];
  let petalsAwarded = 0;
  let petalsDeducted = 0;
  // n-th use of an entry id whose earlier use was another movement (see ledgerEntryIds.repeated)
  const repeats = new Map<string, number>();
  let rounds = 0;
  for (let attempt = 0; rounds < MAX_ROUNDS && attempt < MAX_ROUNDS * 10; attempt++) {
    const order = await deps.orders.require(orderId);
    const step = planOrderPetals(order, deps.rates, now);
    if (step.kind === 'settled') {
      // a customer may have spent petals a refund now takes back: the operator wants to know
      const balance = petalsDeducted > 0 ? await deps.ledger.balance(order.userId) : undefined;
      const signals: Signal[] = [];
      if (petalsAwarded > 0) signals.push({ kind: 'petals-awarded', petals: petalsAwarded });
      if (petalsDeducted > 0) signals.push({ kind: 'petals-deducted', petals: petalsDeducted });
      if (balance !== undefined && balance < 0) signals.push({ kind: 'negative-petal-balance' });
      return {
        orderId,
        userId: order.userId,
        awarded: order.petalsAwarded ?? 0,
        deducted: order.petalsDeducted ?? 0,
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
        ? await deps.ledger.append(entry, { orderId, kind: 'award', petalsAwarded: step.petalsAwarded })
        : await deps.ledger.append(entry, {
            orderId,
            kind: 'deduct',
            deductedBefore: step.deductedBefore,
            deductedAfter: step.deductedAfter,
          });
    if (result === 'exists' && step.kind !== 'award') {
      // The entry id is taken. If the order's counter still reads what we planned from, nobody
      // settled this movement: the id is an earlier movement's (held, released, held again), so
      // this one is its next repeat. Otherwise another execution settled first.
      const current = await deps.orders.require(orderId);
      if ((current.petalsDeducted ?? 0) === step.deductedBefore) {
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
  throw new TransientError(`petals for order ${orderId} did not settle in ${MAX_ROUNDS} rounds`);
}

/**
 * A subscription invoice's petals (Stripe's invoice.paid), once per invoice: a second call finds
 * the entry and writes nothing (`written: false`). `petals` is what the invoice earns either way.
 * Throws the store's errors (retry).
 */
export async function awardInvoicePetals(
  deps: PetalsDeps,
  input: InvoicePaymentInput,
): Promise<{ userId: string; invoiceId: string; petals: number; written: boolean; signals: Signal[] }> {
  const entry = invoicePetalEntry(input, deps.rates, (deps.now ?? (() => new Date()))().toISOString());
  const written = (await deps.ledger.append(entry)) === 'written' && entry.amount !== 0;
  const signals: Signal[] = written ? [{ kind: 'petals-awarded', petals: entry.amount }] : [];
  return { userId: input.userId, invoiceId: input.invoiceId, petals: entry.amount, written, signals };
}
