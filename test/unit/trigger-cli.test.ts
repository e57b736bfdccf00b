import { HANDLED_EVENT_TYPES, type HandledEventType } from '../../lambdas/domain/stripe-events';
import { sendForm } from '../../local/console/pages/send';
import { SCENARIOS } from '../../scripts/lib/trigger-scenarios';
import { parseTriggerArgs, USAGE } from '../../scripts/trigger';

describe('npm run trigger: its scenarios and its flags', () => {
  it('has a scenario for every handled event type, and its usage names each', () => {
    expect(Object.keys(SCENARIOS).sort()).toEqual([...HANDLED_EVENT_TYPES].sort());
    for (const type of HANDLED_EVENT_TYPES) expect(USAGE).toContain(`\n  ${type}\n      ${SCENARIOS[type].describe}\n`);
    // what keeps it so: a table keyed by HandledEventType that leaves one out does not compile
    // @ts-expect-error 'checkout.session.expired' and the others are missing
    const partial: Record<HandledEventType, string> = { 'checkout.session.completed': 'only one' };
    expect(partial).toBeDefined();
  });

  it("is what the console's send form offers: every type, with its scene", () => {
    const form = String(sendForm());
    const offered = [...form.matchAll(/<option title="[^"]+">([^<]+)<\/option>/g)].map((m) => m[1]);
    expect(offered).toEqual(HANDLED_EVENT_TYPES);
  });

  it('parses the flags', () => {
    expect(parseTriggerArgs(['charge.refunded', '--order', 'ord_1', '--amount', '500', '--json'])).toEqual({
      type: 'charge.refunded',
      rawAmount: '500',
      options: { order: 'ord_1', unmapped: false, unpaid: false, ship: false, deliver: false },
      json: true,
      help: false,
    });
    expect(parseTriggerArgs(['checkout.session.completed', '--unpaid', '--unmapped', '--ship', '--deliver'])).toMatchObject({
      options: { unmapped: true, unpaid: true, ship: true, deliver: true },
    });
    expect(parseTriggerArgs(['-h'])).toMatchObject({ help: true });
  });

  it('refuses in one line an unknown flag, a missing value and an extra argument', () => {
    expect(() => parseTriggerArgs(['charge.refunded', '--bogus'])).toThrow(/^unknown option '--bogus'$/);
    expect(() => parseTriggerArgs(['charge.refunded', '--order'])).toThrow(/^option '--order <id>' argument missing$/);
    expect(() => parseTriggerArgs(['charge.refunded', 'extra'])).toThrow(/too many arguments/);
  });
});
