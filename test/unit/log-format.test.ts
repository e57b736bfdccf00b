import { jsonLogLine, LambdaLogFormatter } from '../../local/log-format';
import { createProgress, wantsColor } from '../../local/progress';

/** Issue 16.4: readable Lambda logs (per order, levels highlighted) and the first start's progress. */
const line = (fields: Record<string, unknown>) =>
  JSON.stringify({
    level: 'INFO',
    message: 'task done',
    timestamp: '2026-11-29T17:02:27.596Z',
    service: 'otakumori-orders',
    cold_start: true,
    function_name: 'FulfilmentFunctionB3136896',
    function_request_id: 'c0ffee',
    sampling_rate: 0,
    xray_trace_id: '1-abc',
    ...fields,
  });

describe('the Lambda log view', () => {
  test('time, level, function, order and event first, then the message and the fields that matter', () => {
    const formatter = new LambdaLogFormatter({ color: false });
    const shown = formatter.format(
      line({ orderId: 'ord_1', eventId: 'evt_1', executionName: 'evt_1', action: 'recordPayment', result: { status: 'paid' } }),
      'fulfilment',
    );
    expect(shown).toBe('17:02:27.596 INFO  fulfilment       ord_1 evt_1 task done  action=recordPayment result={"status":"paid"}');
    expect(shown).not.toMatch(/cold_start|xray|c0ffee|service/);
  });

  test('errors: the error in the line, its stack below for ERROR; no colour codes unless asked', () => {
    const formatter = new LambdaLogFormatter({ color: false });
    const shown = formatter.format(
      line({
        level: 'ERROR',
        message: 'task failed',
        error: { name: 'PrintifyError', message: 'boom', stack: 'PrintifyError: boom\n    at a (x.ts:1:1)' },
      }),
      'fulfilment',
    )!;
    expect(shown.split('\n')[0]).toMatch(/ERROR fulfilment +task failed {2}error=PrintifyError: boom$/);
    expect(shown.split('\n')[1]).toBe('    at a (x.ts:1:1)');
    expect(shown).not.toContain('\x1b[');
  });

  test('with colour, ERROR is red and WARN yellow', () => {
    const formatter = new LambdaLogFormatter({ color: true });
    expect(formatter.format(line({ level: 'ERROR' }), 'cart')).toContain('\x1b[31m');
    expect(formatter.format(line({ level: 'WARN' }), 'cart')).toContain('\x1b[33m');
  });

  test('metric lines are left out; other lines are shown as they are; long values are cut', () => {
    const formatter = new LambdaLogFormatter({ color: false, maxValueLength: 10 });
    expect(formatter.format(JSON.stringify({ _aws: { CloudWatchMetrics: [] }, webhookAccepted: 1 }), 'webhook')).toBeUndefined();
    const at = new Date('2026-11-29T17:05:01.250Z');
    expect(formatter.format('plain text', 'webhook', 'stdout', at)).toBe('17:05:01.250 INFO  webhook          plain text');
    expect(formatter.format(line({ note: 'x'.repeat(50) }), 'webhook')).toContain('note=xxxxxxxxx…');
  });

  test('console lines: the time seen, the function, INFO on stdout, WARN or ERROR on stderr; JSON in the file', () => {
    const formatter = new LambdaLogFormatter({ color: false });
    const at = new Date('2026-11-29T17:05:01.250Z');
    expect(formatter.format('cart total 12', 'cart', 'stdout', at)).toBe('17:05:01.250 INFO  cart             cart total 12');
    expect(formatter.format('deprecated option', 'cart', 'stderr', at)).toBe('17:05:01.250 WARN  cart             deprecated option');
    expect(formatter.format('TypeError: x is undefined', 'cart', 'stderr', at)).toMatch(/^17:05:01\.250 ERROR cart +TypeError/);
    expect(formatter.format('    at handler (cart.ts:3:9)', 'cart', 'stderr', at)).toMatch(/^17:05:01\.250 ERROR cart/);
    expect(JSON.parse(jsonLogLine('cart total 12', 'CartFunction', 'stdout', at))).toEqual({
      level: 'INFO',
      message: 'cart total 12',
      timestamp: '2026-11-29T17:05:01.250Z',
      function_name: 'CartFunction',
      stream: 'stdout',
    });
    const json = line({});
    expect(jsonLogLine(json, 'CartFunction', 'stdout')).toBe(json);
  });

  test("--order: that order's lines, and the lines of its events and executions without an order id", () => {
    const formatter = new LambdaLogFormatter({ color: false, order: 'ord_1' });
    expect(formatter.format(line({ orderId: 'ord_2', eventId: 'evt_2' }), 'webhook')).toBeUndefined();
    expect(formatter.format(line({ message: 'verifying' }), 'webhook')).toBeUndefined();
    expect(formatter.format('plain text', 'webhook')).toBeUndefined();
    expect(formatter.format(line({ orderId: 'ord_1', eventId: 'evt_1' }), 'webhook')).toContain('ord_1');
    expect(formatter.format(line({ eventId: 'evt_1', message: 'later' }), 'webhook')).toContain('later');
    expect(formatter.format(line({ eventId: 'evt_2', message: 'other' }), 'webhook')).toBeUndefined();
  });
});

describe('progress of the long steps', () => {
  test('without a terminal: plain lines, the start, a periodic line, the end with its time', () => {
    jest.useFakeTimers();
    let now = 0;
    let out = '';
    const progress = createProgress((t) => (out += t), { tty: false, color: false, periodMs: 10_000, now: () => now });
    const step = progress.step('synthesizing the stack');
    now = 10_000;
    jest.advanceTimersByTime(10_000);
    now = 14_200;
    step.done('7 functions');
    step.done();
    jest.useRealTimers();
    expect(out).toBe(
      '… synthesizing the stack\n… synthesizing the stack: still going (10 s)\n✓ synthesizing the stack (14.2 s) — 7 functions\n',
    );
  });

  test('on a terminal: a spinner redrawn on one line, then the result line', () => {
    jest.useFakeTimers();
    let out = '';
    const progress = createProgress((t) => (out += t), { tty: true, color: false, now: () => 0 });
    const step = progress.step('starting DynamoDB Local');
    jest.advanceTimersByTime(300);
    step.fail();
    jest.useRealTimers();
    expect(out.split('\r\x1b[2K').length - 1).toBe(5);
    expect(out.endsWith('\r\x1b[2K✗ starting DynamoDB Local (0.0 s)\n')).toBe(true);
  });

  test('on a terminal, steps running together share the spinner line', () => {
    jest.useFakeTimers();
    let out = '';
    const progress = createProgress((t) => (out += t), { tty: true, color: false, now: () => 0 });
    const synth = progress.step('synthesizing the stack');
    const dynamodb = progress.step('starting DynamoDB Local');
    expect(out.endsWith('synthesizing the stack… 0 s · starting DynamoDB Local… 0 s')).toBe(true);
    dynamodb.done();
    expect(out.endsWith('✓ starting DynamoDB Local (0.0 s)\n\r\x1b[2K⠹ synthesizing the stack… 0 s')).toBe(true);
    progress.print('a line from a Lambda\n');
    expect(out.endsWith('\r\x1b[2Ka line from a Lambda\n\r\x1b[2K⠸ synthesizing the stack… 0 s')).toBe(true);
    synth.done();
    progress.print('after\n');
    expect(out.endsWith('✓ synthesizing the stack (0.0 s)\nafter\n')).toBe(true);
    jest.advanceTimersByTime(500);
    jest.useRealTimers();
    expect(out.endsWith('after\n')).toBe(true);
  });

  test('colour: FORCE_COLOR forces it, NO_COLOR turns it off, else a terminal has it', () => {
    expect(wantsColor({ isTTY: true }, {})).toBe(true);
    expect(wantsColor({ isTTY: false }, {})).toBe(false);
    expect(wantsColor({ isTTY: true }, { NO_COLOR: '1' })).toBe(false);
    expect(wantsColor({ isTTY: false }, { FORCE_COLOR: '1' })).toBe(true);
    expect(wantsColor({ isTTY: true }, { FORCE_COLOR: '0' })).toBe(false);
  });
});
