import fc from 'fast-check';
import { formatAmount, minorUnitExponent, wholeUnits } from '../../lambdas/domain/money';
import { DEFAULT_PETAL_RATES, parsePetalRates, petalsForAmount, petalsToDeduct } from '../../lambdas/domain/petals';

// Intl puts a no-break space between a currency code and the number ("KWD 12.345").
const nbsp = (s: string) => s.replace(/ /g, '\u00a0');

describe('currency minor units', () => {
  it.each([
    ['usd', 2],
    ['USD', 2],
    ['eur', 2],
    ['gbp', 2],
    ['jpy', 0],
    ['JPY', 0],
    ['krw', 0],
    ['clp', 0],
    ['vnd', 0],
    ['kwd', 3],
    ['KWD', 3],
    ['bhd', 3],
    ['jod', 3],
    ['omr', 3],
    ['tnd', 3],
  ])('%s has %i decimals', (currency, exponent) => {
    expect(minorUnitExponent(currency)).toBe(exponent);
  });

  it.each([
    [4999, 'usd', 49],
    [5000, 'usd', 50],
    [99, 'usd', 0],
    [0, 'usd', 0],
    [500, 'jpy', 500],
    [12000, 'krw', 12000],
    [12345, 'kwd', 12],
    [999, 'bhd', 0],
    [1000, 'bhd', 1],
  ])('wholeUnits(%i %s) = %i', (amount, currency, units) => {
    expect(wholeUnits(amount, currency)).toBe(units);
  });
});

describe('formatAmount', () => {
  it.each([
    [4999, 'usd', '$49.99'],
    [5, 'usd', '$0.05'],
    [100000, 'usd', '$1,000.00'],
    [4999, 'USD', '$49.99'],
    [1050, 'eur', '€10.50'],
    [500, 'jpy', '¥500'],
    [1000, 'krw', '₩1,000'],
    [12345, 'kwd', nbsp('KWD 12.345')],
    [1500, 'bhd', nbsp('BHD 1.500')],
  ])('%i %s -> %s', (amount, currency, text) => {
    expect(formatAmount(amount, currency)).toBe(text);
  });

  it('never shows a fraction for a zero-decimal currency, nor drops one for a three-decimal one', () => {
    expect(formatAmount(1999, 'jpy')).not.toMatch(/\./);
    expect(formatAmount(1, 'kwd')).toBe(nbsp('KWD 0.001'));
  });
});

describe('petalsForAmount', () => {
  it('gives one petal per whole US dollar, rounded down', () => {
    expect(petalsForAmount(4999, 'usd', DEFAULT_PETAL_RATES)).toBe(49);
    expect(petalsForAmount(99, 'usd', DEFAULT_PETAL_RATES)).toBe(0);
    expect(petalsForAmount(100, 'usd', DEFAULT_PETAL_RATES)).toBe(1);
    expect(petalsForAmount(5000, 'usd', DEFAULT_PETAL_RATES)).toBe(50);
    expect(petalsForAmount(4999, 'USD', DEFAULT_PETAL_RATES)).toBe(49);
  });

  it('gives nothing for a currency without a configured rate (never 100x by accident)', () => {
    expect(petalsForAmount(5000, 'jpy', DEFAULT_PETAL_RATES)).toBe(0);
    expect(petalsForAmount(5000, 'eur', DEFAULT_PETAL_RATES)).toBe(0);
    expect(petalsForAmount(5000, 'xyz', DEFAULT_PETAL_RATES)).toBe(0);
  });

  it('uses a configured rate on whole units of a zero-decimal currency', () => {
    const rates = parsePetalRates('{"usd":1,"jpy":0.01}');
    expect(petalsForAmount(5000, 'jpy', rates)).toBe(50); // ¥5,000 at 1 petal per ¥100
    expect(petalsForAmount(199, 'jpy', rates)).toBe(1); // rounded down
    expect(petalsForAmount(99, 'jpy', rates)).toBe(0);
    expect(petalsForAmount(5000, 'JPY', rates)).toBe(50);
  });

  it('uses whole units of a three-decimal currency', () => {
    expect(petalsForAmount(12345, 'kwd', { kwd: 3 })).toBe(36); // 12 whole dinars x 3
  });

  it('gives nothing for a zero or negative amount or a zero rate', () => {
    expect(petalsForAmount(0, 'usd', DEFAULT_PETAL_RATES)).toBe(0);
    expect(petalsForAmount(-4999, 'usd', DEFAULT_PETAL_RATES)).toBe(0);
    expect(petalsForAmount(4999, 'usd', { usd: 0 })).toBe(0);
  });

  it('is exact for a decimal rate (EUR 90.00 at 0.7 petals/unit = 63; JPY 3000 at 0.009 = 27)', () => {
    expect(petalsForAmount(9000, 'eur', { eur: 0.7 })).toBe(63);
    expect(petalsForAmount(3000, 'jpy', { jpy: 0.009 })).toBe(27);
  });
});

describe('parsePetalRates', () => {
  it('defaults to one petal per US dollar when unset or empty', () => {
    expect(parsePetalRates(undefined)).toEqual({ usd: 1 });
    expect(parsePetalRates('')).toEqual({ usd: 1 });
  });

  it('parses an object of non-negative rates and lowercases the currency codes', () => {
    expect(parsePetalRates('{"USD":1,"Jpy":0.01,"eur":0}')).toEqual({ usd: 1, jpy: 0.01, eur: 0 });
  });

  it('adds to the default: configuring another currency keeps US dollars earning', () => {
    const rates = parsePetalRates('{"eur":1}');
    expect(rates).toEqual({ usd: 1, eur: 1 });
    expect(petalsForAmount(4999, 'usd', rates)).toBe(49);
    expect(petalsForAmount(4999, 'usd', parsePetalRates('{"usd":0}'))).toBe(0);
  });

  it.each(['[]', '[{"usd":1}]', 'null', '1', '"usd"', 'true'])('rejects %s: not an object', (json) => {
    expect(() => parsePetalRates(json)).toThrow('PETAL_RATES must be a JSON object such as {"usd":1,"eur":1}');
  });

  it.each([
    ['{"usd":"1"}', 'PETAL_RATES.usd must be a non-negative number'],
    ['{"usd":-1}', 'PETAL_RATES.usd must be a non-negative number'],
    ['{"usd":1,"jpy":null}', 'PETAL_RATES.jpy must be a non-negative number'],
    ['{"eur":{"rate":1}}', 'PETAL_RATES.eur must be a non-negative number'],
    ['{"usd":1e400}', 'PETAL_RATES.usd must be a non-negative number'], // Infinity
  ])('rejects %s naming the bad entry', (json, message) => {
    expect(() => parsePetalRates(json)).toThrow(message);
  });

  it('rejects text that is not JSON', () => {
    expect(() => parsePetalRates('{usd:1}')).toThrow(/PETAL_RATES is not JSON/);
    expect(() => parsePetalRates('usd=1')).toThrow();
  });
});

describe('petalsToDeduct', () => {
  it('deducts nothing before any refund', () => {
    expect(petalsToDeduct(49, 0, 4999)).toBe(0);
  });

  it('deducts the refunded share, rounded down', () => {
    expect(petalsToDeduct(49, 2500, 4999)).toBe(24); // 24.50...
    expect(petalsToDeduct(49, 1, 4999)).toBe(0);
    expect(petalsToDeduct(100, 5000, 10000)).toBe(50);
    expect(petalsToDeduct(49, 4998, 4999)).toBe(48);
  });

  it('deducts exactly what was awarded on a full refund', () => {
    expect(petalsToDeduct(49, 4999, 4999)).toBe(49);
    expect(petalsToDeduct(1, 100, 100)).toBe(1);
  });

  it('never deducts more than was awarded, even if more than the total is reported refunded', () => {
    expect(petalsToDeduct(49, 10_000, 4999)).toBe(49);
    expect(petalsToDeduct(49, Number.MAX_SAFE_INTEGER, 4999)).toBe(49);
  });

  it('deducts nothing when nothing (or a negative amount) was awarded', () => {
    expect(petalsToDeduct(0, 4999, 4999)).toBe(0);
    expect(petalsToDeduct(-5, 4999, 4999)).toBe(0);
    expect(petalsToDeduct(49, -100, 4999)).toBe(0);
  });

  it('deducts everything awarded when the order total is unknown (0)', () => {
    expect(petalsToDeduct(49, 100, 0)).toBe(49);
  });

  it('takes exactly the award over cumulative partial refunds that end in a full refund', () => {
    const cumulative = [1000, 1001, 2500, 4000, 4999];
    const totals = cumulative.map((refunded) => petalsToDeduct(49, refunded, 4999));
    expect(totals).toEqual([9, 9, 24, 39, 49]);
    const increments = totals.map((total, i) => total - (i === 0 ? 0 : totals[i - 1]!));
    expect(increments.every((d) => d >= 0)).toBe(true);
    expect(increments.reduce((a, b) => a + b, 0)).toBe(49);
  });

  it('property: increments over any cumulative refunds ending at the total are >= 0 and sum to exactly the award', () => {
    const scenario = fc
      .tuple(fc.integer({ min: 0, max: 1_000_000 }), fc.integer({ min: 1, max: 100_000_000 }))
      .chain(([awarded, amountTotal]) =>
        fc.tuple(fc.constant(awarded), fc.constant(amountTotal), fc.array(fc.integer({ min: 0, max: amountTotal }), { maxLength: 25 })),
      );
    fc.assert(
      fc.property(scenario, ([awarded, amountTotal, partials]) => {
        const cumulative = [...partials].sort((a, b) => a - b).concat(amountTotal);
        let previous = 0;
        let sum = 0;
        for (const refunded of cumulative) {
          const total = petalsToDeduct(awarded, refunded, amountTotal);
          const increment = total - previous;
          if (increment < 0) return false;
          sum += increment;
          previous = total;
        }
        return sum === awarded;
      }),
      { numRuns: 500 },
    );
  });

  it('property: a partial refund never takes more than its proportional share', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 1_000_000 }),
        fc.integer({ min: 2, max: 100_000_000 }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        (awarded, amountTotal, fraction) => {
          const refunded = Math.min(amountTotal - 1, Math.floor(amountTotal * fraction));
          const deducted = petalsToDeduct(awarded, refunded, amountTotal);
          return deducted >= 0 && deducted <= awarded && deducted * amountTotal <= awarded * refunded;
        },
      ),
      { numRuns: 500 },
    );
  });
});
