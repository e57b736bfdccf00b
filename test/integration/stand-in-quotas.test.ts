/**
 * The quotas the local stand-ins enforce, through their HTTP interfaces and the real clients:
 * Printify's requests per minute (429 + Retry-After) and SES's sending rate (Throttling). A test
 * either injects the clock (and moves it) or uses a short window and polls with a deadline; none
 * asserts on how long anything took.
 */
import { SESClient, SendEmailCommand, type SendEmailCommandInput } from '@aws-sdk/client-ses';
import { PrintifyApiError, PrintifyClient } from '../../lambdas/adapters/printify-client';
import { freePort } from '../../local/dynamodb-local';
import { printifyRateLimitFromEnv, startPrintifyStandIn, type PrintifyStandIn, type PrintifyTrafficStats } from '../../local/printify';
import { sesSendRateFromEnv, startSesLocal, type SesLocal } from '../../local/ses-local';

const TOKEN = 'local-printify-token';
const SHOP_ID = '424242';

/** A clock the test moves by hand, in milliseconds. */
function manualClock(start = 1_000_000) {
  let now = start;
  return {
    now: () => now,
    advance: (ms: number) => {
      now += ms;
    },
  };
}

/** Retries `attempt` until it returns a value, or fails after `deadlineMs` (a bound, not a measurement). */
async function eventually<T>(attempt: () => Promise<T | undefined>, deadlineMs = 10_000): Promise<T> {
  const deadline = Date.now() + deadlineMs;
  for (;;) {
    const value = await attempt();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`not within ${deadlineMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('Printify stand-in: the rate limit and the error counts', () => {
  const started: PrintifyStandIn[] = [];
  afterAll(async () => {
    await Promise.all(started.map((s) => s.stop()));
  });

  async function standIn(rateLimit?: Parameters<typeof startPrintifyStandIn>[0]['rateLimit']): Promise<PrintifyStandIn> {
    const running = await startPrintifyStandIn({
      port: await freePort(),
      token: TOKEN,
      shopId: SHOP_ID,
      ...(rateLimit ? { rateLimit } : {}),
    });
    started.push(running);
    return running;
  }

  const clientOf = (running: PrintifyStandIn) =>
    new PrintifyClient({ baseUrl: running.baseUrl, token: TOKEN, shopId: SHOP_ID, userAgent: 'otakumori-order-pipeline/test' });

  /** One API call over plain HTTP: the status and the Retry-After header. */
  async function listOrders(running: PrintifyStandIn): Promise<{ status: number; retryAfter: string | null }> {
    const res = await fetch(`${running.baseUrl}/v1/shops/${SHOP_ID}/orders.json`, {
      headers: { authorization: `Bearer ${TOKEN}`, 'user-agent': 'test' },
    });
    await res.arrayBuffer();
    return { status: res.status, retryAfter: res.headers.get('retry-after') };
  }

  it("defaults to Printify's 600 requests a minute, and reports its counts over HTTP", async () => {
    const running = await standIn();
    expect(await listOrders(running)).toEqual({ status: 200, retryAfter: null });
    const res = await fetch(`${running.baseUrl}/__stand-in/stats`);
    const stats = (await res.json()) as PrintifyTrafficStats;
    expect(stats).toEqual({
      requests: 1,
      tooManyRequests: 0,
      rateLimited: 0,
      clientErrors: 0,
      serverErrors: 0,
      errorRate: 0,
      peakPerWindow: 1,
      peakReceivedPerWindow: 1,
      limit: 600,
      windowMs: 60_000,
    });
    expect(running.stats()).toEqual(stats);
  });

  it('answers 429 with Retry-After in seconds over the limit, and admits again when the window has moved on', async () => {
    const clock = manualClock();
    const running = await standIn({ limit: 3, windowMs: 60_000, now: clock.now });
    const printify = clientOf(running);

    await printify.listOrders(); // t = 0
    await printify.listOrders();
    clock.advance(30_000);
    await printify.listOrders(); // t = 30 s: the third of three

    const refused = await printify.listOrders().then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(refused).toBeInstanceOf(PrintifyApiError);
    expect(refused).toMatchObject({ status: 429, retryable: true, retryAfterSeconds: 30 });
    expect((refused as PrintifyApiError).message).toContain('Rate limit exceeded');

    clock.advance(15_000); // t = 45 s: the first two still count
    expect(await listOrders(running)).toEqual({ status: 429, retryAfter: '15' });
    clock.advance(15_000); // t = 60 s: the first two have left the window, the third has not
    expect(await listOrders(running)).toEqual({ status: 200, retryAfter: null });
    expect(await listOrders(running)).toEqual({ status: 200, retryAfter: null });
    expect(await listOrders(running)).toEqual({ status: 429, retryAfter: '30' });

    expect(running.stats()).toMatchObject({
      requests: 8,
      tooManyRequests: 3,
      rateLimited: 3,
      clientErrors: 3,
      serverErrors: 0,
      errorRate: 3 / 8,
      peakPerWindow: 3,
      limit: 3,
      windowMs: 60_000,
    });
    // Refused requests are received but not admitted: the received peak shows the pressure.
    expect(running.stats().peakReceivedPerWindow).toBeGreaterThan(3);
  });

  it("counts 4xx and 5xx answers (injected faults included) for Printify's errors-under-5 % rule; reset starts afresh", async () => {
    const clock = manualClock();
    const running = await standIn({ limit: 100, windowMs: 60_000, now: clock.now });
    const printify = clientOf(running);
    running.fail({ status: 500 });
    running.fail({ status: 429 });
    const order = {
      external_id: 'ord-1',
      line_items: [{ product_id: '6650a1b2c3d4e5f601234567', variant_id: 17887, quantity: 1 }],
      shipping_method: 1,
      send_shipping_notification: false,
      address_to: {
        first_name: 'Hinata',
        last_name: 'Shoyo',
        country: 'US',
        address1: '1 Karasuno Way',
        city: 'Los Angeles',
        zip: '90001',
      },
    };
    await expect(printify.createOrder(order)).rejects.toMatchObject({ status: 500 });
    await expect(printify.createOrder(order)).rejects.toMatchObject({ status: 429, retryAfterSeconds: 1 });
    const { id } = await printify.createOrder(order);
    await printify.getOrder(id);
    await expect(printify.getOrder('000000000000000000000000')).rejects.toMatchObject({ status: 404 });
    const unauthenticated = await fetch(`${running.baseUrl}/v1/shops/${SHOP_ID}/orders.json`, { headers: { 'user-agent': 'test' } });
    expect(unauthenticated.status).toBe(401);

    expect(running.stats()).toMatchObject({
      requests: 6,
      tooManyRequests: 1,
      rateLimited: 0,
      clientErrors: 3,
      serverErrors: 1,
      errorRate: 4 / 6,
      // a request without a valid token is not counted against the token's limit
      peakPerWindow: 5,
    });

    running.reset();
    expect(running.stats()).toMatchObject({ requests: 0, clientErrors: 0, serverErrors: 0, errorRate: 0, peakPerWindow: 0 });
  });

  it('with a window scaled down, a refused client gets through again once it has passed (real clock)', async () => {
    const running = await standIn({ limit: 2, windowMs: 200 });
    expect((await listOrders(running)).status).toBe(200);
    expect((await listOrders(running)).status).toBe(200);
    // Under a second: Retry-After rounds up to its smallest value. (On a busy machine the window
    // may have moved on already; the refusal itself is checked above with an injected clock.)
    const refused = await listOrders(running);
    if (refused.status === 429) expect(refused.retryAfter).toBe('1');
    const admitted = await eventually(async () => ((await listOrders(running)).status === 200 ? true : undefined));
    expect(admitted).toBe(true);
    expect(running.stats().peakPerWindow).toBeLessThanOrEqual(2);
  });

  it('reads its limit from PRINTIFY_RATE_LIMIT_PER_MINUTE and PRINTIFY_RATE_LIMIT_WINDOW_MS', () => {
    expect(printifyRateLimitFromEnv({})).toEqual({});
    expect(printifyRateLimitFromEnv({ PRINTIFY_RATE_LIMIT_PER_MINUTE: '60', PRINTIFY_RATE_LIMIT_WINDOW_MS: '1000' })).toEqual({
      limit: 60,
      windowMs: 1000,
    });
    expect(() => printifyRateLimitFromEnv({ PRINTIFY_RATE_LIMIT_PER_MINUTE: '0' })).toThrow(
      'PRINTIFY_RATE_LIMIT_PER_MINUTE must be a positive integer',
    );
    expect(() => printifyRateLimitFromEnv({ PRINTIFY_RATE_LIMIT_WINDOW_MS: 'soon' })).toThrow('PRINTIFY_RATE_LIMIT_WINDOW_MS');
  });
});

describe('local SES: the maximum sending rate', () => {
  let ses: SesLocal;
  let client: SESClient;
  const clock = manualClock();

  const email = (to: string[]): SendEmailCommandInput => ({
    Source: 'orders@otaku-mori.example',
    Destination: { ToAddresses: to },
    Message: { Subject: { Data: `to ${to.join(', ')}` }, Body: { Text: { Data: 'hi' } } },
  });

  beforeAll(async () => {
    ses = await startSesLocal({ port: await freePort(), sendRate: { limit: 3, windowMs: 1_000, now: clock.now } });
    // One attempt: the SDK would otherwise retry a throttled send itself.
    client = new SESClient({
      endpoint: ses.url,
      region: 'us-east-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
      maxAttempts: 1,
    });
  });
  beforeEach(async () => {
    clock.advance(10_000);
    ses.resetStats();
    await ses.clear();
  });
  afterAll(async () => {
    client.destroy();
    await ses.stop();
  });

  it('answers over the rate as AWS SES does: HTTP 400, Throttling, "Maximum sending rate exceeded."', async () => {
    for (const to of ['a@example.com', 'b@example.com', 'c@example.com']) await client.send(new SendEmailCommand(email([to])));
    const refused = await client.send(new SendEmailCommand(email(['d@example.com']))).then(
      () => undefined,
      (err: unknown) => err as { name: string; message: string; $metadata: { httpStatusCode?: number } },
    );
    expect(refused?.name).toBe('Throttling');
    expect(refused?.message).toBe('Maximum sending rate exceeded.');
    expect(refused?.$metadata.httpStatusCode).toBe(400);
    expect((await ses.sentEmails()).map((e) => e.to[0])).toEqual(['a@example.com', 'b@example.com', 'c@example.com']);

    clock.advance(1_000); // the window has moved on
    await client.send(new SendEmailCommand(email(['d@example.com'])));
    expect((await ses.sentEmails()).map((e) => e.to[0])).toContain('d@example.com');
    expect(ses.stats()).toEqual({ sends: 4, throttled: 1, peakPerWindow: 3, limit: 3, windowMs: 1_000 });
  });

  it('counts every recipient against the rate', async () => {
    await client.send(new SendEmailCommand(email(['a@example.com', 'b@example.com'])));
    await expect(client.send(new SendEmailCommand(email(['c@example.com', 'd@example.com'])))).rejects.toMatchObject({
      name: 'Throttling',
    });
    await client.send(new SendEmailCommand(email(['c@example.com'])));
    expect(ses.stats()).toMatchObject({ sends: 2, throttled: 1, peakPerWindow: 3 });
  });

  it('throttles SES v2 sends with 429 TooManyRequestsException, and leaves other calls alone', async () => {
    const v2 = () =>
      fetch(`${ses.url}/v2/email/outbound-emails`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          authorization: 'AWS4-HMAC-SHA256 Credential=local/20260101/us-east-1/ses/aws4_request',
        },
        body: JSON.stringify({
          FromEmailAddress: 'orders@otaku-mori.example',
          Destination: { ToAddresses: ['a@example.com', 'b@example.com', 'c@example.com'] },
          Content: { Simple: { Subject: { Data: 'v2' }, Body: { Text: { Data: 'hi' } } } },
        }),
      });
    expect((await v2()).status).toBe(200);
    const refused = await v2();
    expect(refused.status).toBe(429);
    expect(refused.headers.get('x-amzn-errortype')).toBe('TooManyRequestsException');
    expect(await refused.json()).toEqual({ message: 'Maximum sending rate exceeded.' });
    // Reading the mailbox is not a send.
    expect((await fetch(`${ses.url}/store`)).status).toBe(200);
    expect((await fetch(`${ses.url}/health-check`)).status).toBe(200);
  });

  it("defaults to AWS's 14 a second, or SES_MAX_SEND_RATE and SES_SEND_RATE_WINDOW_MS", async () => {
    const other = await startSesLocal({ port: await freePort() });
    try {
      expect(other.stats()).toEqual({ sends: 0, throttled: 0, peakPerWindow: 0, limit: 14, windowMs: 1_000 });
    } finally {
      await other.stop();
    }
    expect(sesSendRateFromEnv({ SES_MAX_SEND_RATE: '1', SES_SEND_RATE_WINDOW_MS: '100' })).toEqual({ limit: 1, windowMs: 100 });
    expect(() => sesSendRateFromEnv({ SES_MAX_SEND_RATE: '-3' })).toThrow('SES_MAX_SEND_RATE must be a positive integer');
  });
});
