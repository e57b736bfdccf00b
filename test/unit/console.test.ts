import type { IncomingMessage } from 'node:http';
import { COMMANDS, type OpsCommand } from '../../scripts/ops/cli';
import { reconcileCommand, runAction } from '../../local/console/actions';
import type { ConsoleContext } from '../../local/console/context';
import { outcomeOf } from '../../local/console/pages/execution';
import { layoutDefinition, renderGraph, type AslDefinition } from '../../local/console/graph';
import { refusal } from '../../local/console/guard';
import { html, query, raw } from '../../local/console/html';

/** The console's pure parts: who may use it, escaping, and the graph drawn from an ASL definition. */

const request = (method: string, headers: Record<string, string>) => ({ method, headers }) as unknown as IncomingMessage;
const ORIGIN = 'http://127.0.0.1:3000';

describe('the console guard', () => {
  it('serves pages to its own host names only (no DNS rebinding)', () => {
    expect(refusal(request('GET', { host: '127.0.0.1:3000' }), ORIGIN)).toBeUndefined();
    expect(refusal(request('GET', { host: 'localhost:3000' }), ORIGIN)).toBeUndefined();
    expect(refusal(request('GET', { host: 'attacker.example:3000' }), ORIGIN)).toMatch(/not this console/);
    expect(refusal(request('GET', {}), ORIGIN)).toMatch(/not this console/);
  });

  it('takes actions only from a page of its own origin', () => {
    expect(refusal(request('POST', { host: '127.0.0.1:3000', origin: 'http://127.0.0.1:3000' }), ORIGIN)).toBeUndefined();
    expect(refusal(request('POST', { host: '127.0.0.1:3000', origin: 'https://evil.example' }), ORIGIN)).toMatch(/only from the console/);
    expect(refusal(request('POST', { host: '127.0.0.1:3000', origin: 'null' }), ORIGIN)).toMatch(/only from the console/);
    expect(refusal(request('POST', { host: '127.0.0.1:3000' }), ORIGIN)).toMatch(/needs an Origin/);
  });
});

describe('console HTML', () => {
  it('escapes every value but markup it built itself', () => {
    const hostile = `<script>alert("x")</script>'`;
    expect(html`<td title="${hostile}">${hostile}</td>`.text).toBe(
      '<td title="&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&#39;">&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&#39;</td>',
    );
    expect(html`<p>${[html`<b>${'a&b'}</b>`, raw('<i>ok</i>'), undefined, false, 0]}</p>`.text).toBe('<p><b>a&amp;b</b><i>ok</i>0</p>');
    expect(query({ status: 'FAILED', order: undefined, workflow: '' })).toBe('?status=FAILED');
  });
});

describe('the state machine graph', () => {
  const definition: AslDefinition = {
    StartAt: 'Record payment',
    States: {
      'Record payment': { Type: 'Task', Next: 'Paid?', Catch: [{ Next: 'Gave up' }] },
      'Paid?': { Type: 'Choice', Choices: [{ Next: 'Fulfil' }], Default: 'Done' },
      Fulfil: {
        Type: 'Parallel',
        Next: 'Done',
        Branches: [
          { StartAt: 'Create <Printify> order', States: { 'Create <Printify> order': { Type: 'Task', End: true } } },
          { StartAt: 'Send email', States: { 'Send email': { Type: 'Task', End: true } } },
        ],
      },
      Done: { Type: 'Succeed' },
      'Gave up': { Type: 'Fail' },
    },
  };

  it('draws every state once, at the coordinates ELK computed, coloured by outcome (unreached by default)', async () => {
    const graph = await layoutDefinition(definition);
    const svg = renderGraph(
      graph,
      new Map([
        ['Record payment', 'succeeded' as const],
        ['Create <Printify> order', 'retried' as const],
        ['Fulfil', 'running' as const],
      ]),
    );
    const states = [...svg.matchAll(/<g class="state outcome-([a-z-]+)[^"]*" data-state="([^"]+)"/g)].map((m) => [m[2], m[1]] as const);
    expect(new Map(states)).toEqual(
      new Map([
        ['Record payment', 'succeeded'],
        ['Paid?', 'not-reached'],
        ['Fulfil', 'running'],
        ['Create &lt;Printify&gt; order', 'retried'],
        ['Send email', 'not-reached'],
        ['Done', 'not-reached'],
        ['Gave up', 'not-reached'],
      ]),
    );
    expect(states).toHaveLength(7);
    expect(svg).toContain('class="state outcome-running compound"');
    // next, choice (2), catch, start, ends, and the edges inside each branch
    expect(svg.match(/class="edge edge-catch"/g)).toHaveLength(1);
    expect(svg.match(/class="edge edge-choice"/g)).toHaveLength(2);
    // every branch state sits inside its Parallel box
    const box = (name: string) => {
      const m = new RegExp(
        `data-state="${name}"[^>]*><title>[^<]*</title><rect x="([\\d.]+)" y="([\\d.]+)" width="([\\d.]+)" height="([\\d.]+)"`,
      ).exec(svg)!;
      return m.slice(1).map(Number) as [number, number, number, number];
    };
    const [px, py, pw, ph] = box('Fulfil');
    for (const inner of ['Create &lt;Printify&gt; order', 'Send email']) {
      const [x, y, w, h] = box(inner);
      expect(x >= px && y >= py && x + w <= px + pw && y + h <= py + ph).toBe(true);
    }
  });

  it('colours a step by what happened to it', () => {
    const step = { name: 's', type: 'Task', enteredAt: '', depth: 0 };
    expect(outcomeOf({ ...step, status: 'succeeded', attempts: 1 })).toBe('succeeded');
    expect(outcomeOf({ ...step, status: 'succeeded', attempts: 3 })).toBe('retried');
    expect(outcomeOf({ ...step, status: 'caught' })).toBe('caught');
    expect(outcomeOf({ ...step, status: 'failed' })).toBe('failed');
    expect(outcomeOf({ ...step, status: 'not finished' })).toBe('failed');
    expect(outcomeOf({ ...step, status: 'running' })).toBe('running');
  });
});

describe('the reconcile action', () => {
  const context = { target: { description: 'test' } } as unknown as ConsoleContext;
  const own = COMMANDS.reconcile;
  afterEach(() => {
    if (own) COMMANDS.reconcile = own;
    else delete COMMANDS.reconcile;
  });

  it("runs `ops reconcile`'s own run() with its flags and shows its text", async () => {
    const calls: unknown[] = [];
    COMMANDS.reconcile = {
      ...(own ?? ({} as OpsCommand)),
      run: async (target, positionals, flags) => {
        calls.push({ target, positionals, flags });
        return [];
      },
      text: () => 'nothing to reconcile',
    };
    expect(reconcileCommand()).toBe(COMMANDS.reconcile);
    await expect(runAction(context, 'reconcile', new URLSearchParams({ dryRun: '1' }), '/')).resolves.toEqual({
      location: '/',
      notice: 'Reconcile (dry run): nothing to reconcile',
    });
    expect(calls).toEqual([{ target: context.target, positionals: [], flags: { 'dry-run': true } }]);
  });

  it('is refused, with the reason, where the ops command has no reconcile', async () => {
    delete COMMANDS.reconcile;
    expect(reconcileCommand()).toBeUndefined();
    await expect(runAction(context, 'reconcile', new URLSearchParams(), '/')).resolves.toEqual({
      location: '/',
      error: 'npm run ops has no reconcile command in this checkout',
    });
  });
});
