import { HANDLED_EVENT_TYPES } from '../../lambdas/domain/stripe-events';
import { sendForm } from '../../local/console/pages/send';
import type { Io } from '../../scripts/cli/framework';
import type { Target, TargetOptions } from '../../scripts/cli/target';
import { SCENARIOS } from '../../scripts/lib/trigger-scenarios';
import { runTrigger } from '../../scripts/trigger';

/** `npm run trigger` through the command framework, with the target faked (nothing is sent). */
async function trigger(argv: string[], target: Partial<Target> = {}) {
  const captured = { code: -1, out: '', err: '', resolved: [] as TargetOptions[] };
  const io: Io = { out: (t) => (captured.out += `${t}\n`), err: (t) => (captured.err += `${t}\n`) };
  captured.code = await runTrigger(argv, io, {
    env: {},
    resolve: async (options) => {
      captured.resolved.push(options);
      return { description: 'fake target', local: true, tableName: 't', printify: {}, close: () => undefined, ...target } as Target;
    },
  });
  return captured;
}

describe('npm run trigger: its scenarios and its flags', () => {
  it('has a scenario for every handled event type, and its --help names each with its scene', async () => {
    expect(Object.keys(SCENARIOS).sort()).toEqual([...HANDLED_EVENT_TYPES].sort());
    const help = await trigger(['--help']);
    expect(help).toMatchObject({ code: 0, err: '', resolved: [] });
    expect(help.out).toMatch(/^Usage: npm run trigger -- \[options\] <type>/);
    for (const type of HANDLED_EVENT_TYPES) expect(help.out).toContain(`\n  ${type}\n      ${SCENARIOS[type].describe}\n`);
    expect(help.out).toMatch(/--order <id>[\s\S]*--json[\s\S]*--stage <name>[\s\S]*--stage production is refused/);
  });

  it("is what the console's send form offers: every type, with its scene", () => {
    const form = String(sendForm());
    const offered = [...form.matchAll(/<option title="[^"]+">([^<]+)<\/option>/g)].map((m) => m[1]);
    expect(offered).toEqual(HANDLED_EVENT_TYPES);
  });

  it.each([
    ['an unknown flag', ['charge.refunded', '--bogus'], /^error: unknown option '--bogus'\n/],
    ['a missing value', ['charge.refunded', '--order'], /^error: option '--order <id>' argument missing\n/],
    ['an extra argument', ['charge.refunded', 'extra'], /^error: too many arguments/],
    ['no type', [], /^error: missing required argument 'type'\n/],
    ['an unknown type', ['no.such.type'], /^error: command-argument value 'no.such.type' is invalid for argument 'type'/],
    ['a bad amount', ['charge.refunded', '--amount', '-5'], /^error: --amount must be a positive whole number of minor units\n/],
  ])('refuses %s in one line and the usage, exit 2', async (_what, argv, message) => {
    const run = await trigger(argv);
    expect({ code: run.code, out: run.out }).toEqual({ code: 2, out: '' });
    expect(run.err).toMatch(message);
    expect(run.err).toMatch(/\nusage: npm run trigger -- \[options\] <type>/);
    expect(run.err).not.toMatch(/\n\s+at /);
  });

  it('sends test events to staging at most: --stage production is refused before anything is resolved', async () => {
    const production = await trigger(['checkout.session.completed', '--stage', 'production']);
    expect(production).toMatchObject({ code: 2, out: '', resolved: [] });
    expect(production.err).toMatch(
      /^error: trigger sends test events: it refuses --stage production \(the live shop\); use --stage staging/,
    );
    const json = await trigger(['checkout.session.completed', '--stage', 'production', '--json']);
    expect(JSON.parse(json.err)).toEqual({ error: expect.stringContaining('refuses --stage production') });
    const ship = await trigger(['checkout.session.completed', '--stage', 'staging', '--ship'], { local: false, stage: 'staging' });
    expect(ship).toMatchObject({ code: 2, resolved: [{ stage: 'staging' }] });
    expect(ship.err).toMatch(/^error: --ship and --deliver drive the local Printify stand-in: not with --stage\n/);
    const nowhere = await trigger(['checkout.session.completed', '--stage', 'staging'], { local: false, stage: 'staging' });
    expect(nowhere).toMatchObject({ code: 1, err: 'error: fake target has no StripeWebhookUrl output: where would the event go?\n' });
  });
});
