/**
 * Money arithmetic. Amounts are integers in the currency's minor unit exactly as Stripe sends them;
 * nothing here uses floating point on money except the final floor of whole units.
 */

// Stripe's zero-decimal currencies: amounts are already whole units (¥500 is 500).
const ZERO_DECIMAL = new Set([
  'bif',
  'clp',
  'djf',
  'gnf',
  'jpy',
  'kmf',
  'krw',
  'mga',
  'pyg',
  'rwf',
  'ugx',
  'vnd',
  'vuv',
  'xaf',
  'xof',
  'xpf',
]);
// Stripe's three-decimal currencies.
const THREE_DECIMAL = new Set(['bhd', 'jod', 'kwd', 'omr', 'tnd']);

export function minorUnitExponent(currency: string): number {
  const code = currency.toLowerCase();
  if (ZERO_DECIMAL.has(code)) return 0;
  if (THREE_DECIMAL.has(code)) return 3;
  return 2;
}

/** Whole major units in an amount (4999 usd -> 49; 500 jpy -> 500). */
export function wholeUnits(amountMinor: number, currency: string): number {
  return Math.floor(amountMinor / 10 ** minorUnitExponent(currency));
}

/** "$49.99", "¥500" — for emails. */
export function formatAmount(amountMinor: number, currency: string): string {
  const exponent = minorUnitExponent(currency);
  return new Intl.NumberFormat('en-US', {
    style: 'currency',
    currency: currency.toUpperCase(),
    minimumFractionDigits: exponent,
    maximumFractionDigits: exponent,
  }).format(amountMinor / 10 ** exponent);
}
