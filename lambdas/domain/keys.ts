/** Every key format of the single table, in one place. */
export const keys = {
  order: (orderId: string) => ({ pk: `ORDER#${orderId}`, sk: 'ORDER' }),
  /** A paid subscription invoice: its user, amount, payment intent, petals and refunds (domain/invoice.ts). */
  invoice: (invoiceId: string) => ({ pk: `INVOICE#${invoiceId}`, sk: 'INVOICE' }),
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
  /** One Printify webhook event applied to the order (what Printify said, when), for operators. */
  printifyEvent: (orderId: string, eventId: string) => ({ pk: `ORDER#${orderId}`, sk: `${PRINTIFY_EVENT_PREFIX}${eventId}` }),
  /** Outbox claim of one email, so that a retried task never sends it twice. */
  email: (orderOrSubject: string, emailId: string) => ({ pk: `ORDER#${orderOrSubject}`, sk: `EMAIL#${emailId}` }),
  /**
   * The Stripe reconciler's checkpoint: `createdGte`, the Unix second (Stripe's `created`) from
   * which its next scheduled run lists Stripe's events, and `updatedAt`.
   */
  stripeReconcilerCheckpoint: () => ({ pk: 'RECONCILER#stripe-events', sk: 'CHECKPOINT' }),
  /** The next free slot of one paced quota (`printify`, `ses`): lambdas/ports/rate-slots.ts. */
  quota: (name: string) => ({ pk: `QUOTA#${name}`, sk: 'QUOTA' }),
} as const;

/** `key` without `prefix`; undefined when it does not start with it (not an item of that kind). */
function after(prefix: string, key: unknown): string | undefined {
  return typeof key === 'string' && key.startsWith(prefix) && key.length > prefix.length ? key.slice(prefix.length) : undefined;
}

/**
 * The ids an item's keys name, read back from `pk`/`sk` (the inverse of `keys`): an item is
 * identified by its keys, so an item written with only the attributes the README's data model
 * lists is still found and understood. Each returns undefined for a key of another kind.
 */
export const idsOfKeys = {
  /** pk `ORDER#<orderId>` */
  order: (pk: unknown): string | undefined => after('ORDER#', pk),
  /** pk `INVOICE#<invoiceId>` */
  invoice: (pk: unknown): string | undefined => after('INVOICE#', pk),
  /** pk `USER#<userId>` */
  user: (pk: unknown): string | undefined => after('USER#', pk),
  /** pk `PRODUCT#<productId>`, sk `VARIANT#<variantId>` */
  productMapping: (pk: unknown, sk: unknown): { productId: string; variantId: string } | undefined => {
    const productId = after('PRODUCT#', pk);
    const variantId = after('VARIANT#', sk);
    return productId !== undefined && variantId !== undefined ? { productId, variantId } : undefined;
  },
  /**
   * sk `CART#<productId>#<variantId>`: split at the last `#` (a product id may contain `#`, a
   * variant id never does in this shop). Callers prefer the line's own attributes when it has them.
   */
  cartLine: (sk: unknown): { productId: string; variantId: string } | undefined => {
    const rest = after(CART_PREFIX, sk);
    const split = rest?.lastIndexOf('#') ?? -1;
    if (rest === undefined || split <= 0 || split === rest.length - 1) return undefined;
    return { productId: rest.slice(0, split), variantId: rest.slice(split + 1) };
  },
} as const;

/**
 * What Step Functions accepts as an execution name (1-80 characters, none of whitespace,
 * brackets, wildcards, punctuation that URLs or ARNs use, or control characters). A Stripe event
 * names its execution, so an event id outside this can never start one.
 */
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are among what AWS refuses in a name
export const EXECUTION_NAME = /^[^\s<>{}[\]?*"#%\\^|~`$&,;:/\u0000-\u001f\u007f-\u009f]{1,80}$/;

/**
 * The longest id (order, user, product, variant, tracking number …) this pipeline puts into a key.
 * DynamoDB allows 2,048 bytes of partition key and 1,024 of sort key (AWS's DynamoDB quotas); a
 * key joins a prefix and up to two ids, so 255 characters of UTF-8 (at most 1,020 bytes) always fit.
 */
export const MAX_KEY_ID_LENGTH = 255;

/**
 * Whether `value` can be part of a key: 1-255 characters, no control characters (they cannot be
 * typed by an operator, and CR/LF would split log lines). An id that fails this is refused where
 * it enters the system (400 to Stripe; acknowledged and logged for Printify), because no retry can
 * ever write it.
 */
export function isKeyId(value: string): boolean {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are exactly what is refused
  return value.length >= 1 && value.length <= MAX_KEY_ID_LENGTH && !/[\u0000-\u001f\u007f-\u009f]/.test(value);
}

export const LEDGER_PREFIX = 'LEDGER#';
export const CART_PREFIX = 'CART#';
export const EMAIL_PREFIX = 'EMAIL#';
export const PRINTIFY_EVENT_PREFIX = 'PRINTIFY_EVENT#';

/** Deterministic ledger entry ids: the same business fact always produces the same entry. */
export const ledgerEntryIds = {
  purchase: (orderId: string) => `purchase#${orderId}`,
  refund: (orderId: string, amountRefunded: number) => `refund#${orderId}#${amountRefunded}`,
  /** petals given back because a counted refund failed or was canceled (what is refunded now, minor units) */
  refundRestore: (orderId: string, amountRefunded: number) => `refund-restored#${orderId}#${amountRefunded}`,
  /**
   * The same movement made again later (a refund refunded again after it failed): the base id with
   * `#2`, `#3` … The order's petal counter guards every write, so the n-th repeat is a new fact.
   */
  repeated: (entryId: string, n: number) => (n > 1 ? `${entryId}#${n}` : entryId),
  invoice: (invoiceId: string) => `invoice#${invoiceId}`,
  /** petals of a subscription invoice taken back for its refunds (what is refunded now, minor units) */
  invoiceRefund: (invoiceId: string, amountRefunded: number) => `invoice-refund#${invoiceId}#${amountRefunded}`,
  /** petals of a subscription invoice given back because a counted refund failed or was canceled */
  invoiceRefundRestore: (invoiceId: string, amountRefunded: number) => `invoice-refund-restored#${invoiceId}#${amountRefunded}`,
  /** a subscription invoice's petals held while its charge is disputed, and given back when the dispute is won */
  invoiceDisputeHold: (invoiceId: string, disputeId: string) => `invoice-dispute#${invoiceId}#${disputeId}`,
  invoiceDisputeRelease: (invoiceId: string, disputeId: string) => `invoice-dispute-won#${invoiceId}#${disputeId}`,
  disputeHold: (orderId: string, disputeId: string) => `dispute#${orderId}#${disputeId}`,
  disputeRelease: (orderId: string, disputeId: string) => `dispute-won#${orderId}#${disputeId}`,
} as const;

/**
 * The facts that identify one customer email: the template, and for the emails that may be sent
 * more than once per order, what makes each one distinct (the failed payment's Stripe event, the
 * cumulative refunded amount in minor units, the parcel's tracking number).
 */
export type EmailIdentity =
  | { template: 'order-confirmation' }
  | { template: 'payment-failed'; eventId: string }
  | { template: 'refund'; amountRefunded: number; emailKey?: string | undefined }
  | { template: 'refund-failed'; emailKey: string }
  | { template: 'shipping'; trackingNumber: string };

/**
 * The outbox id of an email (the sort key's `EMAIL#<id>`): the same email always has the same id,
 * so a retried or duplicated task finds its claim and never sends it twice.
 */
export function emailOutboxId(email: EmailIdentity): string {
  switch (email.template) {
    case 'order-confirmation':
      return 'order-confirmation';
    case 'payment-failed':
      return `payment-failed#${email.eventId}`;
    case 'refund':
      return `refund#${email.emailKey ?? email.amountRefunded}`;
    case 'refund-failed':
      return `refund-failed#${email.emailKey}`;
    case 'shipping':
      return `shipping#${email.trackingNumber}`;
  }
}

/** Sparse global secondary index: a charge or payment intent event finds its order. */
export const PAYMENT_INTENT_INDEX = 'byPaymentIntent';
