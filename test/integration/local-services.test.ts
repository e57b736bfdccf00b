/**
 * The local services that `npm start` and the end-to-end tests run on: DynamoDB Local (a real
 * JVM), aws-ses-v2-local and the Printify stand-in, each exercised through the real clients.
 */
import { execFileSync } from 'node:child_process';
import http from 'node:http';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { CreateTableCommand, DynamoDBClient, GetItemCommand, ListTablesCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { SESClient, SendEmailCommand } from '@aws-sdk/client-ses';
import { freePort, startDynamoDbLocal, type DynamoDbLocalService } from '../../local/dynamodb-local';
import { startSesLocal, type SesLocal } from '../../local/ses-local';
import { startPrintifyStandIn, type PrintifyStandIn } from '../../local/printify';
import { PrintifyApiError, PrintifyClient, type CreatePrintifyOrderRequest } from '../../lambdas/adapters/printify-client';
import { eventually } from '../support/eventually';

function dynamo(url: string, region: string, accessKeyId: string): DynamoDBClient {
  return new DynamoDBClient({ endpoint: url, region, credentials: { accessKeyId, secretAccessKey: 'x' }, maxAttempts: 1 });
}

/** True while any process of the group `pgid` exists. */
function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch (err) {
    expect((err as NodeJS.ErrnoException).code).toBe('ESRCH');
    return false;
  }
}

/** Command lines of the java processes that mention this port (not their watchdog's). */
function javaOnPort(port: number): string[] {
  const out = execFileSync('ps', ['-eo', 'pid=,pgid=,args='], { encoding: 'utf8' });
  return out
    .split('\n')
    .filter(
      (line) => /^\s*\d+\s+\d+\s+java\s/.test(line) && line.includes('DynamoDBLocal.jar') && new RegExp(`-port ${port}(\\s|$)`).test(line),
    );
}

async function createAndUseTable(service: DynamoDbLocalService, table: string): Promise<void> {
  // Different credentials and regions on purpose: -sharedDb means they all see the same tables.
  // (DynamoDB Local 2+ only accepts access key ids made of letters and digits.)
  const writer = dynamo(service.url, 'us-east-1', 'writer');
  const reader = dynamo(service.url, 'eu-west-3', 'someoneElse');
  try {
    await writer.send(
      new CreateTableCommand({
        TableName: table,
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: [
          { AttributeName: 'pk', AttributeType: 'S' },
          { AttributeName: 'sk', AttributeType: 'S' },
        ],
        KeySchema: [
          { AttributeName: 'pk', KeyType: 'HASH' },
          { AttributeName: 'sk', KeyType: 'RANGE' },
        ],
      }),
    );
    await writer.send(
      new PutItemCommand({
        TableName: table,
        Item: { pk: { S: 'ORDER#o-1' }, sk: { S: 'ORDER' }, status: { S: 'paid' }, amountTotal: { N: '4999' } },
      }),
    );
    const got = await reader.send(
      new GetItemCommand({ TableName: table, Key: { pk: { S: 'ORDER#o-1' }, sk: { S: 'ORDER' } }, ConsistentRead: true }),
    );
    expect(got.Item).toEqual({ pk: { S: 'ORDER#o-1' }, sk: { S: 'ORDER' }, status: { S: 'paid' }, amountTotal: { N: '4999' } });
  } finally {
    writer.destroy();
    reader.destroy();
  }
}

describe('DynamoDB Local', () => {
  const started: DynamoDbLocalService[] = [];
  afterAll(async () => {
    await Promise.all(started.map((s) => s.stop()));
  });

  it('runs in memory with -sharedDb, and stop() leaves no process of its group behind', async () => {
    const port = await freePort();
    const service = await startDynamoDbLocal({ port });
    started.push(service);
    expect(service.url).toBe(`http://127.0.0.1:${port}`);
    expect(groupAlive(service.pid)).toBe(true);
    const running = javaOnPort(port);
    expect(running).toHaveLength(1);
    expect(running[0]).toContain('-inMemory');
    expect(running[0]).toContain('-sharedDb');
    expect(running[0]).toContain('-disableTelemetry');
    // no web page but the local console's origin may call it from a browser
    expect(running[0]).toContain('-cors http://127.0.0.1');

    await createAndUseTable(service, 'otakumori-orders');

    await service.stop();
    expect(groupAlive(service.pid)).toBe(false);
    expect(javaOnPort(port)).toEqual([]);
    await expect(service.stop()).resolves.toBeUndefined(); // idempotent
    // Nothing answers on the port any more.
    const client = dynamo(service.url, 'us-east-1', 'x');
    await expect(client.send(new ListTablesCommand({}))).rejects.toThrow();
    client.destroy();
  });

  it('keeps data in dataPath across restarts', async () => {
    const dir = path.join(mkdtempSync(path.join(os.tmpdir(), 'ddb-local-')), 'nested', 'data');
    try {
      const port = await freePort();
      const first = await startDynamoDbLocal({ port, dataPath: dir });
      started.push(first);
      expect(javaOnPort(port)[0]).toContain(`-dbPath ${dir}`);
      await createAndUseTable(first, 'persisted');
      await first.stop();
      expect(readdirSync(dir).some((f) => f.endsWith('.db'))).toBe(true);

      const second = await startDynamoDbLocal({ port, dataPath: dir });
      started.push(second);
      const client = dynamo(second.url, 'ap-northeast-1', 'another');
      const tables = await client.send(new ListTablesCommand({}));
      client.destroy();
      expect(tables.TableNames).toEqual(['persisted']);
      await second.stop();
      expect(groupAlive(second.pid)).toBe(false);
    } finally {
      rmSync(path.dirname(path.dirname(dir)), { recursive: true, force: true });
    }
  });

  it('reclaims the DynamoDB Local its pid file names when its watchdog is gone, and refuses a port held by anything else', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'ddb-pid-'));
    const pidFile = path.join(dir, 'dynamodb-local.pid');
    try {
      const port = await freePort();
      const first = await startDynamoDbLocal({ port, pidFile, corsOrigins: ['http://localhost:3000'] });
      started.push(first);
      expect(JSON.parse(readFileSync(pidFile, 'utf8'))).toEqual({ pid: first.pid, port });
      expect(javaOnPort(port)[0]).toContain('-cors http://localhost:3000');
      // the watchdog alone is killed: its JVM is orphaned and keeps the port, as after a kill -9 of the group leader
      process.kill(first.pid, 'SIGKILL');
      expect(javaOnPort(port)).toHaveLength(1);

      const second = await startDynamoDbLocal({ port, pidFile });
      started.push(second);
      expect(javaOnPort(port)).toHaveLength(1);
      // the killed watchdog lingers as a zombie until Node reaps it: poll, with a deadline
      await eventually('the first group to be gone', () => !groupAlive(first.pid), { timeoutMs: 10_000 });
      await createAndUseTable(second, 'reclaimed');
      await second.stop();
      expect(existsSync(pidFile)).toBe(false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('fails fast with a clear message when its port is taken', async () => {
    const blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen(0, resolve));
    const { port } = blocker.address() as net.AddressInfo;
    try {
      await expect(startDynamoDbLocal({ port })).rejects.toThrow(`port ${port} is already in use`);
      expect(javaOnPort(port)).toEqual([]);
    } finally {
      await new Promise((resolve) => blocker.close(resolve));
    }
  });
});

describe('local SES', () => {
  let ses: SesLocal;
  let port: number;
  beforeAll(async () => {
    port = await freePort();
    ses = await startSesLocal({ port });
  });
  afterAll(async () => {
    await ses.stop();
  });

  it('receives mail sent with the real SES client and returns it through sentEmails()', async () => {
    await ses.clear();
    const client = new SESClient({
      endpoint: ses.url,
      region: 'us-east-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
    const sent = await client.send(
      new SendEmailCommand({
        Source: 'orders@otaku-mori.example',
        Destination: { ToAddresses: ['hinata@example.com'] },
        Message: {
          Subject: { Data: 'Your Otaku-mori order o-1 is confirmed' },
          Body: { Html: { Data: '<p>Thanks!</p>' }, Text: { Data: 'Thanks!' } },
        },
      }),
    );
    client.destroy();
    expect(sent.MessageId).toEqual(expect.any(String));

    const emails = await ses.sentEmails();
    expect(emails).toHaveLength(1);
    expect(emails[0]).toEqual({
      messageId: sent.MessageId,
      from: 'orders@otaku-mori.example',
      to: ['hinata@example.com'],
      subject: 'Your Otaku-mori order o-1 is confirmed',
      html: '<p>Thanks!</p>',
      text: 'Thanks!',
      at: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
    });
    expect(Math.abs(Date.parse(emails[0]?.at ?? '') - Date.now())).toBeLessThan(60_000);

    await ses.clear();
    expect(await ses.sentEmails()).toEqual([]);
  });

  it('known limitation: aws-ses-v2-local records only the first address of each v1 destination list', async () => {
    // Its SendEmail schema names only `Destination.ToAddresses.member.1`; zod drops member.2+.
    await ses.clear();
    const client = new SESClient({
      endpoint: ses.url,
      region: 'us-east-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
    await client.send(
      new SendEmailCommand({
        Source: 'orders@otaku-mori.example',
        Destination: { ToAddresses: ['first@example.com', 'second@example.com'] },
        Message: { Subject: { Data: 'two recipients' }, Body: { Text: { Data: 'hi' } } },
      }),
    );
    client.destroy();
    const [email] = await ses.sentEmails();
    expect(email?.to).toEqual(['first@example.com']);
    await ses.clear();
  });

  it('refuses to start on a port that is taken', async () => {
    await expect(startSesLocal({ port })).rejects.toThrow(`port ${port} is already in use`);
  });
});

describe('Printify stand-in', () => {
  const TOKEN = 'local-printify-token';
  const SHOP_ID = '424242';
  let standIn: PrintifyStandIn;
  let printify: PrintifyClient;

  const orderRequest = (externalId: string): CreatePrintifyOrderRequest => ({
    external_id: externalId,
    label: `Otaku-mori ${externalId}`,
    line_items: [
      { product_id: '6650a1b2c3d4e5f601234567', variant_id: 17887, quantity: 2 },
      { product_id: '6650a1b2c3d4e5f601234568', variant_id: 45740, quantity: 1 },
    ],
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
  });

  const clientFor = (options: { token?: string; timeoutMs?: number } = {}): PrintifyClient =>
    new PrintifyClient({
      baseUrl: standIn.baseUrl,
      token: options.token ?? TOKEN,
      shopId: SHOP_ID,
      userAgent: 'otakumori-order-pipeline/test',
      ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
    });

  async function caught(promise: Promise<unknown>): Promise<PrintifyApiError> {
    try {
      await promise;
    } catch (err) {
      expect(err).toBeInstanceOf(PrintifyApiError);
      return err as PrintifyApiError;
    }
    throw new Error('expected the call to fail');
  }

  beforeAll(async () => {
    standIn = await startPrintifyStandIn({ port: await freePort(), token: TOKEN, shopId: SHOP_ID });
    printify = clientFor();
  });
  beforeEach(() => standIn.reset());
  afterAll(async () => {
    await standIn.stop();
  });

  it('creates, gets, lists, sends to production and cancels orders as Printify does', async () => {
    const { id } = await printify.createOrder(orderRequest('ord-1'));
    expect(id).toMatch(/^[0-9a-f]{24}$/);

    const order = await printify.getOrder(id);
    expect(order).toMatchObject({
      id,
      external_id: 'ord-1',
      status: 'on-hold',
      shipping_method: 1,
      address_to: orderRequest('ord-1').address_to,
      metadata: { order_type: 'api', shop_order_id: 'ord-1', shop_order_label: 'Otaku-mori ord-1' },
      total_tax: 0,
    });
    expect(order.line_items.map(({ product_id, variant_id, quantity }) => ({ product_id, variant_id, quantity }))).toEqual(
      orderRequest('ord-1').line_items,
    );
    expect(order.total_price).toBeGreaterThan(0);
    expect(order.created_at).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\+00:00$/);

    const page = await printify.listOrders();
    expect(page).toMatchObject({ current_page: 1, last_page: 1, per_page: 10, total: 1 });
    expect(page.data.map((o) => o.id)).toEqual([id]);

    const request = standIn.requests()[0];
    expect(request).toMatchObject({ method: 'POST', path: `/v1/shops/${SHOP_ID}/orders.json`, body: orderRequest('ord-1') });
    expect(request?.headers).toMatchObject({ authorization: `Bearer ${TOKEN}`, 'user-agent': 'otakumori-order-pipeline/test' });

    await printify.sendToProduction(id);
    expect((await printify.getOrder(id)).status).toBe('sending-to-production');
    const tooLate = await caught(printify.cancelOrder(id));
    expect(tooLate).toMatchObject({ status: 400, retryable: false, code: 8502 });
    const again = await caught(printify.sendToProduction(id));
    expect(again).toMatchObject({ status: 400, retryable: false });

    const { id: second } = await printify.createOrder(orderRequest('ord-2'));
    await printify.cancelOrder(second);
    expect((await printify.getOrder(second)).status).toBe('canceled');
    expect(standIn.orders().map((o) => [o.external_id, o.status])).toEqual([
      ['ord-1', 'sending-to-production'],
      ['ord-2', 'canceled'],
    ]);
  });

  it('lists newest first across pages, and findOrderByExternalId walks them', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 12; i += 1) ids.push((await printify.createOrder(orderRequest(`bulk-${i}`))).id);

    const first = await printify.listOrders(1);
    const second = await printify.listOrders(2);
    expect(first).toMatchObject({ current_page: 1, last_page: 2, total: 12, next_page_url: '/?page=2' });
    expect(first.data.map((o) => o.id)).toEqual(ids.slice(2).reverse());
    expect(second.data.map((o) => o.id)).toEqual(ids.slice(0, 2).reverse());

    expect((await printify.findOrderByExternalId('bulk-0'))?.id).toBe(ids[0]);
    expect((await printify.findOrderByExternalId('bulk-11'))?.id).toBe(ids[11]);
    expect(await printify.findOrderByExternalId('nope')).toBeUndefined();
    expect(await printify.findOrderByExternalId('bulk-0', { maxPages: 1 })).toBeUndefined();
  });

  it('finds an order whose answer was lost under 50 newer ones, searching back to its first attempt', async () => {
    const firstAttempt = new Date(Date.now() - 1000);
    const lost = await printify.createOrder(orderRequest('ord-answer-lost'));
    for (let i = 0; i < 50; i += 1) await printify.createOrder(orderRequest(`flash-${i}`));

    expect(await printify.findOrderByExternalId('ord-answer-lost')).toBeUndefined(); // five pages are not enough
    expect((await printify.findOrderByExternalId('ord-answer-lost', { createdSince: firstAttempt }))?.id).toBe(lost.id);
  });

  it('rejects bad tokens, missing User-Agent, unknown shops and unknown orders', async () => {
    const unauthorised = await caught(clientFor({ token: 'wrong' }).createOrder(orderRequest('x')));
    expect(unauthorised).toMatchObject({ status: 401, retryable: false });
    expect(unauthorised.message).not.toContain('wrong');

    const noUserAgent = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = http.request(
        `${standIn.baseUrl}/v1/shops/${SHOP_ID}/orders.json`,
        { method: 'GET', headers: { authorization: `Bearer ${TOKEN}` } },
        (res) => {
          let body = '';
          res.on('data', (c: Buffer) => (body += c.toString()));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
        },
      );
      req.on('error', reject);
      req.end();
    });
    expect(noUserAgent.status).toBe(400);
    expect(noUserAgent.body).toContain('User-Agent');

    const otherShop = await fetch(`${standIn.baseUrl}/v1/shops/999/orders.json`, {
      headers: { authorization: `Bearer ${TOKEN}`, 'user-agent': 'test' },
    });
    expect(otherShop.status).toBe(404);
    await otherShop.arrayBuffer();

    const missing = await caught(printify.getOrder('0123456789abcdef01234567'));
    expect(missing).toMatchObject({ status: 404, retryable: false });
    expect(standIn.orders()).toEqual([]);
  });

  it("validates the create body and answers with Printify's error shape", async () => {
    const bad = orderRequest('bad') as unknown as Record<string, any>;
    bad.line_items[0].quantity = 0;
    bad.address_to.zip = '';
    bad.address_to.country = 'United States';
    const err = await caught(printify.createOrder(bad as CreatePrintifyOrderRequest));
    expect(err).toMatchObject({ status: 400, code: 8150, retryable: false });
    expect(err.details).toEqual({
      status: 'error',
      code: 8150,
      message: 'Validation failed.',
      errors: { reason: expect.any(String), code: 8150 },
    });
    expect(err.message).toContain('line_items.0.quantity');
    expect(err.message).toContain('address_to.zip');
    expect(err.message).toContain('address_to.country');

    const empty = await caught(printify.createOrder({ ...orderRequest('e'), line_items: [] }));
    expect(empty.message).toContain('line_items: The line_items field is required');
    expect(standIn.orders()).toEqual([]);
  });

  it('a 429 fault fails one create (retryable), then the retry succeeds', async () => {
    standIn.fail({ status: 429 });
    const limited = await caught(printify.createOrder(orderRequest('ord-429')));
    expect(limited).toMatchObject({ status: 429, retryable: true, retryAfterSeconds: 1 });
    expect(standIn.orders()).toEqual([]);

    const { id } = await printify.createOrder(orderRequest('ord-429'));
    expect(standIn.orders().map((o) => o.id)).toEqual([id]);
  });

  it('times counts create requests; reads are not affected', async () => {
    standIn.fail({ status: 503, times: 2 });
    expect((await printify.listOrders()).total).toBe(0);
    expect(await caught(printify.createOrder(orderRequest('a')))).toMatchObject({ status: 503, retryable: true });
    expect(await caught(printify.createOrder(orderRequest('a')))).toMatchObject({ status: 503, retryable: true });
    await printify.createOrder(orderRequest('a'));
    expect(standIn.orders()).toHaveLength(1);
  });

  it('acceptThenDelayMs: the client times out (retryable) but the order exists', async () => {
    standIn.fail({ acceptThenDelayMs: 1_500 });
    const impatient = clientFor({ timeoutMs: 200 });
    const err = await caught(impatient.createOrder(orderRequest('ord-slow')));
    expect(err).toMatchObject({ kind: 'timeout', retryable: true });

    const orders = standIn.orders();
    expect(orders.map((o) => o.external_id)).toEqual(['ord-slow']);
    // The recovery path: look it up instead of creating a duplicate.
    expect((await printify.findOrderByExternalId('ord-slow'))?.id).toBe(orders[0]?.id);
  });

  it('delayMs with a status answers late with that error', async () => {
    standIn.fail({ status: 500, delayMs: 300, body: { message: 'boom' } });
    const started = Date.now();
    const err = await caught(printify.createOrder(orderRequest('late')));
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
    expect(err).toMatchObject({ status: 500, retryable: true, details: { message: 'boom' } });
  });

  it('is controllable over HTTP for out-of-process runs', async () => {
    const faultRes = await fetch(`${standIn.baseUrl}/__stand-in/faults`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ status: 502 }),
    });
    expect(faultRes.status).toBe(200);
    await faultRes.arrayBuffer();
    expect(await caught(printify.createOrder(orderRequest('h')))).toMatchObject({ status: 502, retryable: true });
    const { id } = await printify.createOrder(orderRequest('h'));

    const listed = (await (await fetch(`${standIn.baseUrl}/__stand-in/orders`)).json()) as Array<{ id: string }>;
    expect(listed.map((o) => o.id)).toEqual([id]);

    const bad = await fetch(`${standIn.baseUrl}/__stand-in/faults`, { method: 'POST', body: JSON.stringify({ status: 'x' }) });
    expect(bad.status).toBe(400);
    await bad.arrayBuffer();

    const resetRes = await fetch(`${standIn.baseUrl}/__stand-in/reset`, { method: 'POST' });
    expect(resetRes.status).toBe(200);
    await resetRes.arrayBuffer();
    expect(standIn.orders()).toEqual([]);
    expect(standIn.requests()).toEqual([]);
  });
});
