import type { OrdersPort } from '../ports/orders';

/**
 * What the payment use cases (recordPayment, markPaymentFailed, recordRefund, cancelExpiredCheckout,
 * recordDispute) depend on: the orders port, and a clock (ISO times on the order; tests fix it).
 */
export interface FulfilmentDeps {
  orders: OrdersPort;
  now?: () => Date;
}

/** The deps' clock as ISO 8601 UTC. */
export const nowIso = (deps: { now?: (() => Date) | undefined }) => (deps.now ?? (() => new Date()))().toISOString();
