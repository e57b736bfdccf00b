import {
  PrintifyApiError,
  PrintifyClient,
  type CreatePrintifyOrderRequest,
  type PrintifyOrder,
} from '../../lambdas/adapters/printify-client';
import { PrintifyLookupPaused } from '../../lambdas/ports/printify';

const TOKEN = 'tok-SECRET-4f1b9c';
const SHOP_ID = '1234567';
const BASE_URL = 'https://api.printify.com';

interface RecordedCall {
  url: string;
  method: string;
  headers: Record<string, string>;
  body: unknown;
}

type Responder = (call: RecordedCall, signal: AbortSignal | undefined) => Response | Promise<Response>;

function json(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json', ...headers } });
}

/** A fetch that records each request and answers with the next responder. */
function fakeFetch(...responders: Responder[]): { fetchImpl: typeof fetch; calls: RecordedCall[] } {
  const calls: RecordedCall[] = [];
  const fetchImpl = (async (input: Parameters<typeof fetch>[0], init?: RequestInit) => {
    const headers: Record<string, string> = {};
    new Headers(init?.headers).forEach((value, name) => {
      headers[name] = value;
    });
    const call: RecordedCall = {
      url: String(input),
      method: init?.method ?? 'GET',
      headers,
      body: typeof init?.body === 'string' ? JSON.parse(init.body) : init?.body,
    };
    calls.push(call);
    const responder = responders[calls.length - 1];
    if (!responder) throw new Error(`unexpected request #${calls.length}: ${call.method} ${call.url}`);
    return responder(call, init?.signal ?? undefined);
  }) as typeof fetch;
  return { fetchImpl, calls };
}

function client(fetchImpl: typeof fetch, timeoutMs?: number): PrintifyClient {
  return new PrintifyClient({
    baseUrl: BASE_URL,
    token: TOKEN,
    shopId: SHOP_ID,
    userAgent: 'otakumori-order-pipeline/0.1',
    fetchImpl,
    ...(timeoutMs === undefined ? {} : { timeoutMs }),
  });
}

async function caught(promise: Promise<unknown>): Promise<PrintifyApiError> {
  try {
    await promise;
  } catch (err) {
    expect(err).toBeInstanceOf(PrintifyApiError);
    return err as PrintifyApiError;
  }
  throw new Error('expected the call to fail');
}

/** Never answers; rejects with the signal's reason when the client's timeout aborts it. */
const hang: Responder = (_call, signal) =>
  new Promise<Response>((_resolve, reject) => {
    signal?.addEventListener('abort', () => reject(signal.reason));
  });

const ORDER_REQUEST: CreatePrintifyOrderRequest = {
  external_id: 'ord_01HZX3',
  label: 'ord_01HZX3',
  line_items: [{ product_id: '5bfd0b66a342bcc9b5563216', variant_id: 17887, quantity: 2 }],
  shipping_method: 1,
  send_shipping_notification: false,
  address_to: {
    first_name: 'Hinata',
    last_name: 'Shoyo',
    email: 'hinata@example.com',
    country: 'US',
    region: 'CA',
    address1: '1 Karasuno Way',
    city: 'Los Angeles',
    zip: '90001',
  },
};

/** Shaped like the documented GET /v1/shops/{shop_id}/orders/{id}.json answer. */
function recordedOrder(id: string, externalId: string): PrintifyOrder {
  return {
    id,
    address_to: {
      first_name: 'John',
      last_name: 'Smith',
      region: '',
      address1: 'ExampleBaan 121',
      city: 'Retie',
      zip: '2470',
      email: 'example@msn.com',
      phone: '0574 69 21 90',
      country: 'BE',
      company: 'MSN',
    },
    line_items: [
      {
        product_id: '5b05842f3921c9547531758d',
        quantity: 1,
        variant_id: 17887,
        print_provider_id: 5,
        cost: 1050,
        shipping_cost: 400,
        status: 'on-hold',
        metadata: {
          title: '18K gold plated Necklace',
          price: 2200,
          variant_label: 'Golden indigocoin',
          sku: '168699843',
          country: 'United States',
        },
      },
    ],
    metadata: {
      order_type: 'api',
      shop_order_id: externalId,
      shop_order_label: externalId,
      shop_fulfilled_at: '1970-01-01 00:00:00+00:00',
    },
    total_price: 2200,
    total_shipping: 400,
    total_tax: 0,
    status: 'on-hold',
    shipping_method: 1,
    is_printify_express: false,
    is_economy_shipping: false,
    shipments: [],
    created_at: '2019-12-09 10:46:53+00:00',
  };
}

function page(current: number, last: number, data: PrintifyOrder[]): Record<string, unknown> {
  return {
    current_page: current,
    data,
    first_page_url: '/?page=1',
    from: (current - 1) * 10 + 1,
    last_page: last,
    last_page_url: `/?page=${last}`,
    next_page_url: current < last ? `/?page=${current + 1}` : null,
    path: '/',
    per_page: 10,
    prev_page_url: current > 1 ? `/?page=${current - 1}` : null,
    to: (current - 1) * 10 + data.length,
    total: (last - 1) * 10 + data.length,
  };
}

describe('PrintifyClient', () => {
  it('creates an order: URL, headers and body as Printify documents them', async () => {
    const { fetchImpl, calls } = fakeFetch(() => json(200, { id: '5a96f649b2439217d070f507' }));
    const result = await client(fetchImpl).createOrder(ORDER_REQUEST);

    expect(result).toEqual({ id: '5a96f649b2439217d070f507' });
    expect(calls).toHaveLength(1);
    const [call] = calls;
    expect(call?.method).toBe('POST');
    expect(call?.url).toBe(`https://api.printify.com/v1/shops/${SHOP_ID}/orders.json`);
    expect(call?.headers).toMatchObject({
      authorization: `Bearer ${TOKEN}`,
      'user-agent': 'otakumori-order-pipeline/0.1',
      'content-type': 'application/json',
    });
    expect(call?.body).toEqual(ORDER_REQUEST);
  });

  it('tolerates a base URL that already ends in /v1/', async () => {
    const { fetchImpl, calls } = fakeFetch(() => json(200, recordedOrder('abc', 'x')));
    await new PrintifyClient({
      baseUrl: 'https://api.printify.com/v1/',
      token: TOKEN,
      shopId: SHOP_ID,
      userAgent: 'ua',
      fetchImpl,
    }).getOrder('abc');
    expect(calls[0]?.url).toBe(`https://api.printify.com/v1/shops/${SHOP_ID}/orders/abc.json`);
  });

  it('gets an order', async () => {
    const order = recordedOrder('5a96f649b2439217d070f507', 'ord_01HZX3');
    const { fetchImpl, calls } = fakeFetch(() => json(200, order));
    const got = await client(fetchImpl).getOrder('5a96f649b2439217d070f507');
    expect(calls[0]?.method).toBe('GET');
    expect(calls[0]?.url).toBe(`${BASE_URL}/v1/shops/${SHOP_ID}/orders/5a96f649b2439217d070f507.json`);
    expect(got.status).toBe('on-hold');
    expect(got.line_items[0]).toMatchObject({ product_id: '5b05842f3921c9547531758d', variant_id: 17887, quantity: 1 });
  });

  it('sends to production and cancels with POSTs to the documented paths', async () => {
    const { fetchImpl, calls } = fakeFetch(
      () => json(200, { ...recordedOrder('o1', 'e1'), status: 'sending-to-production' }),
      () => json(200, { ...recordedOrder('o2', 'e2'), status: 'canceled' }),
    );
    const c = client(fetchImpl);
    await c.sendToProduction('o1');
    await c.cancelOrder('o2');
    expect(calls.map((call) => `${call.method} ${call.url}`)).toEqual([
      `POST ${BASE_URL}/v1/shops/${SHOP_ID}/orders/o1/send_to_production.json`,
      `POST ${BASE_URL}/v1/shops/${SHOP_ID}/orders/o2/cancel.json`,
    ]);
  });

  it('turns a 400 validation error into a non-retryable error that says why', async () => {
    const body = {
      status: 'error',
      code: 8150,
      message: 'Validation failed.',
      errors: { reason: 'address_to.zip: The address_to.zip field is required.', code: 8150 },
    };
    const { fetchImpl } = fakeFetch(() => json(400, body));
    const err = await caught(client(fetchImpl).createOrder(ORDER_REQUEST));

    expect(err.retryable).toBe(false);
    expect(err.status).toBe(400);
    expect(err.code).toBe(8150);
    expect(err.kind).toBe('http');
    expect(err.details).toEqual(body);
    expect(err.message).toBe(
      `Printify POST /v1/shops/${SHOP_ID}/orders.json failed with HTTP 400 (code 8150): ` +
        'Validation failed. Reason: address_to.zip: The address_to.zip field is required.',
    );
  });

  it('keeps field errors that come as an object', async () => {
    const { fetchImpl } = fakeFetch(() =>
      json(422, { message: 'Invalid data.', errors: { code: 8150, 'line_items.0.variant_id': ['The variant is not available.'] } }),
    );
    const err = await caught(client(fetchImpl).createOrder(ORDER_REQUEST));
    expect(err.retryable).toBe(false);
    expect(err.message).toContain('line_items.0.variant_id');
    expect(err.message).toContain('The variant is not available.');
  });

  it('does not retry 401 and 404', async () => {
    const { fetchImpl } = fakeFetch(
      () => json(401, { message: 'Unauthenticated.' }),
      () => json(404, { error: 'Not found', request_id: '1789735516@e08829df' }),
    );
    const c = client(fetchImpl);
    const unauthorised = await caught(c.getOrder('o1'));
    expect(unauthorised).toMatchObject({ status: 401, retryable: false });
    expect(unauthorised.message).toContain('Unauthenticated');
    const notFound = await caught(c.getOrder('o1'));
    expect(notFound).toMatchObject({ status: 404, retryable: false });
    expect(notFound.message).toContain('Not found');
  });

  it('marks 429 as retryable and keeps Retry-After', async () => {
    const { fetchImpl } = fakeFetch(() => json(429, { message: 'Too Many Attempts.' }, { 'retry-after': '30' }));
    const err = await caught(client(fetchImpl).createOrder(ORDER_REQUEST));
    expect(err).toMatchObject({ status: 429, retryable: true, retryAfterSeconds: 30, kind: 'http' });
  });

  it('marks 503 (even with an HTML body) as retryable', async () => {
    const { fetchImpl } = fakeFetch(() => new Response('<html>Service Unavailable</html>', { status: 503 }));
    const err = await caught(client(fetchImpl).createOrder(ORDER_REQUEST));
    expect(err).toMatchObject({ status: 503, retryable: true });
    expect(err.message).toContain('HTTP 503');
    expect(err.details).toBe('<html>Service Unavailable</html>');
  });

  it('marks a timeout as retryable and warns that a POST may have gone through', async () => {
    const { fetchImpl } = fakeFetch(hang);
    const started = Date.now();
    const err = await caught(client(fetchImpl, 50).createOrder(ORDER_REQUEST));
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(err).toMatchObject({ kind: 'timeout', retryable: true, status: undefined });
    expect(err.message).toContain('timed out after 50 ms');
    expect(err.message).toContain('may still have processed it');
  });

  it('marks a network error as retryable and names the system error', async () => {
    const { fetchImpl } = fakeFetch(() => {
      throw new TypeError('fetch failed', { cause: Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }) });
    });
    const err = await caught(client(fetchImpl).getOrder('o1'));
    expect(err).toMatchObject({ kind: 'network', retryable: true });
    expect(err.message).toContain('ECONNREFUSED');
  });

  it('treats a 200 without an order id as a retryable invalid response', async () => {
    const { fetchImpl } = fakeFetch(() => json(200, { ok: true }));
    const err = await caught(client(fetchImpl).createOrder(ORDER_REQUEST));
    expect(err).toMatchObject({ kind: 'invalid_response', retryable: true, status: 200 });
  });

  it('never puts the token in an error, even when Printify echoes it', async () => {
    const { fetchImpl } = fakeFetch(() =>
      json(400, {
        status: 'error',
        code: 8150,
        message: `Bad token Bearer ${TOKEN}`,
        errors: { reason: `token ${TOKEN} rejected`, code: 8150 },
      }),
    );
    const c = client(fetchImpl);
    const err = await caught(c.createOrder(ORDER_REQUEST));
    const everything = [err.message, JSON.stringify(err.details), JSON.stringify(err), String(err.stack)].join('\n');
    expect(everything).not.toContain(TOKEN);
    expect(err.message).toContain('[redacted]');
    expect(JSON.stringify(c)).not.toContain(TOKEN);
  });

  describe('findOrderByExternalId', () => {
    it('walks the pages newest first until it finds the order', async () => {
      const page1 = Array.from({ length: 10 }, (_, i) => recordedOrder(`p1-${i}`, `other-${i}`));
      const page2 = [recordedOrder('p2-0', 'other-x'), { ...recordedOrder('wanted', 'ord_01HZX3'), external_id: 'ord_01HZX3' }];
      const { fetchImpl, calls } = fakeFetch(
        () => json(200, page(1, 3, page1)),
        () => json(200, page(2, 3, page2)),
      );

      const found = await client(fetchImpl).findOrderByExternalId('ord_01HZX3');

      expect(found?.id).toBe('wanted');
      expect(calls.map((c) => c.url)).toEqual([
        `${BASE_URL}/v1/shops/${SHOP_ID}/orders.json?page=1&limit=10`,
        `${BASE_URL}/v1/shops/${SHOP_ID}/orders.json?page=2&limit=10`,
      ]);
    });

    it('also matches metadata.shop_order_id (how Printify reports an API order external id)', async () => {
      const order = recordedOrder('via-metadata', 'ord_42');
      const { fetchImpl } = fakeFetch(() => json(200, page(1, 1, [order])));
      expect((await client(fetchImpl).findOrderByExternalId('ord_42'))?.id).toBe('via-metadata');
    });

    it('stops at the last page and returns undefined', async () => {
      const { fetchImpl, calls } = fakeFetch(
        () =>
          json(
            200,
            page(
              1,
              2,
              Array.from({ length: 10 }, (_, i) => recordedOrder(`a${i}`, `x${i}`)),
            ),
          ),
        () => json(200, page(2, 2, [recordedOrder('b', 'y')])),
      );
      expect(await client(fetchImpl).findOrderByExternalId('missing')).toBeUndefined();
      expect(calls).toHaveLength(2);
    });

    it('reads at most maxPages pages', async () => {
      const full = (p: number) => () =>
        json(
          200,
          page(
            p,
            100,
            Array.from({ length: 10 }, (_, i) => recordedOrder(`${p}-${i}`, `x${p}-${i}`)),
          ),
        );
      const { fetchImpl, calls } = fakeFetch(full(1), full(2), full(3));
      expect(await client(fetchImpl).findOrderByExternalId('missing', { maxPages: 3 })).toBeUndefined();
      expect(calls).toHaveLength(3);
    });

    it('stops starting pages once its deadline has passed, naming the page to continue from', async () => {
      const full = (p: number) => () =>
        json(
          200,
          page(
            p,
            100,
            Array.from({ length: 10 }, (_, i) => recordedOrder(`${p}-${i}`, `x${p}-${i}`)),
          ),
        );
      const { fetchImpl, calls } = fakeFetch(full(7));
      // a deadline already passed still reads one page, so that every attempt makes progress
      const paused = await client(fetchImpl)
        .findOrderByExternalId('missing', { fromPage: 7, maxPages: 100, deadline: 0 })
        .catch((error: unknown) => error);
      expect(paused).toBeInstanceOf(PrintifyLookupPaused);
      expect((paused as PrintifyLookupPaused).nextPage).toBe(8);
      expect(calls.map((c) => c.url)).toEqual([`${BASE_URL}/v1/shops/${SHOP_ID}/orders.json?page=7&limit=10`]);
    });

    describe('back to the first attempt (createdSince)', () => {
      const at = (p: number, i: number) => new Date(Date.UTC(2026, 10, 26, 12, 0, 0) - (p * 10 + i) * 60_000);
      const printifyTime = (d: Date) => `${d.toISOString().slice(0, 19).replace('T', ' ')}+00:00`;
      const fullPage =
        (p: number, last = 1000) =>
        () =>
          json(
            200,
            page(
              p,
              last,
              Array.from({ length: 10 }, (_, i) => ({ ...recordedOrder(`${p}-${i}`, `x${p}-${i}`), created_at: printifyTime(at(p, i)) })),
            ),
          );

      it('reads past five pages when a busy shop filled them since the attempt', async () => {
        const responders = Array.from({ length: 8 }, (_, p) => fullPage(p + 1));
        const { fetchImpl, calls } = fakeFetch(...responders);
        const wanted = await client(fetchImpl).findOrderByExternalId('x8-3', { createdSince: at(8, 3) });
        expect(wanted?.id).toBe('8-3');
        expect(calls).toHaveLength(8);
      });

      it('stops at the first page that reaches back before the attempt (with ten minutes for clock skew)', async () => {
        const { fetchImpl, calls } = fakeFetch(...Array.from({ length: 10 }, (_, p) => fullPage(p + 1)));
        // the attempt was at page 3's first order; ten minutes earlier is page 4's first order
        expect(await client(fetchImpl).findOrderByExternalId('missing', { createdSince: at(3, 0) })).toBeUndefined();
        expect(calls).toHaveLength(4);
      });

      it('says it could not look far enough instead of answering "not there"', async () => {
        const { fetchImpl } = fakeFetch(fullPage(1), fullPage(2));
        const err = await caught(client(fetchImpl).findOrderByExternalId('missing', { createdSince: at(50, 0), maxPages: 2 }));
        expect(err).toMatchObject({ kind: 'lookup_incomplete', retryable: false });
      });
    });

    it('propagates a retryable error from a page', async () => {
      const { fetchImpl } = fakeFetch(() => json(502, { message: 'Bad gateway' }));
      const err = await caught(client(fetchImpl).findOrderByExternalId('x'));
      expect(err).toMatchObject({ status: 502, retryable: true });
    });
  });
});

describe('PrintifyClient: field errors kept for the operator', () => {
  it('splits a reason of several "field: message." sentences into one entry per field', async () => {
    const body = {
      status: 'error',
      code: 8150,
      message: 'Validation failed.',
      errors: {
        reason: 'address_to.zip: The address_to.zip field is required. line_items.0.variant_id: The variant is not available.',
        code: 8150,
      },
    };
    const { fetchImpl } = fakeFetch(() => json(400, body));
    const err = await caught(client(fetchImpl).createOrder(ORDER_REQUEST));
    expect(err.fieldErrors).toEqual([
      'address_to.zip: The address_to.zip field is required.',
      'line_items.0.variant_id: The variant is not available.',
    ]);
  });

  it('reads Laravel-style {errors: {field: [messages]}} too', async () => {
    const { fetchImpl } = fakeFetch(() =>
      json(422, {
        message: 'The given data was invalid.',
        errors: { 'address_to.country': ['The selected country is invalid.'], external_id: ['Taken.', 'Too long.'] },
      }),
    );
    const err = await caught(client(fetchImpl).createOrder(ORDER_REQUEST));
    expect(err.retryable).toBe(false);
    expect(err.fieldErrors).toEqual([
      'address_to.country: The selected country is invalid.',
      'external_id: Taken.',
      'external_id: Too long.',
    ]);
  });

  it('has no field errors for a reason that names no field, or a non-JSON body', async () => {
    const { fetchImpl } = fakeFetch(
      () =>
        json(400, {
          status: 'error',
          code: 8502,
          message: 'Operation failed.',
          errors: { reason: 'Not allowed to send order to production with status canceled.', code: 8502 },
        }),
      () => new Response('<html>Bad gateway</html>', { status: 502 }),
    );
    const c = client(fetchImpl);
    expect((await caught(c.sendToProduction('o1'))).fieldErrors).toEqual([]);
    expect((await caught(c.getOrder('o1'))).fieldErrors).toEqual([]);
  });
});

describe('PrintifyClient: webhooks', () => {
  const WEBHOOK = {
    topic: 'order:shipment:created',
    url: 'https://abc.execute-api.eu-west-1.amazonaws.com/webhooks/printify',
    shop_id: SHOP_ID,
    id: '5cb87a8cd490a2ccb256cec4',
  };

  it('creates a webhook with its topic, URL and signing secret (POST webhooks.json)', async () => {
    const { fetchImpl, calls } = fakeFetch(() => json(200, WEBHOOK));
    const created = await client(fetchImpl).createWebhook({ topic: WEBHOOK.topic, url: WEBHOOK.url, secret: 's3cret' });
    expect(created).toEqual(WEBHOOK);
    expect(calls[0]).toMatchObject({
      method: 'POST',
      url: `${BASE_URL}/v1/shops/${SHOP_ID}/webhooks.json`,
      body: { topic: 'order:shipment:created', url: WEBHOOK.url, secret: 's3cret' },
    });
    expect(calls[0]?.headers['user-agent']).toBe('otakumori-order-pipeline/0.1');
  });

  it('lists webhooks and deletes one by id, naming the host as Printify asks', async () => {
    const { fetchImpl, calls } = fakeFetch(
      () => json(200, [WEBHOOK]),
      () => json(200, { id: WEBHOOK.id }),
    );
    const c = client(fetchImpl);
    expect(await c.listWebhooks()).toEqual([WEBHOOK]);
    await c.deleteWebhook(WEBHOOK.id, 'abc.execute-api.eu-west-1.amazonaws.com');
    expect(calls.map((call) => `${call.method} ${call.url}`)).toEqual([
      `GET ${BASE_URL}/v1/shops/${SHOP_ID}/webhooks.json`,
      `DELETE ${BASE_URL}/v1/shops/${SHOP_ID}/webhooks/${WEBHOOK.id}.json?host=abc.execute-api.eu-west-1.amazonaws.com`,
    ]);
  });

  it('treats a webhook list that is not an array as a retryable invalid response', async () => {
    const { fetchImpl } = fakeFetch(() => json(200, { data: [] }));
    expect(await caught(client(fetchImpl).listWebhooks())).toMatchObject({ kind: 'invalid_response', retryable: true });
  });
});
