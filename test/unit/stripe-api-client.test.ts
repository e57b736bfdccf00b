import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { StripeApiClient } from '../../lambdas/adapters/stripe-api-client';

// The operator's Stripe API client (ops hold refund) against a local HTTP server standing in for Stripe.

let server: Server;
let url: string;
let answer: { status: number; body: string } = { status: 200, body: '{}' };
const requests: { method?: string; path?: string; headers: Record<string, unknown>; body: string }[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      requests.push({ method: req.method, path: req.url, headers: req.headers, body });
      res.writeHead(answer.status, { 'content-type': 'application/json' });
      res.end(answer.body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));
beforeEach(() => {
  requests.length = 0;
});

const refund = (client: StripeApiClient) =>
  client.refundPaymentIntent({ paymentIntentId: 'pi_1', idempotencyKey: 'hold-refund-ord_1-evt_1', metadata: { orderId: 'ord_1' } });

describe('StripeApiClient.refundPaymentIntent', () => {
  it('POSTs /v1/refunds form-encoded with the Bearer key and the idempotency key; returns the refund', async () => {
    answer = { status: 200, body: JSON.stringify({ id: 're_1', object: 'refund', status: 'succeeded', amount: 4999, currency: 'USD' }) };
    expect(await refund(new StripeApiClient({ baseUrl: `${url}/`, secretKey: 'sk_test_1' }))).toEqual({
      refundId: 're_1',
      status: 'succeeded',
      amount: 4999,
      currency: 'usd',
    });
    expect(requests).toHaveLength(1);
    const [request] = requests;
    expect(request).toMatchObject({ method: 'POST', path: '/v1/refunds' });
    expect(request!.headers).toMatchObject({
      authorization: 'Bearer sk_test_1',
      'idempotency-key': 'hold-refund-ord_1-evt_1',
      'content-type': 'application/x-www-form-urlencoded',
    });
    expect(Object.fromEntries(new URLSearchParams(request!.body))).toEqual({ payment_intent: 'pi_1', 'metadata[orderId]': 'ord_1' });
  });

  it("Stripe's refusal (400) is not retryable and carries Stripe's message", async () => {
    answer = {
      status: 400,
      body: JSON.stringify({ error: { type: 'invalid_request_error', message: 'Charge ch_1 has already been refunded.' } }),
    };
    await expect(refund(new StripeApiClient({ baseUrl: url, secretKey: 'sk_test_1' }))).rejects.toMatchObject({
      name: 'StripeApiError',
      status: 400,
      retryable: false,
      message: expect.stringContaining('already been refunded'),
    });
  });

  it.each([429, 500, 503])('%s is retryable', async (status) => {
    answer = { status, body: '{"error":{"message":"try later"}}' };
    await expect(refund(new StripeApiClient({ baseUrl: url, secretKey: 'sk_test_1' }))).rejects.toMatchObject({ status, retryable: true });
  });

  it('an unreachable Stripe is retryable', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    await expect(refund(new StripeApiClient({ baseUrl: `http://127.0.0.1:${port}`, secretKey: 'sk_test_1' }))).rejects.toMatchObject({
      name: 'StripeApiError',
      retryable: true,
    });
  });

  it('a 200 without a refund in it is an error, not a refund', async () => {
    answer = { status: 200, body: '{"object":"list"}' };
    await expect(refund(new StripeApiClient({ baseUrl: url, secretKey: 'sk_test_1' }))).rejects.toMatchObject({ retryable: false });
  });
});
