import { PrintifyApiError } from '../adapters/printify-client';
import { TransientError } from '../domain/errors';
import type { Signal } from '../domain/signals';
import type { PrintifyApi } from '../ports/printify';
import { nowIso, type FulfilmentDeps } from './deps';

/** What cancelRefundedPrint depends on: the orders, Printify's API (getOrder, cancelOrder) and a clock. */
export interface PrintifyCancelDeps extends FulfilmentDeps {
  printify: Pick<PrintifyApi, 'getOrder' | 'cancelOrder'>;
}

/**
 * What cancelRefundedPrint did:
 * - `not-refunded`: the order is not (or no longer) refunded: nothing to cancel;
 * - `nothing-printed`: no Printify order was created;
 * - `canceled`: this call canceled the Printify order; `already-canceled`: it was canceled before;
 * - `in-production`: Printify had already sent it to production (refunded-after-production).
 */
export type PrintCancelOutcome = {
  outcome: 'not-refunded' | 'nothing-printed' | 'canceled' | 'already-canceled' | 'in-production';
  printifyStatus?: string;
  signals: Signal[];
};

/** Printify cancels only orders still in these statuses (README "Printify"; POST …/orders/{id}/cancel.json). */
const CANCELABLE = ['on-hold', 'payment-not-received'];

/**
 * A fully refunded order's print: canceled while Printify has not sent it to production (POST
 * /v1/shops/{shop_id}/orders/{order_id}/cancel.json, https://developers.printify.com/#cancel-an-order,
 * which Printify allows only for `on-hold` and `payment-not-received` orders); otherwise recorded
 * for the operator (refunded-after-production: RefundedAfterProduction). Decided from the order
 * (the source of truth: it must be `refunded` now) and from Printify's own status, read first.
 * Idempotent: a retry finds the order canceled. Records `printifyCanceledAt` on the order, which a
 * refund that fails later reads (recordRefund: the order then needs a new Printify order).
 *
 * Throws OrderNotFoundError, TransientError for Printify's 429/5xx/timeouts (the task retries), and
 * the store's errors.
 */
export async function cancelRefundedPrint(deps: PrintifyCancelDeps, orderId: string): Promise<PrintCancelOutcome> {
  const order = await deps.orders.require(orderId);
  if (order.status !== 'refunded') return { outcome: 'not-refunded', signals: [] };
  if (!order.printifyOrderId) return { outcome: 'nothing-printed', signals: [] };
  try {
    const printed = await deps.printify.getOrder(order.printifyOrderId);
    if (printed.status === 'canceled') {
      await deps.orders.fillMissing(orderId, { printifyCanceledAt: nowIso(deps) });
      return { outcome: 'already-canceled', printifyStatus: printed.status, signals: [] };
    }
    if (!CANCELABLE.includes(printed.status)) return afterProduction(printed.status);
    await deps.printify.cancelOrder(order.printifyOrderId);
    await deps.orders.set(orderId, { printifyCanceledAt: nowIso(deps), printifyStatus: 'canceled' });
    return { outcome: 'canceled', printifyStatus: 'canceled', signals: [] };
  } catch (error) {
    if (error instanceof PrintifyApiError && !error.retryable && error.status === 400) {
      // sent to production between our read and the cancel: Printify refuses (8502)
      return afterProduction('sent to production');
    }
    if (error instanceof PrintifyApiError && error.retryable) throw new TransientError(error.message);
    throw error;
  }
}

function afterProduction(printifyStatus: string): PrintCancelOutcome {
  return { outcome: 'in-production', printifyStatus, signals: [{ kind: 'refunded-after-production' }] };
}
