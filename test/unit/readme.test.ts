import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { HANDLED_EVENT_TYPES } from '../../lambdas/domain/stripe-events';

/** The README's event table is the operator's reference: it must name every event the router handles. */
test('the README lists every handled Stripe event in its event table', () => {
  const readme = readFileSync(path.join(__dirname, '..', '..', 'README.md'), 'utf8');
  const table = readme.slice(readme.indexOf('### Events'));
  for (const type of HANDLED_EVENT_TYPES) expect({ type, listed: table.includes(`| \`${type}\` |`) }).toEqual({ type, listed: true });
});
