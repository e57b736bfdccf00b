import { existsSync, readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { PRINTIFY_ORDER_TOPICS } from '../../lambdas/adapters/printify-api-types';
import { ORDER_STATUSES } from '../../lambdas/domain/order-status';
import { keys } from '../../lambdas/domain/keys';
import { RETRY_POLICIES, retryDelays, retryWaits, type RetryPolicy } from '../../lambdas/domain/retry-policy';
import { EVENT_ROUTES, HANDLED_EVENT_TYPES } from '../../lambdas/domain/stripe-events';
import { METRIC } from '../../lambdas/shared/metric-names';
import { STAGE_NAMES, STAGES } from '../../lib/config/stages';
import { ALARMS } from '../../lib/constructs/monitoring';
import { DEFAULTS } from '../../local/defaults';
import type { CommandSpec } from '../../scripts/cli/framework';
import { TARGET_OPTIONS } from '../../scripts/cli/target';
import { SCENARIOS } from '../../scripts/lib/trigger-scenarios';
import { MAPPING_COMMANDS } from '../../scripts/mapping';
import { COMMANDS as OPS_COMMANDS } from '../../scripts/ops/cli';
import { PRINTIFY_WEBHOOK_COMMANDS } from '../../scripts/printify-webhooks';
import { TRIGGER } from '../../scripts/trigger';

/**
 * The README and docs/ state code facts (event types, retry waits, alarm and metric names, keys,
 * defaults, outputs, commands). Each check below ties one of them to the code, both ways where a
 * list is involved, so that a change to either side fails here until the other follows.
 */

const ROOT = path.join(__dirname, '..', '..');
const read = (file: string) => readFileSync(path.join(ROOT, file), 'utf8');
const DOCS = readdirSync(path.join(ROOT, 'docs'))
  .filter((name) => name.endsWith('.md'))
  .map((name) => `docs/${name}`);
const MARKDOWN = ['README.md', ...DOCS];

/** The text under a `## ` (or deeper) heading, up to the next heading of the same or a higher level. */
function section(file: string, heading: string): string {
  const text = read(file);
  const match = new RegExp(`^(#+) ${heading.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\s*$`, 'm').exec(text);
  if (!match) throw new Error(`${file}: no heading "${heading}"`);
  const rest = text.slice(match.index + match[0].length);
  const next = new RegExp(`^#{1,${match[1]!.length}} `, 'm').exec(rest);
  return next ? rest.slice(0, next.index) : rest;
}

/** The body rows of the first Markdown table in `text`, split into cells (`\|` stays inside a cell). */
function tableRows(text: string): string[][] {
  const lines = text.split('\n');
  const start = lines.findIndex((line) => line.startsWith('|'));
  if (start < 0) throw new Error('no table');
  const rows: string[][] = [];
  for (const line of lines.slice(start + 2)) {
    if (!line.startsWith('|')) break;
    rows.push(
      line
        .slice(1, -1)
        .split(/(?<!\\)\|/)
        .map((cell) => cell.trim()),
    );
  }
  return rows;
}

/** The `code` spans of a cell. */
const codeIn = (cell: string): string[] => [...cell.matchAll(/`([^`]+)`/g)].map((m) => m[1]!);
const sorted = (values: Iterable<string>) => [...new Set(values)].sort();

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens. */
const slug = (heading: string) =>
  heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N} _-]/gu, '')
    .replace(/ /g, '-');

describe('the README is a front door', () => {
  test('it stays short: at most 160 lines', () => {
    expect(read('README.md').split('\n').length).toBeLessThanOrEqual(160);
  });

  test('it links every file in docs/', () => {
    const readme = read('README.md');
    for (const doc of DOCS)
      expect({ doc, linked: readme.includes(`](${doc})`) || readme.includes(`](${doc}#`) }).toEqual({ doc, linked: true });
  });
});

describe('links and commands', () => {
  test('every relative link in the README and docs/ names a file that exists, and a heading it has', () => {
    const broken: string[] = [];
    for (const file of MARKDOWN) {
      for (const [, target] of read(file).matchAll(/\]\(([^)\s]+)\)/g)) {
        if (/^[a-z]+:/i.test(target!)) continue;
        const [filePart, anchor] = target!.split('#');
        const resolved = filePart ? path.normalize(path.join(path.dirname(file), filePart)) : file;
        if (!existsSync(path.join(ROOT, resolved))) {
          broken.push(`${file}: ${target} (no ${resolved})`);
          continue;
        }
        if (anchor && resolved.endsWith('.md')) {
          const headings = [...read(resolved).matchAll(/^#+ (.+)$/gm)].map((m) => slug(m[1]!));
          if (!headings.includes(anchor)) broken.push(`${file}: ${target} (no heading #${anchor} in ${resolved})`);
        }
      }
    }
    expect(broken).toEqual([]);
  });

  test('every `npm run <script>` the README and docs/ name is a script in package.json', () => {
    const scripts = Object.keys((JSON.parse(read('package.json')) as { scripts: Record<string, string> }).scripts);
    const missing: string[] = [];
    for (const file of MARKDOWN) {
      for (const [, script] of read(file).matchAll(/npm run ([\w:-]*[\w-])/g))
        if (!scripts.includes(script!)) missing.push(`${file}: npm run ${script}`);
    }
    expect(missing).toEqual([]);
  });
});

describe('the command lines the docs name', () => {
  /** The long flags of a command: its own, and the framework's (--json, --help, the target's). */
  const flagsOf = (command: CommandSpec) =>
    new Set(
      [...(command.options ?? []), ...TARGET_OPTIONS, { flags: '--json' }, { flags: '-h, --help' }].flatMap(
        (option) => option.flags.match(/--[\w-]+/g) ?? [],
      ),
    );
  const PROGRAMS: Record<string, Record<string, CommandSpec>> = {
    ops: OPS_COMMANDS,
    mapping: MAPPING_COMMANDS,
    'printify-webhooks': PRINTIFY_WEBHOOK_COMMANDS,
    // one command: its first word is an event type
    trigger: Object.fromEntries(HANDLED_EVENT_TYPES.map((type) => [type, TRIGGER.root!])),
  };
  /** placeholders: `npm run ops -- <command>`, `npm run trigger -- … --ship` */
  const PLACEHOLDER = /^(<.*>|…|\.\.\.)$/;

  test('every `npm run <program> -- <command> --flag` in the README and docs/ is a command of that program, with that flag', () => {
    const wrong: string[] = [];
    const named = new Set<string>();
    for (const file of MARKDOWN) {
      for (const [line, program, rest] of read(file).matchAll(/npm run (ops|mapping|printify-webhooks|trigger) -- ([^`#\n|]*)/g)) {
        const words = rest!
          .split(/\s+/)
          .map((word) => word.replace(/[).,;:]+$/, ''))
          .filter(Boolean);
        const first = words[0] ?? '';
        const commands = PROGRAMS[program!]!;
        const command = commands[first];
        if (command) named.add(`${program} ${first}`);
        else if (!PLACEHOLDER.test(first) && !/^--?[\w-]+$/.test(first)) wrong.push(`${file}: no command ${program} ${first} (${line})`);
        // the flags after it: its own (or, after a placeholder, some command's of the program)
        const known = command ? flagsOf(command) : new Set(Object.values(commands).flatMap((c) => [...flagsOf(c)]));
        for (const word of words) {
          const flag = /^\[?(--[\w-]*\w)/.exec(word)?.[1];
          if (flag && !known.has(flag)) wrong.push(`${file}: ${program} ${first} has no ${flag} (${line})`);
        }
      }
    }
    expect(wrong).toEqual([]);
    expect(named.size).toBeGreaterThan(10);
  });
});

describe('docs/events.md', () => {
  const rows = () => tableRows(section('docs/events.md', 'Stripe events')).filter((cells) => cells[0]!.startsWith('`'));

  test('its event table lists exactly the handled event types (EVENT_ROUTES), each with its workflow', () => {
    const listed = rows().map((cells) => ({ type: codeIn(cells[0]!)[0]!, workflow: cells[1]! }));
    expect(sorted(listed.map((row) => row.type))).toEqual(sorted(HANDLED_EVENT_TYPES));
    expect(listed.length).toBe(HANDLED_EVENT_TYPES.length);
    for (const { type, workflow } of listed) expect({ type, workflow }).toEqual({ type, workflow: EVENT_ROUTES[type]?.workflow });
  });

  test('its order statuses name every status of the transition table', () => {
    const named = new Set(codeIn(section('docs/events.md', 'Order statuses')).flatMap((code) => code.split(/[^\w]+/)));
    for (const status of ORDER_STATUSES) expect({ status, named: named.has(status) }).toEqual({ status, named: true });
  });

  /** "122 s" under three minutes, "15.3 min" above: as the retry table writes waits. */
  const wait = (seconds: number) => (seconds < 180 ? `${seconds} s` : `${Math.round(seconds / 6) / 10} min`);

  test('its retry table is the one retry table (RETRY_POLICIES): every policy, its delays, typical and maximum wait', () => {
    const table = tableRows(section('docs/events.md', 'Retries and timeouts'));
    const expected = (Object.entries(RETRY_POLICIES) as [string, RetryPolicy][]).map(([errorType, policy]) => {
      const { typical, maximum } = retryWaits(policy);
      return [`\`${errorType}\``, policy.purpose, retryDelays(policy).join(', '), wait(typical), wait(maximum)];
    });
    expect(table).toEqual(expected);
  });

  test('full jitter: the typical wait is half the maximum, and a delay never exceeds the cap', () => {
    const policy: RetryPolicy = { purpose: 'test', intervalSeconds: 10, maxAttempts: 4, backoffRate: 3, maxDelaySeconds: 100 };
    expect(retryDelays(policy)).toEqual([10, 30, 90, 100]);
    expect(retryWaits(policy)).toEqual({ typical: 115, maximum: 230 });
  });
});

describe('docs/printify.md', () => {
  test('its webhook table covers every order topic Printify sends but order:created, which changes nothing here', () => {
    const listed = tableRows(section('docs/printify.md', "Printify's webhooks"))
      .flatMap((cells) => codeIn(cells[0]!))
      .filter((code) => code.startsWith('order:'));
    expect(sorted(listed)).toEqual(sorted(PRINTIFY_ORDER_TOPICS.filter((topic) => topic !== 'order:created')));
  });
});

describe('docs/operations.md', () => {
  test('its alarm table lists exactly the alarms lib/constructs/monitoring.ts defines', () => {
    const listed = tableRows(section('docs/operations.md', 'Runbook')).flatMap((cells) => codeIn(cells[0]!));
    const defined = Object.values(ALARMS).map((name) => (name === ALARMS.workflowFailed ? `${name}-<workflow>` : name));
    expect(sorted(listed)).toEqual(sorted(defined));
  });

  test('its metric table lists exactly the business metrics (METRIC)', () => {
    // a metric is named in the first column; its dimensions (`reason`, `errorType`) are lower case
    const listed = tableRows(section('docs/operations.md', 'Logs, metrics, traces'))
      .flatMap((cells) => codeIn(cells[0]!))
      .filter((name) => /^[A-Z]/.test(name));
    expect(sorted(listed)).toEqual(sorted(Object.values(METRIC)));
  });
});

describe('docs/data-model.md', () => {
  /** A key up to its first variable part: `ORDER#<orderId>` and keys.order('<') both give `ORDER#`. */
  const HOLE = '<';
  const fixed = (key: string) => key.split('<')[0]!;

  test('its item table has exactly the key formats of lambdas/domain/keys.ts', () => {
    const listed = tableRows(section('docs/data-model.md', 'Data model')).map((cells) => {
      const [pk, sk] = [codeIn(cells[1]!)[0]!, codeIn(cells[2]!)[0]!];
      return `${fixed(pk)} ${fixed(sk)}`;
    });
    const defined = Object.values(keys).map((keyOf) => {
      const { pk, sk } = (keyOf as (...ids: string[]) => { pk: string; sk: string })(HOLE, HOLE, HOLE);
      return `${fixed(pk)} ${fixed(sk)}`;
    });
    expect(sorted(listed)).toEqual(sorted(defined));
  });
});

describe('docs/local.md and docs/deploy.md', () => {
  test("trigger's table lists every type it sends (HANDLED_EVENT_TYPES), in order, with its scene", () => {
    const rows = tableRows(section('docs/local.md', 'Test events: npm run trigger'));
    expect(rows.map((cells) => codeIn(cells[0]!)[0])).toEqual(HANDLED_EVENT_TYPES);
    for (const [cell, scene] of rows) {
      const type = codeIn(cell!)[0] as keyof typeof SCENARIOS;
      expect({ type, scene }).toEqual({ type, scene: SCENARIOS[type].describe });
    }
  });

  test("the local settings' defaults are the local stack's", () => {
    const defaults = Object.fromEntries(
      tableRows(section('docs/local.md', 'Settings')).map((cells) => [codeIn(cells[0]!)[0]!, cells[1]!.replace(/`/g, '')]),
    );
    expect({
      PORT: defaults.PORT,
      DYNAMODB_PORT: defaults.DYNAMODB_PORT,
      SES_PORT: defaults.SES_PORT,
      SFN_PORT: defaults.SFN_PORT,
      PRINTIFY_PORT: defaults.PRINTIFY_PORT,
      STRIPE_API_PORT: defaults.STRIPE_API_PORT,
      TABLE_NAME: defaults.TABLE_NAME,
      STRIPE_WEBHOOK_SECRET: defaults.STRIPE_WEBHOOK_SECRET,
      PRINTIFY_WEBHOOK_SECRET: defaults.PRINTIFY_WEBHOOK_SECRET,
      DRAIN_SECONDS: defaults.DRAIN_SECONDS,
    }).toEqual({
      PORT: `${DEFAULTS.port}`,
      DYNAMODB_PORT: `${DEFAULTS.dynamodbPort}`,
      SES_PORT: `${DEFAULTS.sesPort}`,
      SFN_PORT: `${DEFAULTS.sfnPort}`,
      PRINTIFY_PORT: `${DEFAULTS.printifyPort}`,
      STRIPE_API_PORT: `${DEFAULTS.stripeApiPort}`,
      TABLE_NAME: DEFAULTS.tableName,
      STRIPE_WEBHOOK_SECRET: DEFAULTS.stripeWebhookSecret,
      PRINTIFY_WEBHOOK_SECRET: DEFAULTS.printifyWebhookSecret,
      DRAIN_SECONDS: `${DEFAULTS.drainMs / 1000}`,
    });
  });

  test("the README's URLs use the default ports", () => {
    const readme = read('README.md');
    for (const port of [DEFAULTS.port, DEFAULTS.sesPort, DEFAULTS.printifyPort, DEFAULTS.sfnPort, DEFAULTS.dynamodbPort])
      expect({ port, named: readme.includes(`http://127.0.0.1:${port}`) }).toEqual({ port, named: true });
  });

  test("the stack outputs listed are the stack's CfnOutputs", () => {
    const source = read('lib/otakumori-stack.ts');
    const defined = [...source.matchAll(/new CfnOutput\(this, '(\w+)'/g)].map((m) => m[1]!);
    expect(source).toContain('StateMachineArn`');
    const listed = tableRows(section('docs/deploy.md', 'Stack outputs')).map((cells) => codeIn(cells[0]!)[0]!);
    expect(sorted(listed)).toEqual(sorted([...defined, '<Workflow>StateMachineArn']));
  });

  test('the README deploys every stage by name, to its stack', () => {
    const readme = section('README.md', 'Deploying the stages');
    for (const stage of STAGE_NAMES) {
      expect({ stage, deployed: readme.includes(`cdk deploy -c stage=${stage}`) }).toEqual({ stage, deployed: true });
      expect({ stage, stack: readme.includes(`${STAGES[stage].stackName}`) }).toEqual({ stage, stack: true });
    }
  });
});
