import { logger, maskEmail, maskPersonalData } from '../../lambdas/shared/logger';
import { METRIC } from '../../lambdas/shared/metric-names';
import { metricsOfFailure, metricsOfResult } from '../../lambdas/shared/task-metrics';
import { oversizedBody, MAX_WEBHOOK_BODY_BYTES } from '../../lambdas/shared/webhook-limits';

const serialize = (value: unknown) => JSON.stringify(value, maskPersonalData as (key: string, value: unknown) => unknown);

describe('log masking', () => {
  it('keeps the first letter and the domain of an email address', () => {
    expect(maskEmail('sakura@example.com')).toBe('s***@example.com');
    expect(maskEmail('mail a.b+c@shop.example.co.jp now')).toBe('mail a***@shop.example.co.jp now');
  });

  it('masks customer email, name, phone and address at any depth, and keeps the ids', () => {
    const line = serialize({
      eventId: 'evt_1',
      orderId: 'ord_1',
      executionName: 'evt_1',
      input: {
        email: 'sakura@example.com',
        customerName: 'Sakura Haruno',
        shippingAddress: { name: 'Sakura Haruno', line1: '1 Cherry Lane', city: 'Konoha', postalCode: '12345', country: 'JP' },
      },
      printify: { address_to: { first_name: 'Sakura', phone: '+81 90 1234 5678' } },
      error: { name: 'TransientError', message: 'SES refused sakura@example.com' },
    });
    expect(line).not.toMatch(/Sakura|Haruno|Cherry|12345|5678|sakura@/);
    const parsed = JSON.parse(line);
    expect(parsed).toMatchObject({ eventId: 'evt_1', orderId: 'ord_1', executionName: 'evt_1' });
    expect(parsed.input.email).toBe('s***@example.com');
    expect(parsed.input.shippingAddress).toBe('***');
    expect(parsed.error).toEqual({ name: 'TransientError', message: 'SES refused s***@example.com' });
  });

  it('is what the shared logger writes: one JSON line with the ids, nothing personal', () => {
    const lines: string[] = [];
    const write = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      lines.push(String(chunk));
      return true;
    });
    try {
      logger.appendKeys({ eventId: 'evt_9', orderId: 'ord_9', executionName: 'evt_9' });
      logger.info('task done', { result: { to: 'sakura@example.com', shippingAddress: { line1: '1 Cherry Lane' } } });
    } finally {
      write.mockRestore();
      logger.resetKeys();
    }
    const line = JSON.parse(lines.join('').trim().split('\n').pop()!);
    expect(line).toMatchObject({ level: 'INFO', message: 'task done', eventId: 'evt_9', orderId: 'ord_9', executionName: 'evt_9' });
    expect(line.result).toEqual({ to: '***', shippingAddress: '***' });
  });

  it('masks secrets by name and Stripe secrets anywhere, but not secret ARNs', () => {
    const parsed = JSON.parse(
      serialize({
        STRIPE_WEBHOOK_SECRET: 'anything',
        PRINTIFY_API_TOKEN_ARN: 'arn:aws:secretsmanager:eu-west-1:1:secret:x',
        note: 'configured whsec_abcdef123456 and sk_live_abcdef',
      }),
    );
    expect(parsed).toEqual({
      STRIPE_WEBHOOK_SECRET: '***',
      PRINTIFY_API_TOKEN_ARN: 'arn:aws:secretsmanager:eu-west-1:1:secret:x',
      note: 'configured whsec_*** and sk_live_***',
    });
  });
});

describe('task metrics', () => {
  const names = (points: { name: string }[]) => points.map((p) => p.name);

  it('a created Printify order counts, with the seconds since Stripe created the event', () => {
    const points = metricsOfResult(
      { action: 'createPrintifyOrder', input: { created: 1_000 } },
      { outcome: 'created', printifyOrderId: 'p1', status: 'in_production' },
      new Date(1_042_500),
    );
    expect(points).toEqual([
      expect.objectContaining({ name: METRIC.printifyOrderCreated, value: 1 }),
      expect.objectContaining({ name: METRIC.fulfilmentTime, value: 42.5, unit: 'Seconds' }),
    ]);
  });

  it('an order already created or skipped counts nothing; a missing mapping counts', () => {
    expect(metricsOfResult({ action: 'createPrintifyOrder' }, { outcome: 'already-created' })).toEqual([]);
    expect(metricsOfResult({ action: 'createPrintifyOrder' }, { outcome: 'skipped' })).toEqual([]);
    expect(names(metricsOfResult({ action: 'createPrintifyOrder' }, { outcome: 'pending_mapping' }))).toEqual([METRIC.printifyMappingMissing]);
  });

  it('recording a Printify failure counts the final failure', () => {
    expect(names(metricsOfResult({ action: 'markFulfillmentFailed' }, { status: 'fulfillment_failed', transitioned: true }))).toEqual([
      METRIC.printifyOrderFailed,
    ]);
  });

  it('petals awarded by a purchase (once) and by an invoice', () => {
    expect(metricsOfResult({ action: 'settleOrder' }, { awarded: 49, deducted: 0, written: ['purchase#o1'] })).toEqual([
      expect.objectContaining({ name: METRIC.petalsAwarded, value: 49 }),
    ]);
    expect(metricsOfResult({ action: 'settleOrder' }, { awarded: 49, deducted: 0, written: [] })).toEqual([]);
    expect(metricsOfResult({ action: 'awardInvoice' }, { petals: 12, written: true })).toEqual([
      expect.objectContaining({ name: METRIC.petalsAwarded, value: 12 }),
    ]);
    expect(metricsOfResult({ action: 'awardInvoice' }, { petals: 12, written: false })).toEqual([]);
  });

  it('petals deducted and a negative balance, when a result reports them', () => {
    expect(names(metricsOfResult({ action: 'settleOrder' }, { written: ['refund#o1#100'], petalsDeducted: 5, balance: -3 }))).toEqual([
      METRIC.petalsDeducted,
      METRIC.negativePetalBalance,
    ]);
  });

  it('emails sent count; already sent do not', () => {
    expect(names(metricsOfResult({ template: 'order-confirmation' }, { outcome: 'sent', messageId: 'm' }))).toEqual([METRIC.emailSent]);
    expect(metricsOfResult({ template: 'refund' }, { outcome: 'already-sent' })).toEqual([]);
  });

  it('a failed attempt counts as a task failure, and as a Printify or email failure by task', () => {
    expect(names(metricsOfFailure({ action: 'createPrintifyOrder' }, 'TransientError'))).toEqual([
      METRIC.taskFailed,
      METRIC.taskFailed,
      METRIC.printifyAttemptFailed,
    ]);
    expect(metricsOfFailure({ template: 'order-confirmation' }, 'TransientError')[1]).toMatchObject({ dimensions: { errorType: 'TransientError' } });
    expect(names(metricsOfFailure({ template: 'order-confirmation' }, 'TransientError'))).toContain(METRIC.emailFailed);
  });
});

describe('webhook body limit', () => {
  it('refuses only bodies over the limit', () => {
    expect(oversizedBody(Buffer.alloc(MAX_WEBHOOK_BODY_BYTES))).toBeUndefined();
    expect(oversizedBody(Buffer.alloc(MAX_WEBHOOK_BODY_BYTES + 1))).toBe(MAX_WEBHOOK_BODY_BYTES + 1);
    expect(oversizedBody('é'.repeat(MAX_WEBHOOK_BODY_BYTES / 2 + 1))).toBeDefined();
  });
});
