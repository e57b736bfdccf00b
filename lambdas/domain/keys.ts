/** Every key format of the single table, in one place. */
export const keys = {
  order: (orderId: string) => ({ pk: `ORDER#${orderId}`, sk: 'ORDER' }),
  petalBalance: (userId: string) => ({ pk: `USER#${userId}`, sk: 'PETALS' }),
  ledgerEntry: (userId: string, entryId: string) => ({ pk: `USER#${userId}`, sk: `LEDGER#${entryId}` }),
  cartLine: (userId: string, productId: string, variantId: string) => ({
    pk: `USER#${userId}`,
    sk: `CART#${productId}#${variantId}`,
  }),
  productMapping: (productId: string, variantId: string) => ({ pk: `PRODUCT#${productId}`, sk: `VARIANT#${variantId}` }),
  stripeEvent: (eventId: string) => ({ pk: `STRIPE_EVENT#${eventId}`, sk: 'EVENT' }),
  /** Printify's order id -> our order id, for Printify's webhooks */
  printifyOrder: (printifyOrderId: string) => ({ pk: `PRINTIFY_ORDER#${printifyOrderId}`, sk: 'ORDER' }),
  /** Outbox claim of one email, so that a retried task never sends it twice. */
  email: (orderOrSubject: string, emailId: string) => ({ pk: `ORDER#${orderOrSubject}`, sk: `EMAIL#${emailId}` }),
  /**
   * The Stripe reconciler's checkpoint: `createdGte`, the Unix second (Stripe's `created`) from
   * which its next scheduled run lists Stripe's events, and `updatedAt`.
   */
  stripeReconcilerCheckpoint: () => ({ pk: 'RECONCILER#stripe-events', sk: 'CHECKPOINT' }),
} as const;

/**
 * What Step Functions accepts as an execution name (1-80 characters, none of whitespace,
 * brackets, wildcards, punctuation that URLs or ARNs use, or control characters). A Stripe event
 * names its execution, so an event id outside this can never start one.
 */
export const EXECUTION_NAME = /^[^\s<>{}[\]?*"#%\\^|~`$&,;:/\u0000-\u001f\u007f-\u009f]{1,80}$/;

export const LEDGER_PREFIX = 'LEDGER#';
export const CART_PREFIX = 'CART#';

/** Deterministic ledger entry ids: the same business fact always produces the same entry. */
export const ledgerEntryIds = {
  purchase: (orderId: string) => `purchase#${orderId}`,
  refund: (orderId: string, amountRefunded: number) => `refund#${orderId}#${amountRefunded}`,
  invoice: (invoiceId: string) => `invoice#${invoiceId}`,
  disputeHold: (orderId: string, disputeId: string) => `dispute#${orderId}#${disputeId}`,
  disputeRelease: (orderId: string, disputeId: string) => `dispute-won#${orderId}#${disputeId}`,
} as const;

/** Sparse global secondary index: a charge or payment intent event finds its order. */
export const PAYMENT_INTENT_INDEX = 'byPaymentIntent';
