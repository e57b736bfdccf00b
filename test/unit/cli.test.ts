import { execFile } from 'node:child_process';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { STAGES } from '../../lib/config/stages';
import {
  OpsError,
  runProgram,
  UsageError,
  type CommandSpec,
  type Io,
  type ProgramSpec,
  type RunOptions,
} from '../../scripts/cli/framework';
import { resolveTarget, stageStack, type Target, type TargetOptions } from '../../scripts/cli/target';
import { MAPPING_COMMANDS, runMapping } from '../../scripts/mapping';
import { COMMANDS, retryMappingCommand, runOps } from '../../scripts/ops/cli';
import { orderFacts } from '../../scripts/ops/commands';
import { PRINTIFY_WEBHOOK_COMMANDS, runPrintifyWebhooks } from '../../scripts/printify-webhooks';

/**
 * The one command framework (scripts/cli/framework.ts) through its entry function, with the output
 * captured and the target faked: parsing, help, the exit codes (0 done, 1 failed, 2 bad usage), and
 * one line for every error a user can cause. Two commands are also spawned as npm runs them.
 */

interface Captured {
  code: number;
  out: string;
  err: string;
  /** what the target was resolved with */
  resolved: { options: TargetOptions; workflows: boolean | undefined }[];
  closed: number;
}

const fakeTarget = (closed: () => void): Target =>
  ({
    description: 'fake target',
    local: true,
    tableName: 'table',
    stateMachines: [],
    printify: { baseUrl: 'http://printify.invalid', shopId: 'shop', sendToProduction: true },
    close: closed,
  }) as unknown as Target;

async function run(
  entry: (argv: string[], io: Io, options: RunOptions) => Promise<number>,
  argv: string[],
  env: NodeJS.ProcessEnv = {},
): Promise<Captured> {
  const captured: Captured = { code: -1, out: '', err: '', resolved: [], closed: 0 };
  const io: Io = { out: (t) => (captured.out += `${t}\n`), err: (t) => (captured.err += `${t}\n`) };
  captured.code = await entry(argv, io, {
    env,
    resolve: async (options, _env, { workflows }) => {
      captured.resolved.push({ options, workflows });
      return fakeTarget(() => captured.closed++);
    },
  });
  return captured;
}

const seen: unknown[] = [];
const COMMAND: CommandSpec = {
  summary: 'does a thing',
  args: ['<id>', '[more]'],
  options: [
    { flags: '--colour <name>', description: 'a colour', choices: ['red', 'blue'] },
    { flags: '--no-wait', description: 'do not wait' },
    { flags: '--limit <n>', description: 'at most n' },
  ],
  async run(_target, args, flags) {
    seen.push({ args, flags });
    const [id] = args;
    if (id === 'missing') throw new OpsError('no thing missing');
    if (id === 'shape') throw new UsageError('--limit x: a whole number');
    if (id === 'bug') throw new TypeError('cannot read properties of undefined');
    return { id, half: id === 'half' };
  },
  text: (value: { id: string }) => `thing ${value.id}`,
  exitCode: (value: { half: boolean }) => (value.half ? 1 : 0),
};
const PROGRAM: ProgramSpec = { name: 'npm run thing --', description: 'things', commands: { thing: COMMAND } };
const thing = (argv: string[], io: Io, options: RunOptions) => runProgram(PROGRAM, argv, io, options);

const noStack = (text: string) => expect(text).not.toMatch(/\n\s+at /);

describe('the command framework', () => {
  beforeEach(() => seen.splice(0));

  it('runs a command with its arguments and flags by their own names, and prints its text or its JSON', async () => {
    const text = await run(thing, ['thing', 'a1', 'b2', '--colour', 'red', '--no-wait', '--limit', '3']);
    expect(text).toMatchObject({ code: 0, out: 'thing a1\n', err: '', closed: 1 });
    expect(seen).toEqual([{ args: ['a1', 'b2'], flags: expect.objectContaining({ colour: 'red', 'no-wait': true, limit: '3' }) }]);
    const json = await run(thing, ['thing', 'a1', '--json']);
    expect(JSON.parse(json.out)).toEqual({ id: 'a1', half: false });
    expect(seen[1]).toMatchObject({ flags: { 'no-wait': undefined, json: true } });
  });

  it('resolves the target from the same flags for every command: local by default, or a stage by name', async () => {
    const local = await run(thing, ['thing', 'a']);
    expect(local.resolved).toEqual([{ options: {}, workflows: true }]);
    const staged = await run(thing, ['thing', 'a', '--stage', 'staging', '--region', 'eu-west-1']);
    expect(staged.resolved[0]?.options).toEqual({ stage: 'staging', region: 'eu-west-1' });
    const overridden = await run(thing, [
      'thing',
      'a',
      '--sfn-endpoint',
      'http://x:1',
      '--dynamodb-endpoint',
      'http://y:2',
      '--table',
      't',
    ]);
    expect(overridden.resolved[0]?.options).toEqual({ sfnEndpoint: 'http://x:1', dynamodbEndpoint: 'http://y:2', table: 't' });
  });

  it.each([
    ['an unknown flag', ['thing', 'a', '--colur', 'red'], /^error: unknown option '--colur'/],
    ['an unknown command', ['thng', 'a'], /^error: unknown command 'thng'/],
    ['a missing argument', ['thing'], /^error: missing required argument 'id'/],
    ['a value not among the choices', ['thing', 'a', '--colour', 'green'], /^error: option '--colour <name>' argument 'green' is invalid/],
    ['an unknown stage', ['thing', 'a', '--stage', 'prod'], /^error: option '--stage <name>' argument 'prod' is invalid/],
    ['too many arguments', ['thing', 'a', 'b', 'c'], /^error: too many arguments/],
    ['a value of the wrong shape', ['thing', 'shape'], /^error: --limit x: a whole number/],
  ])('refuses %s: one line and the usage, exit 2, no stack trace', async (_what, argv, message) => {
    const result = await run(thing, argv);
    expect(result.code).toBe(2);
    expect(result.out).toBe('');
    expect(result.err).toMatch(message);
    // the error and the usage (and commander's suggestion of the name meant, for a typo)
    expect(
      result.err
        .trim()
        .split('\n')
        .filter((line) => !line.startsWith('(Did you mean')),
    ).toHaveLength(2);
    expect(result.err).toMatch(/\nusage: npm run thing -- /);
    noStack(result.err);
  });

  it('prints a failure of a known reason as one line, exit 1 (as JSON with --json)', async () => {
    expect(await run(thing, ['thing', 'missing'])).toMatchObject({ code: 1, out: '', err: 'error: no thing missing\n', closed: 1 });
    const json = await run(thing, ['thing', 'missing', '--json']);
    expect(JSON.parse(json.err)).toEqual({ error: 'no thing missing' });
  });

  it("exits with the value's own code when it says the work is not done", async () => {
    expect(await run(thing, ['thing', 'half'])).toMatchObject({ code: 1, out: 'thing half\n' });
  });

  it('names an unexpected error in one line, and shows its stack only with DEBUG', async () => {
    const quiet = await run(thing, ['thing', 'bug']);
    expect(quiet).toMatchObject({ code: 1, err: 'error: TypeError: cannot read properties of undefined (fake target)\n' });
    const debug = await run(thing, ['thing', 'bug'], { DEBUG: '1' });
    expect(debug.err).toMatch(/\n\s+at /);
  });

  it('has --help for the program and each command (exit 0), and the program without a command is bad usage', async () => {
    const help = await run(thing, ['--help']);
    expect(help).toMatchObject({ code: 0, err: '' });
    expect(help.out).toMatch(/Usage: npm run thing -- <command> \[options\][\s\S]*thing \[options\] <id> \[more\]\s+does a thing/);
    const own = await run(thing, ['thing', '--help']);
    expect(own.code).toBe(0);
    expect(own.out).toMatch(/--colour <name>[\s\S]*--json[\s\S]*Target \(default: the local stack of `npm start`\):[\s\S]*--stage <name>/);
    expect((await run(thing, ['help', 'thing'])).out).toBe(own.out);
    const none = await run(thing, []);
    expect(none.code).toBe(2);
    expect(none.err).toContain('Usage: npm run thing --');
    expect(seen).toEqual([]);
  });
});

describe('a program that is one command (as npm run trigger -- <type> can be)', () => {
  const ROOT: ProgramSpec = {
    name: 'npm run send --',
    description: 'sends one thing',
    root: { ...COMMAND, args: [{ name: '<type>', description: 'what to send', choices: ['a1', 'half', 'missing'] }] },
  };
  const send = (argv: string[], io: Io, options: RunOptions) => runProgram(ROOT, argv, io, options);

  it('takes its arguments and options itself, with the same exit codes and help', async () => {
    expect(await run(send, ['a1', '--json'])).toMatchObject({ code: 0, out: `${JSON.stringify({ id: 'a1', half: false }, null, 2)}\n` });
    expect(await run(send, ['half'])).toMatchObject({ code: 1, out: 'thing half\n' });
    expect(await run(send, ['missing'])).toMatchObject({ code: 1, err: 'error: no thing missing\n' });
    const typo = await run(send, ['b2']);
    expect(typo.code).toBe(2);
    expect(typo.err).toMatch(
      /^error: command-argument value 'b2' is invalid for argument 'type'\. Allowed choices are a1, half, missing\.\nusage: npm run send -- \[options\] <type>/,
    );
    const help = await run(send, ['--help']);
    expect(help.code).toBe(0);
    expect(help.out).toMatch(/^Usage: npm run send -- \[options\] <type>[\s\S]*--colour <name>[\s\S]*--stage <name>/);
  });
});

describe('the one target', () => {
  it('is the local stack of `npm start` by default, on its ports from the environment, with its Printify stand-in and secrets', async () => {
    const env = { PORT: '15000', DYNAMODB_PORT: '15001', SFN_PORT: '15003', PRINTIFY_PORT: '15004', TABLE_NAME: 'mine' };
    const target = await resolveTarget({}, env, { workflows: false });
    try {
      expect(target).toMatchObject({
        local: true,
        tableName: 'mine',
        stateMachines: [],
        description: 'local stack (Step Functions http://127.0.0.1:15003, DynamoDB http://127.0.0.1:15001)',
        stripeWebhookUrl: 'http://127.0.0.1:15000/webhooks/stripe',
        stripeWebhookSecret: expect.stringMatching(/^whsec_/),
        printify: {
          baseUrl: 'http://127.0.0.1:15004',
          webhookUrl: 'http://127.0.0.1:15000/webhooks/printify',
          sendToProduction: true,
          token: expect.any(String),
          webhookSecret: expect.any(String),
        },
      });
    } finally {
      target.close();
    }
    const overridden = await resolveTarget({ table: 't', dynamodbEndpoint: 'http://127.0.0.1:9' }, env, { workflows: false });
    overridden.close();
    expect(overridden).toMatchObject({ tableName: 't', description: expect.stringContaining('DynamoDB http://127.0.0.1:9') });
  });

  it('names a stage by its name in lib/config/stages.ts, and refuses one that is not there', async () => {
    expect(stageStack('staging')).toEqual({ stackName: STAGES.staging.stackName });
    await expect(resolveTarget({ stage: 'qa' }, {})).rejects.toThrow('unknown stage qa: one of staging, production (lib/config/stages.ts)');
  });
});

describe('ops, mapping and printify-webhooks on the framework', () => {
  it('every command of each has --help, and refuses a mistyped flag with exit 2', async () => {
    for (const [entry, commands] of [
      [runOps, COMMANDS],
      [runMapping, MAPPING_COMMANDS],
      [runPrintifyWebhooks, PRINTIFY_WEBHOOK_COMMANDS],
    ] as const) {
      for (const name of Object.keys(commands)) {
        const help = await run(entry, [name, '--help']);
        expect({ name, code: help.code, usage: /Usage: npm run [a-z-]+ -- /.test(help.out) }).toEqual({ name, code: 0, usage: true });
        const typo = await run(entry, [name, '--jsno']);
        expect({ name, code: typo.code, resolved: typo.resolved.length }).toEqual({ name, code: 2, resolved: 0 });
        noStack(typo.err);
      }
    }
  });

  it('retries a mapping once: `mapping retry` is the very command `ops retry-mapping` is, with one exit-code convention', async () => {
    expect(COMMANDS['retry-mapping']).toBe(retryMappingCommand);
    const alias = MAPPING_COMMANDS.retry!;
    expect(alias.run).toBe(retryMappingCommand.run);
    expect(alias.text).toBe(retryMappingCommand.text);
    expect(alias.exitCode).toBe(retryMappingCommand.exitCode);
    const exit = (outcome: string) =>
      retryMappingCommand.exitCode!({ orderId: 'o', before: 'pending_mapping', after: 'x', outcome } as never);
    expect(['created', 'already-created', 'pending_mapping', 'failed'].map(exit)).toEqual([0, 0, 1, 1]);
    expect(alias.needs).toBe('store');
  });

  it.each([
    ['mapping set with a variant id that is not a number', runMapping, ['set', 'prod', 'A2', 'abc123', '-5'], /^error: set: /],
    ['mapping set with an empty value', runMapping, ['set', 'prod', 'A2', ' ', '7'], /^error: set: /],
    [
      'ops executions of a workflow that is not one',
      runOps,
      ['executions', '--workflow', 'nope'],
      /^error: --workflow nope: no such workflow/,
    ],
    ['printify-webhooks register without a URL', runPrintifyWebhooks, ['register'], /^error: no URL: give it/],
  ] as const)('refuses %s (a value checked after parsing) as bad usage, exit 2', async (_what, entry, argv, message) => {
    const result = await run(entry, [...argv]);
    expect(result).toMatchObject({ code: 2, out: '' });
    expect(result.err).toMatch(message);
    noStack(result.err);
  });

  it('ops order keeps the lifecycle order within one second (Printify times have whole seconds, ours milliseconds)', () => {
    const order = {
      orderId: 'ord_s',
      userId: 'u',
      status: 'shipped',
      amountTotal: 4999,
      currency: 'usd',
      items: [],
      createdAt: '2026-01-01T10:00:00.412Z',
      paidAt: '2026-01-01T10:00:00.630Z',
      shippedAt: '2026-01-01T10:00:00Z',
      deliveredAt: '2026-01-01T10:00:01Z',
      updatedAt: '2026-01-01T10:00:01.200Z',
    };
    expect(orderFacts(order as never).history.map((m) => m.what)).toEqual([
      'created (pending)',
      'paid',
      'shipped',
      'delivered',
      'now shipped (delivered)',
    ]);
  });

  it('ops order shows how a dispute stands, and its history by time with the current status last, untimed', () => {
    const order = {
      orderId: 'ord_d',
      userId: 'u',
      status: 'in_production',
      amountTotal: 4999,
      currency: 'usd',
      items: [],
      createdAt: '2026-01-01T10:00:00.000Z',
      paidAt: '2026-01-01T10:01:00.000Z',
      updatedAt: '2026-01-01T12:00:00.000Z',
      disputeAmount: 4999,
      disputeStatus: 'won',
      disputeEventAt: Date.parse('2026-01-01T11:00:00.000Z') / 1000,
    };
    const facts = orderFacts(order as never);
    expect(facts.amounts).toEqual({ currency: 'usd', total: 4999, refunded: 0, disputed: 4999, disputeStatus: 'won' });
    expect(facts.history).toEqual([
      { at: '2026-01-01T10:00:00.000Z', what: 'created (pending)' },
      { at: '2026-01-01T10:01:00.000Z', what: 'paid' },
      { at: '2026-01-01T11:00:00.000Z', what: 'dispute won' },
      { what: 'now in_production' },
    ]);
    const text = String(
      COMMANDS.order!.text!({ order, ...facts, printifyEvents: [], ledger: [], emails: [], events: [], executions: [] } as never),
    );
    expect(text).toContain('amounts: total 4999 usd, refunded 0, disputed 4999 (won: nothing taken) (minor units)');
    expect(text).toMatch(/\n {24}now in_production\n/);
  });

  it('ops executions refuses a status that is not one, as bad usage', async () => {
    const result = await run(runOps, ['executions', '--status', 'sleeping']);
    expect(result).toMatchObject({ code: 2 });
    expect(result.err).toMatch(/^error: --status sleeping: one of RUNNING, SUCCEEDED/);
  });
});

describe('as npm runs them (a process each)', () => {
  const root = path.resolve(__dirname, '..', '..');
  const tsx = path.join(root, 'node_modules', '.bin', 'tsx');
  const spawn = (script: string, ...args: string[]) =>
    promisify(execFile)(tsx, [script, ...args], { cwd: root }).then(
      (r) => ({ code: 0, ...r }),
      (e: { code: number; stdout: string; stderr: string }) => e,
    );

  it('a mistyped flag exits 2 with one line and the usage, no stack trace', async () => {
    const mapping = await spawn('scripts/mapping.ts', 'list', '--prodcut', 'x');
    expect(mapping.code).toBe(2);
    expect(mapping.stderr).toBe(
      "error: unknown option '--prodcut'\n(Did you mean --product?)\nusage: npm run mapping -- list [options]   (--help for more)\n",
    );
    const webhooks = await spawn('scripts/printify-webhooks.ts', 'register', '--local');
    expect(webhooks.code).toBe(2);
    expect(webhooks.stderr).toMatch(/^error: unknown option '--local'\n/);
    noStack(webhooks.stderr);
  }, 60_000);
});
