import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { RETRY_POLICIES, retryDelays, retryWaits, type RetryPolicy } from '../../lambdas/domain/retry-policy';
import { HANDLED_EVENT_TYPES } from '../../lambdas/domain/stripe-events';

/** The README's event table is the operator's reference: it must name every event the router handles. */
test('the README lists every handled Stripe event in its event table', () => {
  const readme = readFileSync(path.join(__dirname, '..', '..', 'README.md'), 'utf8');
  const table = readme.slice(readme.indexOf('### Events'));
  for (const type of HANDLED_EVENT_TYPES) expect({ type, listed: table.includes(`| \`${type}\` |`) }).toEqual({ type, listed: true });
});

/** "122 s" under three minutes, "15.3 min" above: as the README's retry table writes waits. */
const wait = (seconds: number) => (seconds < 180 ? `${seconds} s` : `${Math.round(seconds / 6) / 10} min`);

/** The README's retry waits are derived from the one retry table, never typed by hand. */
test('the README states every retry policy with its delays, typical and maximum total wait', () => {
  const readme = readFileSync(path.join(__dirname, '..', '..', 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('### Retries and timeouts'));
  for (const [errorType, policy] of Object.entries(RETRY_POLICIES) as [string, RetryPolicy][]) {
    const { typical, maximum } = retryWaits(policy);
    const row = `| \`${errorType}\` | ${policy.purpose} | ${retryDelays(policy).join(', ')} | ${wait(typical)} | ${wait(maximum)} |`;
    expect({ errorType, listed: section.includes(row) }).toEqual({ errorType, listed: true });
  }
});

test('full jitter: the typical wait is half the maximum, and a delay never exceeds the cap', () => {
  const policy: RetryPolicy = { purpose: 'test', intervalSeconds: 10, maxAttempts: 4, backoffRate: 3, maxDelaySeconds: 100 };
  expect(retryDelays(policy)).toEqual([10, 30, 90, 100]);
  expect(retryWaits(policy)).toEqual({ typical: 115, maximum: 230 });
});
