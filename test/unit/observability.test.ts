import { logger, maskEmail, maskPersonalData } from '../../lambdas/shared/logger';
import { METRIC } from '../../lambdas/shared/metric-names';
import { metricsOfFailure, metricsOfSignals, signalsOf } from '../../lambdas/shared/task-metrics';
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

describe('metrics from use-case signals', () => {
  const names = (points: { name: string }[]) => points.map((p) => p.name);

  it('a created Printify order counts, with the seconds since Stripe created the event', () => {
    const points = metricsOfSignals([{ kind: 'printify-order-created' }], { eventCreated: 1_000, now: new Date(1_042_500) });
    expect(points).toEqual([
      expect.objectContaining({ name: METRIC.printifyOrderCreated, value: 1 }),
      expect.objectContaining({ name: METRIC.fulfilmentTime, value: 42.5, unit: 'Seconds' }),
    ]);
  });

  it("without the event's time (the operator's retry, a webhook), only the count", () => {
    expect(names(metricsOfSignals([{ kind: 'printify-order-created' }]))).toEqual([METRIC.printifyOrderCreated]);
  });

  it('no signals, no metrics; a missing mapping counts', () => {
    expect(metricsOfSignals([])).toEqual([]);
    expect(names(metricsOfSignals([{ kind: 'printify-mapping-missing' }]))).toEqual([METRIC.printifyMappingMissing]);
  });

  it("a final Printify failure counts, and with Printify's reason when it gave one", () => {
    expect(names(metricsOfSignals([{ kind: 'printify-order-failed' }, { kind: 'printify-order-canceled' }]))).toEqual([
      METRIC.printifyOrderFailed,
      METRIC.printifyOrderCanceled,
    ]);
    expect(names(metricsOfSignals([{ kind: 'printify-order-has-issues' }]))).toEqual([METRIC.printifyOrderHasIssues]);
  });

  it('petals count their number; none for 0', () => {
    expect(metricsOfSignals([{ kind: 'petals-awarded', petals: 49 }])).toEqual([
      expect.objectContaining({ name: METRIC.petalsAwarded, value: 49 }),
    ]);
    expect(metricsOfSignals([{ kind: 'petals-awarded', petals: 0 }])).toEqual([]);
    expect(metricsOfSignals([{ kind: 'petals-deducted', petals: 5 }, { kind: 'negative-petal-balance' }])).toEqual([
      expect.objectContaining({ name: METRIC.petalsDeducted, value: 5 }),
      expect.objectContaining({ name: METRIC.negativePetalBalance, value: 1 }),
    ]);
  });

  it("emails sent, disputes opened, Printify webhooks' effects", () => {
    expect(
      names(
        metricsOfSignals([
          { kind: 'email-sent' },
          { kind: 'dispute-opened' },
          { kind: 'printify-order-shipped' },
          { kind: 'printify-order-delivered' },
          { kind: 'printify-webhook-unknown-order' },
        ]),
      ),
    ).toEqual([
      METRIC.emailSent,
      METRIC.disputeOpened,
      METRIC.printifyOrderShipped,
      METRIC.printifyOrderDelivered,
      METRIC.printifyWebhookUnknownOrder,
    ]);
  });

  it('a held payment counts as PaymentMismatch and PaidNotFulfilled', () => {
    expect(names(metricsOfSignals([{ kind: 'payment-mismatch' }, { kind: 'paid-not-fulfilled' }]))).toEqual([
      METRIC.paymentMismatch,
      METRIC.paidNotFulfilled,
    ]);
  });

  it("a task result's signals are read from its `signals` list only", () => {
    expect(signalsOf({ outcome: 'sent', signals: [{ kind: 'email-sent' }] })).toEqual([{ kind: 'email-sent' }]);
    expect(signalsOf({ outcome: 'created' })).toEqual([]);
    expect(signalsOf(undefined)).toEqual([]);
  });

  it('a failed attempt counts as a task failure, and as a Printify or email failure by task', () => {
    expect(names(metricsOfFailure({ action: 'createPrintifyOrder' }, 'TransientError'))).toEqual([
      METRIC.taskFailed,
      METRIC.taskFailed,
      METRIC.printifyAttemptFailed,
    ]);
    expect(metricsOfFailure({ template: 'order-confirmation' }, 'TransientError')[1]).toMatchObject({
      dimensions: { errorType: 'TransientError' },
    });
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
