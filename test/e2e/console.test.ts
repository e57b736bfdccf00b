import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { keys } from '../../lambdas/domain/keys';
import { reconcileCommand } from '../../local/console/actions';
import { checkoutSession, stripeEvent } from '../fixtures/stripe-events';
import { LocalPipeline } from '../support/local-pipeline';

/**
 * The local console in a real browser: Playwright driving Debian's chromium (/usr/bin/chromium;
 * .ci/run installs it) against the whole local stack. Each page is opened and checked, each action
 * is taken through its form, and a screenshot of each page is saved under
 * bench-results/screenshots/ (gitignored).
 */

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const SCREENSHOTS = path.join(__dirname, '..', '..', 'bench-results', 'screenshots');

let pipeline: LocalPipeline;
let browser: BrowserContext;
let profile: string;
let base: string;
const saved: string[] = [];
/** requests a page made to anything but the console (it must work offline) */
const offsite: string[] = [];

beforeAll(async () => {
  if (!existsSync(CHROMIUM))
    throw new Error(`no chromium at ${CHROMIUM}: apt-get install -y chromium (as .ci/run does), or set CHROMIUM_PATH`);
  pipeline = await LocalPipeline.start();
  base = pipeline.stack.urls.api;
  profile = mkdtempSync(path.join(tmpdir(), 'console-chromium-'));
  browser = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
    viewport: { width: 1400, height: 900 },
  });
  mkdirSync(SCREENSHOTS, { recursive: true });
}, 120_000);

// the console works offline: a request that leaves the console fails the test that made it
afterEach(() => expect(offsite.splice(0)).toEqual([]));

afterAll(async () => {
  await browser?.close();
  if (profile) rmSync(profile, { recursive: true, force: true });
  await pipeline?.stop();
  if (saved.length) console.log(`console screenshots:\n${saved.map((s) => `  ${s}`).join('\n')}`);
});

async function open(url: string): Promise<Page> {
  const page = await browser.newPage();
  page.on('request', (request) => {
    if (!/^(about|data):/.test(request.url()) && !request.url().startsWith(`${base}/`)) offsite.push(request.url());
  });
  await page.goto(`${base}${url}`);
  return page;
}

async function screenshot(page: Page, name: string): Promise<void> {
  const file = path.join(SCREENSHOTS, `console-${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  saved.push(path.relative(process.cwd(), file));
}

/** Sends a test event through the console's form; resolves on the page it lands on. */
async function sendFromForm(
  page: Page,
  type: string,
  fill: { unmapped?: boolean; ship?: boolean; user?: string; order?: string } = {},
): Promise<void> {
  await page.goto(`${base}/send`);
  await page.selectOption('#send-event select[name=type]', type);
  if (fill.order) await page.fill('#send-event input[name=order]', fill.order);
  if (fill.user) await page.fill('#send-event input[name=user]', fill.user);
  if (fill.unmapped) await page.check('#send-event input[name=unmapped]');
  if (fill.ship) await page.check('#send-event input[name=ship]');
  await Promise.all([
    page.waitForURL((url) => url.pathname !== '/send' || url.searchParams.has('error')),
    page.click('#send-event button[type=submit]'),
  ]);
}

const orderIdIn = (page: Page) => decodeURIComponent(/\/orders\/([^/?]+)/.exec(page.url())?.[1] ?? '');

describe('the console page', () => {
  it('is served at / on the API port, next to the webhook routes, quickly and with its own htmx', async () => {
    const started = Date.now();
    const response = await fetch(`${base}/`);
    expect(response.status).toBe(200);
    expect(await response.text()).toContain('<script src="/assets/htmx.min.js">');
    expect(Date.now() - started).toBeLessThan(1000);
    expect((await fetch(`${base}/assets/htmx.min.js`)).status).toBe(200);
    const icon = await fetch(`${base}/favicon.ico`);
    expect({ status: icon.status, type: icon.headers.get('content-type') }).toEqual({ status: 200, type: 'image/svg+xml' });
    expect((await fetch(`${base}/health`)).status).toBe(200);
    expect((await fetch(`${base}/webhooks/stripe`)).status).toBe(405);
    expect((await fetch(`${base}/no-such-page`)).status).toBe(404);
  });

  it('sends a test event from the form and shows the order: amounts, items, address, Printify and its webhooks, petals, the emails and its execution', async () => {
    const page = await open('/send');
    await sendFromForm(page, 'checkout.session.completed', { ship: true });
    expect(page.url()).toContain('/orders/');
    await expect(page.locator('.flash.notice').textContent()).resolves.toMatch(/checkout\.session\.completed evt_\w+: execution SUCCEEDED/);
    const orderId = orderIdIn(page);
    await expect(page.locator('#order-status').textContent()).resolves.toBe('shipped');
    await expect(page.locator('#printify').textContent()).resolves.toContain('trackingNumber');
    await expect(page.locator('#printify-webhooks tbody').textContent()).resolves.toMatch(
      /order:sent-to-production[\s\S]*order:shipment:created/,
    );
    await expect(page.locator('#history').textContent()).resolves.toContain('shipped');
    await expect(page.locator('#order-facts').textContent()).resolves.toContain('$49.99');
    await expect(page.locator('#items tbody tr').count()).resolves.toBe(2);
    await expect(page.locator('#order-facts address').textContent()).resolves.toMatch(/\S/);
    await expect(page.locator('#printify').textContent()).resolves.toMatch(/Printify order\s*\w+/);
    await expect(page.locator('#petal-balance').textContent()).resolves.toBe('49');
    await expect(page.locator('#ledger').textContent()).resolves.toContain('Purchase bonus');
    await expect(page.locator('#order-executions tbody tr').count()).resolves.toBe(1);
    // the email, rendered in a sandboxed iframe (no scripts, no same-origin access)
    const frame = page.locator('iframe.email').first();
    await expect(frame.getAttribute('sandbox')).resolves.toBe('');
    await frame.scrollIntoViewIfNeeded(); // painted before the full-page screenshot
    await expect(page.frameLocator('iframe.email').first().locator('body').textContent()).resolves.toContain(orderId);
    await expect(page.locator('#emails h3').allTextContents()).resolves.toEqual([
      `Otaku-mori: order ${orderId} confirmed`,
      `Otaku-mori: order ${orderId} has shipped`,
    ]);
    await screenshot(page, 'order');
    await page.close();
  });

  it('lists events as they arrive, without reloading (htmx), with their outcome and execution status', async () => {
    const page = await open('/');
    await page.evaluate(() => Object.assign(globalThis, { notReloaded: true }));
    const order = await pipeline.storefront.checkoutScene();
    const event = stripeEvent(
      'checkout.session.completed',
      checkoutSession({ orderId: order.orderId, userId: order.userId, amountTotal: order.amountTotal }),
    );
    await pipeline.deliver(event);
    const row = page.locator(`tr[data-event="${event.id}"]`);
    await row.waitFor({ timeout: 10_000 });
    await expect(row.textContent()).resolves.toContain(order.orderId);
    await expect(row.textContent()).resolves.toContain('checkout.session.completed');
    await expect(row.locator('.execution-status').textContent()).resolves.toBe('SUCCEEDED');
    await expect(row.textContent()).resolves.toContain('started');
    await expect(page.evaluate(() => (globalThis as { notReloaded?: boolean }).notReloaded)).resolves.toBe(true);
    await page.close();
  });

  it('filters executions by status, workflow and order', async () => {
    const page = await open('/send');
    await sendFromForm(page, 'payment_intent.payment_failed');
    const orderId = orderIdIn(page);
    await page.goto(`${base}/executions`);
    await page.selectOption('select[name=workflow]', 'paymentFailed');
    await page.selectOption('select[name=status]', 'SUCCEEDED');
    await Promise.all([page.waitForURL(/workflow=paymentFailed/), page.click('form.filters button')]);
    const rows = page.locator('#executions tbody tr');
    await expect(rows.count()).resolves.toBeGreaterThanOrEqual(1);
    for (const text of await rows.allTextContents()) expect(text).toMatch(/paymentFailed\s*SUCCEEDED/);
    await screenshot(page, 'executions-filtered');

    await page.fill('input[name=order]', orderId);
    await page.selectOption('select[name=workflow]', '');
    await page.selectOption('select[name=status]', '');
    await Promise.all([page.waitForURL(/order=/), page.click('form.filters button')]);
    await expect(rows.count()).resolves.toBe(1);
    await expect(rows.first().textContent()).resolves.toContain(orderId);
    await page.goto(`${base}/executions?status=FAILED&workflow=paymentFailed&order=${orderId}`);
    await expect(rows.first().textContent()).resolves.toContain('No executions match');
    await page.close();
  });

  it("draws an execution's state machine with states coloured by outcome, and its timeline", async () => {
    pipeline.stack.printify.fail({ status: 503, times: 1 }); // Printify unavailable once: the task is retried
    const page = await open('/send');
    await sendFromForm(page, 'checkout.session.completed');
    await Promise.all([page.waitForURL(/\/executions\/view/), page.click('#order-executions tbody tr a')]);
    const state = (name: string) => page.locator(`svg.state-machine g.state[data-state="${name}"]`);
    await expect(page.locator('svg.state-machine g.state').count()).resolves.toBeGreaterThan(5);
    await expect(state('Record payment').getAttribute('data-outcome')).resolves.toBe('succeeded');
    await expect(state('Create Printify order').getAttribute('data-outcome')).resolves.toBe('retried');
    await expect(state('Fulfil').getAttribute('class')).resolves.toContain('compound');
    await expect(page.locator('svg.state-machine g.state[data-outcome="not-reached"]').count()).resolves.toBeGreaterThan(0);
    await expect(page.locator('svg.state-machine path.edge').count()).resolves.toBeGreaterThan(5);
    // the timeline: attempts, timing, input and output of each state
    const step = page.locator('#timeline tr[data-step="Create Printify order"]');
    await expect(step.locator('td').nth(3).textContent()).resolves.toMatch(/^2/);
    await step.locator('summary', { hasText: 'input' }).click();
    await expect(step.locator('pre').first().textContent()).resolves.toContain('orderId');
    await expect(page.locator('#timeline tr[data-step="Record payment"] td').nth(5).textContent()).resolves.toMatch(/\d+ ms|s$/);
    await screenshot(page, 'execution');
    await page.close();
  });

  it('follows a running execution live until it stops', async () => {
    pipeline.stack.printify.fail({ delayMs: 2500 }); // Printify is slow once: the execution runs for a while
    const order = await pipeline.storefront.checkoutScene();
    const event = stripeEvent(
      'checkout.session.completed',
      checkoutSession({ orderId: order.orderId, userId: order.userId, amountTotal: order.amountTotal }),
    );
    const sent = await pipeline.send(event);
    const page = await open(`/executions/view?arn=${encodeURIComponent(String(sent.body.executionArn))}`);
    await page.evaluate(() => Object.assign(globalThis, { notReloaded: true }));
    await expect(page.locator('#execution-detail').getAttribute('data-status')).resolves.toBe('RUNNING');
    await page.locator('svg.state-machine g.state[data-outcome="running"]').first().waitFor();
    await page.locator('#execution-detail[data-status="SUCCEEDED"]').waitFor({ timeout: 15_000 });
    await expect(page.locator('svg.state-machine g.state[data-outcome="running"]').count()).resolves.toBe(0);
    await expect(page.evaluate(() => (globalThis as { notReloaded?: boolean }).notReloaded)).resolves.toBe(true);
    await page.close();
  });

  it('replays an event: a new execution with the same input', async () => {
    const page = await open('/send');
    await sendFromForm(page, 'checkout.session.completed');
    await Promise.all([page.waitForURL(/\/executions\/view/), page.click('#order-executions tbody tr a')]);
    const name = (await page.locator('h1').textContent())!.replace('Execution ', '');
    await Promise.all([page.waitForURL(/replay-1/), page.click('form.action[action="/actions/replay"] button')]);
    await expect(page.locator('.flash.notice').textContent()).resolves.toMatch(new RegExp(`Replayed: ${name}-replay-1 .*SUCCEEDED`));
    await expect(page.locator('h1').textContent()).resolves.toBe(`Execution ${name}-replay-1`);
    const original = pipeline.stack.stepFunctions.listExecutions().find((e) => e.name === name)!;
    const replayed = pipeline.stack.stepFunctions.listExecutions().find((e) => e.name === `${name}-replay-1`)!;
    expect(JSON.parse(replayed.input)).toEqual(JSON.parse(original.input));
    await page.close();
  });

  it('redrives a failed execution once its cause is fixed', async () => {
    const userId = `user_console_${Date.now()}`;
    await pipeline.db.send(
      new PutCommand({ TableName: pipeline.stack.tableName, Item: { ...keys.petalBalance(userId), balance: 'corrupt' } }),
    );
    const page = await open('/send');
    await sendFromForm(page, 'invoice.payment_succeeded', { user: userId });
    await expect(page.locator('#execution-status').textContent()).resolves.toContain('FAILED');
    await expect(page.locator('svg.state-machine g.state[data-outcome="failed"]').count()).resolves.toBeGreaterThan(0);
    await screenshot(page, 'execution-failed');

    await pipeline.db.send(new PutCommand({ TableName: pipeline.stack.tableName, Item: { ...keys.petalBalance(userId), balance: 0 } }));
    await Promise.all([page.waitForURL(/notice=Redriven/), page.click('form.action[action="/actions/redrive"] button')]);
    await expect(page.locator('#execution-status').textContent()).resolves.toMatch(/SUCCEEDED\s*redriven 1×/);
    await expect(pipeline.balance(userId)).resolves.toBe(9);
    await page.close();
  });

  it('retries a mapping: an order waiting for a product mapping is fulfilled once the mapping exists', async () => {
    const page = await open('/send');
    await sendFromForm(page, 'checkout.session.completed', { unmapped: true });
    await expect(page.locator('#order-status').textContent()).resolves.toBe('pending_mapping');
    await expect(page.locator('#order-facts').textContent()).resolves.toContain('prod_unmapped_poster/A2');
    await pipeline.storefront.putMapping({
      productId: 'prod_unmapped_poster',
      variantId: 'A2',
      printifyProductId: '5d39b159e7c48c000728c8a0',
      printifyVariantId: 11,
    });
    await Promise.all([page.waitForURL(/notice=/), page.click('form.action[action="/actions/retry-mapping"] button')]);
    await expect(page.locator('.flash.notice').textContent()).resolves.toMatch(/pending_mapping -> in_production/);
    await expect(page.locator('#order-status').textContent()).resolves.toBe('in_production');
    const orderId = orderIdIn(page);
    await page.goto(`${base}/orders`);
    await expect(page.locator(`#orders tr[data-order="${orderId}"]`).textContent()).resolves.toContain('in_production');
    await expect(page.locator('#orders tbody tr').count()).resolves.toBeGreaterThan(3);
    await screenshot(page, 'orders');
    await page.goto(`${base}/send`);
    await screenshot(page, 'send');
    await page.close();
  });

  it('says what went wrong when an action is refused, and refuses actions from other origins', async () => {
    const page = await open('/send');
    await sendFromForm(page, 'charge.refunded', { order: 'ord_missing' });
    await expect(page.locator('.flash.error').textContent()).resolves.toContain('order ord_missing not found');
    await page.close();

    const form = {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'type=checkout.session.completed',
    } as const;
    const foreign = await fetch(`${base}/actions/trigger`, { ...form, headers: { ...form.headers, origin: 'http://evil.example' } });
    expect(foreign.status).toBe(403);
    const noOrigin = await fetch(`${base}/actions/trigger`, form);
    expect(noOrigin.status).toBe(403);
    const own = await fetch(`${base}/actions/trigger`, { ...form, body: 'type=nope', headers: { ...form.headers, origin: base } });
    expect(own.status).toBe(303);
    expect(new URL(own.headers.get('location') ?? '', base).searchParams.get('error')).toBe('unknown event type "nope"');
    await expect(fetch(`${base}/orders/ord_missing`).then((r) => r.status)).resolves.toBe(404);
  });

  it('reconciles through `npm run ops -- reconcile` where this checkout has it, and says so where it has not', async () => {
    const page = await open('/');
    if (!reconcileCommand()) {
      await expect(page.locator('#reconcile').textContent()).resolves.toContain('Reconcile is not offered');
      await expect(page.locator('#reconcile form').count()).resolves.toBe(0);
    } else {
      await page.check('#reconcile input[name=dryRun]');
      await Promise.all([page.waitForURL(/notice=/), page.click('#reconcile button')]);
      await expect(page.locator('.flash.notice').textContent()).resolves.toMatch(/^Reconcile \(dry run\): /);
    }
    await page.close();
  });

  it('answers every page within a second, with everything the tests above left in it', async () => {
    const execution = pipeline.stack.stepFunctions.listExecutions()[0]!;
    const orderId = JSON.parse(execution.input).orderId as string;
    for (const url of [
      '/',
      '/executions',
      '/orders',
      '/send',
      `/orders/${orderId}`,
      `/executions/view?arn=${encodeURIComponent(execution.executionArn)}`,
    ]) {
      const started = Date.now();
      const response = await fetch(`${base}${url}`);
      await response.text();
      expect({ url, status: response.status, fast: Date.now() - started < 1000 }).toEqual({ url, status: 200, fast: true });
    }
    // the lists once every test above has added to them
    const page = await open('/');
    await screenshot(page, 'events');
    await page.goto(`${base}/executions`);
    await screenshot(page, 'executions');
    await page.close();
  });
});
