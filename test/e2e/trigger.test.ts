import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import type { OrderStatus } from '../../lambdas/domain/order-status';
import { HANDLED_EVENT_TYPES, type HandledEventType } from '../../lambdas/domain/stripe-events';
import { runTrigger } from '../../scripts/trigger';
import { LocalPipeline } from '../support/local-pipeline';

/**
 * `npm run trigger` against one local stack: every handled type sends its event after setting its
 * scene, --order continues an order (or says why it cannot), a failed execution exits 1 and a bad
 * flag exits 2 without a stack trace.
 */

let pipeline: LocalPipeline;
beforeAll(async () => {
  pipeline = await LocalPipeline.start();
}, 120_000);
afterAll(async () => pipeline?.stop());

/** The environment `npm start` would give trigger, naming the test's stack. */
function stackEnv(overrides: Record<string, string> = {}): NodeJS.ProcessEnv {
  const { urls, tableName, stripeWebhookSecret } = pipeline.stack;
  const port = (url: string) => new URL(url).port;
  return {
    PORT: port(urls.api),
    SFN_PORT: port(urls.sfn),
    SES_PORT: port(urls.ses),
    PRINTIFY_PORT: port(urls.printify),
    DYNAMODB_ENDPOINT: urls.dynamodb,
    TABLE_NAME: tableName,
    STRIPE_WEBHOOK_SECRET: stripeWebhookSecret,
    ...overrides,
  };
}

/** `npm run trigger -- <args>` in this process; `json` is the output parsed when it is JSON. */
async function trigger(args: string[], env = stackEnv()) {
  let out = '';
  let err = '';
  const code = await runTrigger(args, { out: (t) => (out += `${t}\n`), err: (t) => (err += `${t}\n`) }, { env });
  let json: any;
  try {
    json = JSON.parse(out);
  } catch {
    json = undefined;
  }
  return { code, out, err, json };
}

/** What each type leaves the order as (null: no order, the invoice's user only). */
const EXPECTED: Record<
  HandledEventType,
  { status: OrderStatus | null; order?: Record<string, unknown>; scene: string[]; petalChange?: number }
> = {
  'checkout.session.completed': { status: 'in_production', scene: [] },
  'checkout.session.async_payment_succeeded': { status: 'in_production', scene: ['checkout.session.completed'] },
  'checkout.session.async_payment_failed': { status: 'failed', scene: ['checkout.session.completed'] },
  'checkout.session.expired': { status: 'cancelled', scene: [] },
  'payment_intent.succeeded': { status: 'in_production', scene: [] },
  'payment_intent.payment_failed': { status: 'failed', scene: [] },
  'charge.refunded': { status: 'refunded', order: { amountRefunded: 4999 }, scene: ['checkout.session.completed'] },
  'charge.refund.updated': {
    status: 'refunded',
    order: { amountRefunded: 4999 },
    scene: ['checkout.session.completed', 'charge.refunded'],
  },
  'refund.updated': { status: 'refunded', order: { amountRefunded: 4999 }, scene: ['checkout.session.completed', 'charge.refunded'] },
  'refund.failed': { status: 'in_production', order: { amountRefunded: 0 }, scene: ['checkout.session.completed', 'charge.refunded'] },
  'charge.dispute.created': { status: 'in_production', order: { disputeStatus: 'open' }, scene: ['checkout.session.completed'] },
  'charge.dispute.updated': {
    status: 'in_production',
    order: { disputeStatus: 'open', disputeStripeStatus: 'under_review' },
    scene: ['checkout.session.completed', 'charge.dispute.created'],
  },
  'charge.dispute.closed': {
    status: 'in_production',
    order: { disputeStatus: 'won', disputeStripeStatus: 'won' },
    scene: ['checkout.session.completed', 'charge.dispute.created'],
  },
  'invoice.payment_succeeded': { status: null, scene: [] },
  // the invoice's petals come with its scene's invoice.payment_succeeded; the link awards none
  'invoice_payment.paid': { status: null, scene: ['invoice.payment_succeeded'], petalChange: 0 },
};

describe('npm run trigger -- <type> --json', () => {
  it.each(HANDLED_EVENT_TYPES)(
    '%s: sets its scene, sends the event, and its execution and order end as they should',
    async (type) => {
      const expected = EXPECTED[type];
      const { code, json, err } = await trigger([type, '--json']);
      expect({ code, err }).toEqual({ code: 0, err: '' });
      expect(json).toMatchObject({
        eventType: type,
        eventId: expect.stringMatching(/^evt_/),
        executionStatus: 'SUCCEEDED',
        webhookStatus: 200,
        next: expect.stringMatching(/^npm run /),
      });
      expect(json.events.map((e: { type: string }) => e.type)).toEqual([...expected.scene, type]);
      // the webhook recorded the event it was sent
      expect(await pipeline.stripeEventRecord(json.eventId)).toMatchObject({ type });
      if (expected.status === null) {
        expect(json.order).toBeNull();
        expect(json.petals).toEqual({ balance: 9, change: expected.petalChange ?? 9 });
      } else {
        expect(json.order).toMatchObject({ status: expected.status, ...expected.order });
        expect(await pipeline.order(json.orderId)).toMatchObject(json.order);
      }
    },
    60_000,
  );
});

describe('--order', () => {
  it('continues an existing order, and says in one line why an event makes no sense for it', async () => {
    const unpaid = await trigger(['checkout.session.completed', '--unpaid', '--json']);
    expect(unpaid).toMatchObject({ code: 0, json: { executionStatus: 'SUCCEEDED', order: { status: 'pending' } } });
    const orderId: string = unpaid.json.orderId;
    expect(unpaid.json.next).toBe(`npm run trigger -- checkout.session.async_payment_succeeded --order ${orderId}`);

    const paid = await trigger(['checkout.session.async_payment_succeeded', '--order', orderId]);
    expect(paid.code).toBe(0);
    const lines = paid.out.trim().split('\n');
    expect(lines).toHaveLength(2); // no scene: the order's own session
    expect(lines[0]).toMatch(
      new RegExp(
        `^checkout\\.session\\.async_payment_succeeded evt_\\S+: order ${orderId} pending → in_production · \\+49 petals · 1 email · execution SUCCEEDED \\(\\d+\\.\\d s\\)$`,
      ),
    );
    expect(lines[1]).toBe(`next: npm run trigger -- charge.refunded --order ${orderId}`);

    const again = await trigger(['checkout.session.completed', '--order', orderId]);
    expect(again).toMatchObject({ code: 2, out: '' });
    expect(again.err.split('\n')[0]).toBe(
      `error: order ${orderId} is in_production: it is already paid; try: npm run trigger -- charge.refunded --order ${orderId}`,
    );

    const partial = await trigger(['charge.refunded', '--order', orderId, '--amount', '1000', '--json']);
    expect(partial).toMatchObject({
      code: 0,
      json: { statusBefore: 'in_production', order: { status: 'in_production', amountRefunded: 1000 } },
    });
    expect(partial.json.events).toHaveLength(1);

    const disputed = await trigger(['charge.dispute.created', '--order', orderId, '--json']);
    expect(disputed).toMatchObject({ code: 0, json: { order: { disputeStatus: 'open' } } });
    const twice = await trigger(['charge.dispute.created', '--order', orderId]);
    expect(twice.code).toBe(2);
    expect(twice.err).toContain(`try: npm run trigger -- charge.dispute.closed --order ${orderId}`);

    const closed = await trigger(['charge.dispute.closed', '--order', orderId, '--json']);
    expect(closed).toMatchObject({ code: 0, json: { order: { disputeStatus: 'won', disputeId: disputed.json.order.disputeId } } });
    const another = await trigger(['charge.dispute.updated', '--order', orderId]);
    expect(another.code).toBe(2);
    expect(another.err).toContain(`is in_production: its charge's dispute ${disputed.json.order.disputeId} is closed (won)`);

    const missing = await trigger(['charge.refunded', '--order', 'ord_missing']);
    expect(missing).toMatchObject({ code: 2, out: '' });
    expect(missing.err.split('\n')[0]).toBe(`error: order ord_missing not found in table ${pipeline.stack.tableName}`);
    const missingJson = await trigger(['charge.refunded', '--order', 'ord_missing', '--json']);
    expect(missingJson).toMatchObject({ code: 2, out: '' });
    expect(JSON.parse(missingJson.err)).toEqual({ error: `order ord_missing not found in table ${pipeline.stack.tableName}` });
  }, 90_000);
});

describe('exit codes', () => {
  it('exits 1 when the execution fails, and says where to look', async () => {
    pipeline.stack.printify.fail({ status: 422, times: 1 }); // Printify refuses the order once
    const failed = await trigger(['checkout.session.completed', '--json']);
    expect(failed).toMatchObject({
      code: 1,
      json: { executionStatus: 'FAILED', error: 'FulfilmentIncomplete', order: { status: 'fulfillment_failed' } },
    });
    expect(failed.json.next).toBe(`npm run ops -- order ${failed.json.orderId}`);
  }, 60_000);

  it('exits 1 when the webhook refuses the event (a wrong signing secret)', async () => {
    const refused = await trigger(['payment_intent.succeeded'], stackEnv({ STRIPE_WEBHOOK_SECRET: 'whsec_not_the_one' }));
    expect(refused.code).toBe(1);
    expect(refused.out).toMatch(/payment_intent\.succeeded evt_\S+: order ord_\S+ pending \(unchanged\) · refused by the webhook: 400/);
  });

  it('exits 2 for usage errors, printing one line and the usage', async () => {
    for (const args of [['charge.refunded', '--amount', '-5'], ['no.such.type'], [], ['invoice.payment_succeeded', '--order', 'ord_1']]) {
      const run = await trigger(args);
      expect({ args, code: run.code, out: run.out }).toEqual({ args, code: 2, out: '' });
      expect(run.err).toMatch(/^error: .*\nusage: npm run trigger -- /);
    }
    const help = await trigger(['--help']);
    expect(help.code).toBe(0);
    for (const type of HANDLED_EVENT_TYPES) expect(help.out).toContain(`\n  ${type}\n`);
  });

  it('a mistyped flag from the shell: exit 2, one line and the usage, no stack trace', () => {
    const root = path.join(__dirname, '..', '..');
    const run = spawnSync(path.join(root, 'node_modules', '.bin', 'tsx'), ['scripts/trigger.ts', 'charge.refunded', '--bogus'], {
      cwd: root,
      env: { ...process.env, ...stackEnv() },
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(run.status).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr.split('\n')[0]).toBe("error: unknown option '--bogus'");
    expect(run.stderr).toContain('usage: npm run trigger -- [options] <type>');
    expect(run.stderr).not.toMatch(/^\s+at /m);
  }, 60_000);
});
