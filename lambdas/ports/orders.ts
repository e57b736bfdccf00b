import type { Order } from '../domain/order';
import type { OrderStatus } from '../domain/order-status';

/**
 * Attributes to set on an order: `undefined` leaves an attribute alone, `null` removes it. Amounts
 * in minor units, times ISO 8601 UTC.
 */
export type OrderChanges = Record<string, unknown>;

/** The result of a guarded status change: whether this call made it, and the order afterwards. */
export interface TransitionResult {
  transitioned: boolean;
  order: Order;
}

/** An extra condition on a transition: see OrdersPort.transition. */
export interface TransitionGuard {
  /** ISO 8601 UTC: move only if the order's `retriedAt` (an operator's retry) is absent or not after this time */
  notRetriedAfter?: string | undefined;
}

/** One Printify parcel as the order shows it (carrier, tracking, and when Printify shipped it, ISO). */
export interface ParcelFields {
  carrier?: string | undefined;
  trackingNumber?: string | undefined;
  trackingUrl?: string | undefined;
  shippedAt?: string | undefined;
}

/**
 * The orders (item pk ORDER#<orderId>, sk ORDER). Every method that names an order throws
 * OrderNotFoundError when there is none (the workflow retries it: the storefront's write may lag);
 * any other error is the store failing (retry). Status changes only through `transition`, which
 * the transition table in domain/order-status.ts guards, so duplicates and late events can never
 * move an order backwards.
 */
export interface OrdersPort {
  /** The order, read strongly consistent; undefined when there is none. */
  get(orderId: string): Promise<Order | undefined>;
  /** The order; OrderNotFoundError when there is none. */
  require(orderId: string): Promise<Order>;
  /**
   * The order whose payment is this Stripe payment intent (pi_…). Eventually consistent: a miss
   * right after the payment was recorded is retried by the caller.
   */
  findOrderIdByPaymentIntent(paymentIntentId: string): Promise<string | undefined>;
  /**
   * Moves the order to `to` with `changes`, atomically, only if the transition table allows it from
   * the order's status at that moment. Of concurrent callers exactly one transitions. With
   * `guard.notRetriedAfter` (ISO), the order moves only if an operator has not retried its
   * fulfilment after that time (its `retriedAt`, absent when never retried): a claim dated before
   * the retry (a late, redelivered Printify event) does not undo it.
   */
  transition(orderId: string, to: OrderStatus, changes?: OrderChanges, guard?: TransitionGuard): Promise<TransitionResult>;
  /** Sets (or, with null, removes) attributes that are the caller's own to decide; returns the order after. */
  set(orderId: string, changes: OrderChanges): Promise<Order>;
  /**
   * Sets `changes` only if each attribute of `expected` still has the given value (a string or a
   * number; `undefined`: the attribute is absent), in one conditional write: a read-decide-write
   * whose decision is a pure function of what was read (refunds, disputes) is safe against a
   * concurrent writer. Returns the order after, or undefined when an expected value no longer held
   * (read again and decide again). OrderNotFoundError when there is no order.
   */
  compareAndSet(orderId: string, expected: Record<string, string | number | undefined>, changes: OrderChanges): Promise<Order | undefined>;
  /** Sets only the attributes the order does not have yet (never overwrites). */
  fillMissing(orderId: string, changes: OrderChanges): Promise<void>;
  /**
   * Keeps Printify's own order status (order:updated) if `at` (ISO) is not older than the one the
   * order shows: Printify's events arrive in any order. Returns whether it was recorded.
   */
  recordPrintifyStatusIfNewer(orderId: string, printifyStatus: string, at: string): Promise<boolean>;
  /**
   * Shows this parcel on the order if it shipped no earlier than the one shown (a parcel without a
   * time always shows). Returns the order after, or undefined when the shown one is newer.
   */
  showNewerParcel(orderId: string, parcel: ParcelFields): Promise<Order | undefined>;
}
