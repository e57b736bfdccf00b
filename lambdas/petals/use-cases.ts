import { isTransactionConditionFailure } from '../adapters/dynamodb';
import type { OrderRepository } from '../adapters/order-repository';
import type { LedgerEntry, PetalLedger } from '../adapters/petal-ledger';
import { TransientError } from '../domain/errors';
import { ledgerEntryIds } from '../domain/keys';
import { hasBeenPaid } from '../domain/order-status';
import { petalsForAmount, petalsToDeduct, type PetalRates } from '../domain/petals';
import type { InvoicePaymentInput } from '../domain/workflow-input';

export interface PetalsDeps {
  orders: OrderRepository;
  ledger: PetalLedger;
  rates: PetalRates;
  now?: () => Date;
}

export interface OrderPetals {
  orderId: string;
  userId: string;
  awarded: number;
  deducted: number;
  /** entries written by this call */
  written: string[];
  /** petals this call took back (refunds, dispute holds); the PetalsDeducted metric */
  petalsDeducted: number;
  /** the user's balance after a deduction by this call; below zero raises NegativePetalBalance */
  balance?: number;
}

const MAX_ROUNDS = 5;

/**
 * Brings an order's petals to what its payment and refunds say they should be: the purchase bonus
 * once, and refund deductions up to the refunded share. Both the fulfilment and the refund
 * workflows call this, in any order and any number of times; the result is the same. Each ledger
 * entry is written in one transaction with the balance and the order's own counters, and a
 * concurrent writer makes the condition fail, so we re-read and go again.
 */
export async function settleOrderPetals(deps: PetalsDeps, orderId: string): Promise<OrderPetals> {
  const now = (deps.now ?? (() => new Date()))().toISOString();
  const written: string[] = [];
  let petalsDeducted = 0;
  for (let round = 0; round < MAX_ROUNDS; round++) {
    const order = await deps.orders.require(orderId);
    const settled = async (): Promise<OrderPetals> => ({
      orderId,
      userId: order.userId,
      awarded: order.petalsAwarded ?? 0,
      deducted: order.petalsDeducted ?? 0,
      written,
      petalsDeducted,
      // a customer may have spent petals a refund now takes back: the operator wants to know
      ...(petalsDeducted > 0 ? { balance: await deps.ledger.balance(order.userId) } : {}),
    });
    if (!hasBeenPaid(order.status)) return settled();
    try {
      if (order.petalsAwarded === undefined) {
        const petals = petalsForAmount(order.amountTotal, order.currency, deps.rates);
        const entry: LedgerEntry = {
          userId: order.userId,
          entryId: ledgerEntryIds.purchase(orderId),
          type: 'purchase_bonus',
          amount: petals,
          reason: 'Purchase bonus',
          source: 'purchase',
          description: `Purchase bonus for order ${orderId}`,
          // the payment that earned them: a Checkout session, or a payment intent when that paid first
          metadata: {
            orderId,
            ...(order.stripeSessionId ? { stripeSessionId: order.stripeSessionId } : {}),
            ...(order.paymentIntentId ? { paymentIntentId: order.paymentIntentId } : {}),
            amountCents: order.amountTotal,
            currency: order.currency,
          },
          createdAt: now,
        };
        await deps.ledger.append(entry, {
          orderId,
          set: { petalsAwarded: petals },
          condition: 'attribute_not_exists(petalsAwarded)',
          values: {},
        });
        if (petals !== 0) written.push(entry.entryId);
        continue;
      }
      const amountRefunded = order.amountRefunded ?? 0;
      const refundShare = petalsToDeduct(order.petalsAwarded, amountRefunded, order.amountTotal);
      // An open or lost dispute holds every petal of the order; a won one gives back all but the
      // refunds' share.
      const held = order.disputeStatus === 'open' || order.disputeStatus === 'lost';
      const target = held ? order.petalsAwarded : refundShare;
      const already = order.petalsDeducted ?? 0;
      if (target === already) return settled();
      const metadata = { orderId, amountRefunded, amountCents: order.amountTotal, currency: order.currency };
      const entry: LedgerEntry =
        target < already
          ? {
              userId: order.userId,
              entryId: ledgerEntryIds.disputeRelease(orderId, order.disputeId ?? 'unknown'),
              type: 'adjust',
              amount: already - target,
              reason: 'Dispute won: petals restored',
              source: 'dispute',
              description: `Petals restored for order ${orderId}`,
              metadata: { ...metadata, disputeId: order.disputeId ?? '' },
              createdAt: now,
            }
          : held && target > refundShare
            ? {
                userId: order.userId,
                entryId: ledgerEntryIds.disputeHold(orderId, order.disputeId ?? 'unknown'),
                type: 'adjust',
                amount: -(target - already),
                reason: 'Dispute hold',
                source: 'dispute',
                description: `Petals held while order ${orderId} is disputed`,
                metadata: { ...metadata, disputeId: order.disputeId ?? '' },
                createdAt: now,
              }
            : {
                userId: order.userId,
                entryId: ledgerEntryIds.refund(orderId, amountRefunded),
                type: 'adjust',
                amount: -(target - already),
                reason: 'Refund deduction',
                source: 'refund',
                description: `Refund deduction for order ${orderId}`,
                metadata,
                createdAt: now,
              };
      await deps.ledger.append(entry, {
        orderId,
        set: { petalsDeducted: target },
        condition: already === 0 ? 'attribute_not_exists(petalsDeducted) OR petalsDeducted = :already' : 'petalsDeducted = :already',
        values: { ':already': already },
      });
      written.push(entry.entryId);
      if (entry.amount < 0) petalsDeducted -= entry.amount;
    } catch (error) {
      if (!isTransactionConditionFailure(error)) throw error;
      // another execution settled first: read again and see what is left to do
    }
  }
  throw new TransientError(`petals for order ${orderId} did not settle in ${MAX_ROUNDS} rounds`);
}

/** A subscription invoice's petals, once per invoice. */
export async function awardInvoicePetals(
  deps: PetalsDeps,
  input: InvoicePaymentInput,
): Promise<{ userId: string; invoiceId: string; petals: number; written: boolean }> {
  const petals = petalsForAmount(input.amountPaid, input.currency, deps.rates);
  const entry: LedgerEntry = {
    userId: input.userId,
    entryId: ledgerEntryIds.invoice(input.invoiceId),
    type: 'purchase_bonus',
    amount: petals,
    reason: 'Subscription bonus',
    source: 'subscription',
    description: `Subscription bonus for invoice ${input.invoiceId}`,
    metadata: { invoiceId: input.invoiceId, subscriptionId: input.subscriptionId ?? '', amountCents: input.amountPaid, currency: input.currency },
    createdAt: (deps.now ?? (() => new Date()))().toISOString(),
  };
  try {
    await deps.ledger.append(entry);
    return { userId: input.userId, invoiceId: input.invoiceId, petals, written: petals !== 0 };
  } catch (error) {
    if (!isTransactionConditionFailure(error)) throw error;
    return { userId: input.userId, invoiceId: input.invoiceId, petals, written: false };
  }
}
