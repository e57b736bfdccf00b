/**
 * Refund arithmetic keyed on Stripe's Refund objects (https://docs.stripe.com/api/refunds/object):
 * each refund has an `id`, an `amount` (minor units) and a `status` in pending, requires_action,
 * succeeded, failed, canceled. A refund can fail or be canceled after it succeeded
 * (https://docs.stripe.com/refunds#failed-refunds), so the refunded amount goes down as well as up.
 * Pure.
 */
export const REFUND_STATUSES = ['pending', 'requires_action', 'succeeded', 'failed', 'canceled'] as const;

/** One refund as the order records it (the order's `refunds` map, by refund id). */
export interface RefundRecord {
  /** minor units */
  amount: number;
  /** Stripe's status; an unknown future one is kept as sent and counts as not applied */
  status: string;
  /** `created` of the event that said so, Unix seconds */
  at: number;
  /** the refund's own `created` (when it was made), Unix seconds, when an event said */
  created?: number;
}

/** The order's refunds by Stripe refund id (re_…); CHARGE_TOTAL holds the charge's cumulative amount_refunded when Stripe sent no refund list. */
export type RefundLedger = Record<string, RefundRecord>;

/**
 * The key under which the order's charge's cumulative `amount_refunded` is kept when an event lists
 * no refunds. One per order: a payment intent has at most one succeeded charge
 * (https://docs.stripe.com/api/payment_intents/object#payment_intent_object-latest_charge).
 */
export const CHARGE_TOTAL = 'charge:total';

/** Statuses in which a refund's money is (or is about to be) back with the customer: counted as refunded. */
export function refundCounts(status: string): boolean {
  return status === 'succeeded' || status === 'pending' || status === 'requires_action';
}

/** Whether a refund status is final and gives the money back to the shop: failed, canceled. */
export function refundReversed(status: string): boolean {
  return status === 'failed' || status === 'canceled';
}

/** Order of a refund's statuses through its life: a later status never yields to an earlier one. */
function rank(status: string): number {
  if (refundReversed(status)) return 3;
  if (status === 'succeeded') return 2;
  if (status === 'pending' || status === 'requires_action') return 1;
  return 0;
}

/**
 * The refund ledger after `incoming` (from one event): per refund id, a status further along its
 * life wins (pending < succeeded < failed/canceled), and of the same stage the newer event (`at`).
 * A charge's cumulative entry (`charge:…`) is replaced by a newer one. Order-independent: the same
 * set of events gives the same ledger in any order of arrival.
 */
export function mergeRefunds(current: RefundLedger | undefined, incoming: RefundLedger): RefundLedger {
  const merged: RefundLedger = { ...(current ?? {}) };
  for (const [id, record] of Object.entries(incoming)) {
    const shown = merged[id];
    if (!shown) {
      merged[id] = record;
      continue;
    }
    const newer = record.at > shown.at || (record.at === shown.at && record.amount >= shown.amount);
    const later = id.startsWith('charge:')
      ? newer
      : rank(record.status) > rank(shown.status) || (rank(record.status) === rank(shown.status) && newer);
    const created = record.created ?? shown.created;
    if (later) merged[id] = created === undefined ? record : { ...record, created };
    else if (shown.created === undefined && record.created !== undefined) merged[id] = { ...shown, created: record.created };
  }
  return merged;
}

/**
 * What has been refunded (minor units): the sum of the refunds that count (succeeded, pending,
 * requires_action). When an event gave only a charge's cumulative `amount_refunded` (API versions
 * from 2022-11-15 no longer list `charge.refunds`), that figure counts instead, less the refunds it
 * included that failed or were canceled since, and never less than the sum of the refunds known to
 * count.
 *
 * A failure is taken off a reported figure when it happened at or after the figure was reported
 * (`r.at >= total.at`: Stripe's `created` is in whole seconds, and a refund fails after the figure
 * that counted it, so a failure in the same second as the figure is one the figure did not yet
 * reflect) and the refund existed when the figure was reported (its own `created`, when known, not
 * after it: a figure from before the refund never counted it). The one sequence this can take off
 * twice (a figure in the very second of the failure that already reflects it, from another refund
 * made in that second) is floored by the refunds known to count, which include that other refund
 * once its own event has come.
 */
export function amountRefundedOf(ledger: RefundLedger | undefined): number {
  const entries = Object.entries(ledger ?? {});
  const refunds = entries.filter(([id]) => !id.startsWith('charge:')).map(([, r]) => r);
  const counted = refunds.filter((r) => refundCounts(r.status)).reduce((sum, r) => sum + r.amount, 0);
  let fromCharges = 0;
  for (const [, total] of entries.filter(([id]) => id.startsWith('charge:'))) {
    const reversedSince = refunds
      .filter((r) => refundReversed(r.status) && r.at >= total.at && (r.created === undefined || r.created <= total.at))
      .reduce((sum, r) => sum + r.amount, 0);
    fromCharges += Math.max(0, total.amount - reversedSince);
  }
  return Math.max(counted, fromCharges);
}

/** What a refund is measured against: what the order's payment charged, minor units of `currency` (lowercase). */
export interface RefundBasis {
  amount: number;
  currency: string;
}

/** The order's facts that say what its payment charged. */
export interface ChargedFacts {
  amountTotal: number;
  currency: string;
  chargedAmount?: number | undefined;
  chargedCurrency?: string | undefined;
  heldPayment?: { amountTotal?: number | undefined; currency?: string | undefined } | undefined;
  holdResolution?: { action: string } | undefined;
}

/** What a refund event claims, in the charge's currency: its Refund objects, the charge's cumulative amount_refunded and amount. */
export interface RefundClaim {
  currency: string;
  /** the charge's amount (charge.refunded) */
  amount?: number | undefined;
  amountRefunded?: number | undefined;
  refunds?: readonly { amount: number }[] | undefined;
}

/**
 * Checks a refund event's claim against what the order's payment charged (the order is the
 * source of truth). Refunds are in the charge's currency: with Adaptive Pricing the customer's
 * presentment currency (`chargedCurrency`, recorded at payment), not the order's. The basis is the
 * recorded charge when the claim is in its currency; else a resolved hold's payment (what was
 * charged then); else the order's own total when the claim is in the order's currency; else, for
 * an order paid before charges were recorded, the charge the event itself names. `impossible` (the
 * caller touches nothing and flags it): a currency that is neither the charged one nor the
 * order's, a refund or a cumulative amount above what was charged, or a charge.refunded whose
 * amount_refunded is above its own amount. Pure.
 */
export function checkRefundClaim(
  order: ChargedFacts,
  claim: RefundClaim,
): { kind: 'ok'; basis: RefundBasis } | { kind: 'impossible'; detail: string } {
  const currency = claim.currency.toLowerCase();
  const recorded =
    order.chargedAmount !== undefined && order.chargedCurrency
      ? { amount: order.chargedAmount, currency: order.chargedCurrency }
      : undefined;
  const held =
    order.holdResolution && order.heldPayment?.amountTotal !== undefined && order.heldPayment.currency
      ? { amount: order.heldPayment.amountTotal, currency: order.heldPayment.currency.toLowerCase() }
      : undefined;
  let basis: RefundBasis | undefined;
  if (recorded?.currency === currency) basis = recorded;
  else if (held?.currency === currency) basis = held;
  else if (currency === order.currency.toLowerCase()) basis = { amount: order.amountTotal, currency };
  else if (!recorded && claim.amount !== undefined) basis = { amount: claim.amount, currency };
  if (!basis) {
    return {
      kind: 'impossible',
      detail: `a refund in ${currency}: the order is in ${order.currency} and was charged in ${recorded?.currency ?? order.currency}`,
    };
  }
  const charged = `${basis.amount} ${basis.currency}`;
  if (claim.amount !== undefined && claim.amountRefunded !== undefined && claim.amountRefunded > claim.amount)
    return { kind: 'impossible', detail: `amount_refunded ${claim.amountRefunded} is above the charge's own amount ${claim.amount}` };
  if (claim.amountRefunded !== undefined && claim.amountRefunded > basis.amount)
    return { kind: 'impossible', detail: `amount_refunded ${claim.amountRefunded} ${currency} is above what was charged (${charged})` };
  const above = (claim.refunds ?? []).find((r) => r.amount > basis.amount);
  if (above) return { kind: 'impossible', detail: `a refund of ${above.amount} ${currency} is above what was charged (${charged})` };
  return { kind: 'ok', basis };
}

/**
 * What the order shows as refunded (its own currency's minor units) for `refunded` of the charge
 * (the basis's currency): at most the order's total; in the order's currency, what was refunded
 * (never more than was charged); in another currency, the refunded fraction of the order's total
 * (rounded down; all of it once the whole charge is refunded). Pure.
 */
export function shownRefund(order: Pick<ChargedFacts, 'amountTotal' | 'currency'>, refunded: number, basis: RefundBasis): number {
  const capped = Math.min(refunded, basis.amount);
  if (basis.currency === order.currency.toLowerCase()) return Math.min(capped, order.amountTotal);
  if (basis.amount <= 0 || capped >= basis.amount) return order.amountTotal;
  return Math.min(order.amountTotal, Math.floor((capped * order.amountTotal) / basis.amount));
}
