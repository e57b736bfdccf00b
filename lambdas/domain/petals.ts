import { wholeUnits } from './money';

/**
 * Petals per whole unit of each currency. One petal per whole US dollar is the shop's rule; other
 * currencies earn petals only when a rate is configured for them (PETAL_RATES, JSON), so that a
 * new currency never silently earns 100x the petals.
 */
export type PetalRates = Readonly<Record<string, number>>;

export const DEFAULT_PETAL_RATES: PetalRates = { usd: 1 };

export function parsePetalRates(json: string | undefined): PetalRates {
  if (!json) return DEFAULT_PETAL_RATES;
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch {
    throw new Error(`PETAL_RATES is not JSON: ${json}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new Error('PETAL_RATES must be a JSON object such as {"usd":1,"eur":1}');
  }
  const rates: Record<string, number> = {};
  for (const [currency, rate] of Object.entries(parsed)) {
    if (typeof rate !== 'number' || !Number.isFinite(rate) || rate < 0) {
      throw new Error(`PETAL_RATES.${currency} must be a non-negative number`);
    }
    rates[currency.toLowerCase()] = rate;
  }
  // Configuring another currency must not silently stop US dollars earning petals.
  return { ...DEFAULT_PETAL_RATES, ...rates };
}

/** Petals earned by a payment: $49.99 -> 49. */
export function petalsForAmount(amountMinor: number, currency: string, rates: PetalRates): number {
  const rate = rates[currency.toLowerCase()] ?? 0;
  if (amountMinor <= 0 || rate <= 0) return 0;
  // The epsilon keeps a product such as 90 × 0.7 (62.99999…) from losing a whole petal.
  return Math.floor(wholeUnits(amountMinor, currency) * rate + 1e-9);
}

/**
 * How many of the awarded petals a refund of `amountRefunded` (cumulative, as Stripe reports it)
 * takes back in total. Proportional, rounded down so that partial refunds never take more than their
 * share, and exactly `awarded` once the order is fully refunded.
 */
export function petalsToDeduct(awarded: number, amountRefunded: number, amountTotal: number): number {
  if (awarded <= 0 || amountRefunded <= 0) return 0;
  if (amountTotal <= 0 || amountRefunded >= amountTotal) return awarded;
  return Math.min(awarded, Math.floor((awarded * amountRefunded) / amountTotal));
}
