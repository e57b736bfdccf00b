// `npm run bench [-- --quick]`: measures the pipeline on this machine (the local stack, as `npm
// start` runs it) and prints a table; the figures go to bench-results/ as JSON. See docs/scaling.md.
import '../local/polyfills';
import { mkdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { PROJECT_ROOT } from '../lib/constructs/pipeline-function';
import { DEMO_MAPPINGS, newUserId, Storefront } from '../test/fixtures/storefront';
import {
  checkoutSession,
  paidInvoice,
  paymentIntent,
  refundedCharge,
  signedRequest,
  stripeEvent,
  stripeId,
} from '../test/fixtures/stripe-events';
import { DYNAMODB_LOCAL_CREDENTIALS, freePort, startDynamoDbLocal } from '../local/dynamodb-local';
import { LocalHttpApi } from '../local/http-api';
import { LocalLambda } from '../local/local-lambda';
import { startLocalStack, type RunningLocalStack } from '../local/local-stack';
import { LOCAL_REGION, readLocalStack, synthesizeTemplate } from '../local/stack-template';
import type { LocalExecution } from '../local/step-functions-service';
import type { Order } from '../lambdas/domain/order';
import type { WorkflowName } from '../lambdas/domain/stripe-events';
import { BASELINE, measureBundles, type BundleFigures } from './bench/bundles';
import {
  meterDelta,
  meterTotals,
  startDynamoDbMeter,
  type DynamoDbMeter,
  type MeterSnapshot,
  type MeterTotals,
} from './bench/dynamodb-meter';
import { processGroupCpuMs } from './bench/cpu';
import { printFlashSale, runFlashSale } from './bench/flash-sale';
import { ExecutionHold } from './bench/hold';
import { PRICES } from './bench/prices';
import { distribution, pool, round, type Distribution } from './bench/stats';

const { values: args } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    bundles: { type: 'boolean', default: false },
    'flash-sale': { type: 'boolean', default: false },
    orders: { type: 'string', default: '1000' },
    'auto-approval': { type: 'boolean', default: false },
    out: { type: 'string', default: path.join(PROJECT_ROOT, 'bench-results') },
    help: { type: 'boolean', short: 'h', default: false },
  },
});
if (args.help) {
  console.log(
    'usage: npm run bench [-- --quick] [--bundles] [--flash-sale [--orders N] [--auto-approval]] [--out <dir>]\n  --quick    a smaller run (about a third of the requests), for a smoke check\n  --bundles  only the Lambda bundles: sizes and cold import, now and before, side by side\n  --flash-sale  a drop at 10x the sale rate (default 1,000 orders) against the quota-enforcing stand-ins;\n             --auto-approval: the shop sends orders to production itself (1 Printify call each)',
  );
  process.exit(0);
}

const SIZES = args.quick
  ? {
      levels: [
        { concurrency: 1, requests: 40 },
        { concurrency: 16, requests: 128 },
        { concurrency: 64, requests: 256 },
      ],
      warmup: 16,
      isolated: 15,
      perWorkflow: 5,
      importRuns: 3,
    }
  : {
      levels: [
        { concurrency: 1, requests: 120 },
        { concurrency: 16, requests: 400 },
        { concurrency: 64, requests: 768 },
      ],
      warmup: 32,
      isolated: 40,
      perWorkflow: 15,
      importRuns: 5,
    };

let interrupted = false;
const log = (message: string) => process.stderr.write(`[bench] ${message}\n`);
const ms = (from: number) => performance.now() - from;

// ---------------------------------------------------------------------------------------------
// instrumentation (no pipeline code changes: wrappers around the running objects)

interface InvocationLog {
  durations: Map<string, number[]>;
}

function instrumentLambdas(lambdas: Iterable<LocalLambda>): InvocationLog {
  const durations = new Map<string, number[]>();
  for (const lambda of lambdas) {
    const name = lambda.fn.logicalId;
    durations.set(name, []);
    const invoke = lambda.invoke.bind(lambda);
    lambda.invoke = async (event: unknown) => {
      const start = performance.now();
      try {
        return await invoke(event);
      } finally {
        durations.get(name)!.push(performance.now() - start);
      }
    };
  }
  return { durations };
}

function invocationCounts(log: InvocationLog): Record<string, number> {
  return Object.fromEntries([...log.durations].map(([name, d]) => [name, d.length]));
}

const countDelta = (after: Record<string, number>, before: Record<string, number>) =>
  Object.fromEntries(
    Object.entries(after)
      .map(([k, v]) => [k, v - (before[k] ?? 0)])
      .filter(([, v]) => (v as number) > 0),
  );

const transitionsOf = (execution: LocalExecution) => execution.history.filter((h) => h.type.endsWith('StateEntered')).length;
const retriesOf = (execution: LocalExecution) => execution.history.filter((h) => h.type === 'TaskFailed').length;

// ---------------------------------------------------------------------------------------------
// load generation

interface Sender {
  url: string;
  secret: string;
}

/** POSTs the signed event; returns the answer's status and the time to the complete answer (ms). */
async function post(sender: Sender, event: unknown): Promise<{ status: number; ms: number; body: string }> {
  const request = signedRequest(event, sender.secret);
  const start = performance.now();
  const response = await fetch(sender.url, { method: 'POST', headers: request.headers, body: request.body });
  const body = await response.text();
  return { status: response.status, ms: performance.now() - start, body };
}

interface LevelResult {
  concurrency: number;
  requests: number;
  non200: number;
  latencyMs: Distribution;
  throughputPerSecond: number;
}

async function runLevel(
  sender: Sender,
  events: unknown[],
  concurrency: number,
  onAnswer?: (index: number, sentAt: number) => void,
): Promise<LevelResult> {
  const latencies: number[] = [];
  let non200 = 0;
  const start = performance.now();
  await pool(events, concurrency, async (event, index) => {
    const sentAt = Date.now();
    const answer = await post(sender, event);
    latencies.push(answer.ms);
    if (answer.status !== 200) non200++;
    onAnswer?.(index, sentAt);
  });
  const seconds = ms(start) / 1000;
  return {
    concurrency,
    requests: events.length,
    non200,
    latencyMs: distribution(latencies),
    throughputPerSecond: round(events.length / seconds, 1),
  };
}

// ---------------------------------------------------------------------------------------------

interface WorkflowFigures {
  scenario: string;
  workflow: WorkflowName;
  runs: number;
  statuses: Record<string, number>;
  stateTransitionsPerExecution: number;
  retriesPerExecution: number;
  lambdaInvocationsPerRun: Record<string, number>;
  /** mean local duration of each invocation, ms, by function */
  lambdaMeanMs: Record<string, number>;
  dynamodb: MeterTotals & { perRun: { readUnits: number; writeUnits: number; awsWriteUnits: number; requests: number } };
  dynamodbByOperation: MeterSnapshot;
  emailsPerRun: number;
  printifyRequestsPerRun: number;
}

async function main(): Promise<void> {
  if (args['flash-sale']) {
    const orders = Number(args.orders);
    if (!Number.isInteger(orders) || orders < 1) throw new Error(`--orders: a positive integer, not ${args.orders}`);
    printFlashSale(await runFlashSale({ orders, autoApproval: args['auto-approval'], outDir: path.resolve(args.out) }));
    return;
  }
  const startedAt = new Date();
  const outDir = path.resolve(args.out);
  mkdirSync(outDir, { recursive: true });
  const previous = existsSync(path.join(outDir, 'latest.json'))
    ? (JSON.parse(readFileSync(path.join(outDir, 'latest.json'), 'utf8')) as BenchResult)
    : undefined;

  log('synthesizing the stack');
  const template = synthesizeTemplate();
  const stackShape = readLocalStack(template, 'otakumori-orders');
  const memoryMb: Record<string, number> = {};
  for (const [logicalId, resource] of Object.entries(template.Resources)) {
    if (resource.Type === 'AWS::Lambda::Function') memoryMb[logicalId] = Number(resource.Properties?.MemorySize ?? 128);
  }

  log(`bundling each Lambda and timing its cold import, now and ${BASELINE.label}`);
  const bundles = await measureBundles(stackShape.functions, args.bundles ? 9 : SIZES.importRuns);
  if (args.bundles) {
    printBundles(bundles);
    return;
  }

  log('starting DynamoDB Local, the capacity meter and the local stack');
  const dynamodb = await startDynamoDbLocal({ port: await freePort() });
  let meter: DynamoDbMeter | undefined;
  let stack: RunningLocalStack | undefined;
  let floorApi: LocalHttpApi | undefined;
  let floorLambda: LocalLambda | undefined;
  const db = DynamoDBDocumentClient.from(
    new DynamoDBClient({ endpoint: dynamodb.url, region: LOCAL_REGION, credentials: DYNAMODB_LOCAL_CREDENTIALS }),
  );
  let stopping: Promise<void> | undefined;
  const stopAll = () =>
    (stopping ??= (async () => {
      db.destroy();
      await floorApi?.stop().catch(() => undefined);
      await floorLambda?.stop().catch(() => undefined);
      await stack?.stop().catch(() => undefined);
      await meter?.stop().catch(() => undefined);
      await dynamodb.stop().catch(() => undefined);
    })());
  // Ctrl-C stops everything this run started (DynamoDB Local's JVM leads its own process group)
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      interrupted = true;
      log(`${signal}: stopping`);
      void stopAll().finally(() => process.exit(130));
    });
  }
  try {
    meter = await startDynamoDbMeter(dynamodb.url);
    stack = await startLocalStack({
      port: 0,
      sfnPort: 0,
      sesPort: await freePort(),
      printifyPort: await freePort(),
      stripeApiPort: 0,
      dynamodb: { endpoint: meter.url },
      logLevel: 'SILENT',
      retryDelayScale: 1,
    });
    const running = stack;
    const hold = new ExecutionHold(running.stepFunctions);
    // the scene (orders, carts, mappings) is written directly, not through the meter: it is the
    // storefront's cost, not the pipeline's
    const storefront = new Storefront(db, running.tableName);
    for (const mapping of DEMO_MAPPINGS) await storefront.putMapping(mapping);
    const newOrders = (n: number) => pool(Array.from({ length: n }), 16, () => storefront.checkoutScene({ mapped: false }));

    floorLambda = new LocalLambda(
      {
        logicalId: 'BenchFloorWebhook',
        arn: 'arn:aws:lambda:us-east-1:000000000000:function:BenchFloorWebhook',
        entry: 'scripts/bench/floor-handler.ts',
        handler: 'handler',
        environment: { STRIPE_WEBHOOK_SECRET: running.stripeWebhookSecret },
        timeoutSeconds: 30,
      },
      { TZ: 'UTC', ...(process.env.PATH ? { PATH: process.env.PATH } : {}) },
    );
    floorApi = new LocalHttpApi([{ method: 'POST', path: '/webhooks/stripe', lambda: floorLambda }], async () => ({ ok: true }));
    const floor: Sender = { url: `${await floorApi.listen(0)}/webhooks/stripe`, secret: running.stripeWebhookSecret };
    const webhook: Sender = { url: running.urls.stripeWebhook, secret: running.stripeWebhookSecret };
    const invocations = instrumentLambdas(running.lambdas.values());
    const executionArn = (workflow: WorkflowName, eventId: string) =>
      `${running.stateMachineArns[workflow].replace(':stateMachine:', ':execution:')}:${eventId}`;
    const paidEvent = (order: Order) =>
      stripeEvent(
        'checkout.session.completed',
        checkoutSession({ orderId: order.orderId, userId: order.userId, amountTotal: order.amountTotal }),
      );

    // --- cold start and warm-up (not measured) ------------------------------------------------
    log(`warm-up: ${SIZES.warmup} webhooks to each handler`);
    const warmOrders = await newOrders(SIZES.warmup);
    const coldReal = await post(webhook, paidEvent(warmOrders[0]!));
    const coldFloor = await post(floor, stripeEvent('checkout.session.completed', { id: stripeId('cs_test') }));
    await pool(warmOrders.slice(1), 4, (order) => post(webhook, paidEvent(order)));
    await pool(warmOrders.slice(1), 4, () => post(floor, stripeEvent('checkout.session.completed', { id: stripeId('cs_test') })));
    await running.stepFunctions.idle();

    // --- webhook latency and throughput, beside the floor ------------------------------------
    const webhookLevels: BenchResult['webhook'] = [];
    for (const level of SIZES.levels) {
      log(`concurrency ${level.concurrency}: ${level.requests} webhooks to the floor, then to the pipeline`);
      const floorResult = await runLevel(
        floor,
        Array.from({ length: level.requests }, () => stripeEvent('checkout.session.completed', { id: stripeId('cs_test') })),
        level.concurrency,
      );
      const orders = await newOrders(level.requests);
      const events = orders.map(paidEvent);
      const sentAt = new Array<number>(events.length);
      // While the pipeline is under load (its own workflows run on the same two cores), one floor
      // request at a time measures what the machine alone adds to any answer.
      meter!.takeLatencies();
      const eventLoop = monitorEventLoopDelay({ resolution: 10 });
      eventLoop.enable();
      let loaded = true;
      const floorUnderLoad: number[] = [];
      const probe = (async () => {
        while (loaded) {
          const answer = await post(floor, stripeEvent('checkout.session.completed', { id: stripeId('cs_test') })).catch(() => undefined);
          if (!answer) break; // interrupted: the floor is gone
          floorUnderLoad.push(answer.ms);
        }
      })();
      const realResult = await runLevel(webhook, events, level.concurrency, (index, at) => {
        sentAt[index] = at;
      });
      loaded = false;
      eventLoop.disable();
      const dynamodbAnswers = meter!.takeLatencies();
      await probe;
      await running.stepFunctions.idle();
      const endToEnd: number[] = [];
      const failures: { eventId: string; status: string; error?: string; cause?: string }[] = [];
      events.forEach((event, i) => {
        const execution = running.stepFunctions.describeExecution(executionArn('fulfilment', event.id));
        if (execution.status === 'SUCCEEDED') endToEnd.push(execution.stopDate!.getTime() - sentAt[i]!);
        else failures.push({ eventId: event.id, status: execution.status, error: execution.error, cause: execution.cause?.slice(0, 300) });
      });
      const failedExecutions = failures.length;

      // The same requests with the workflows held until the level is done: the webhook's own path
      // (verify, record, start, mark started), as on AWS, where no workflow shares its CPU.
      const heldOrders = await newOrders(level.requests);
      const heldEvents = heldOrders.map(paidEvent);
      hold.hold();
      // what one answer costs the machine: CPU of this process (all threads) and of DynamoDB Local
      const webhookLambda = [...running.lambdas.values()].find((l) => l.fn.entry === 'lambdas/webhook/handler.ts')!;
      const busyBefore = webhookLambda.eventLoopUtilization();
      const cpuBefore = process.cpuUsage();
      const javaBefore = processGroupCpuMs(dynamodb.pid);
      let heldResult: LevelResult;
      try {
        heldResult = await runLevel(webhook, heldEvents, level.concurrency);
      } catch (error) {
        await hold.release();
        throw error;
      }
      const cpu = process.cpuUsage(cpuBefore);
      const javaAfter = processGroupCpuMs(dynamodb.pid);
      const webhookThreadBusy = round(webhookLambda.eventLoopUtilization(busyBefore).utilization * 100, 1);
      const cpuPerRequestMs = {
        node: round((cpu.user + cpu.system) / 1000 / heldEvents.length, 2),
        dynamodbLocal:
          javaBefore === undefined || javaAfter === undefined ? undefined : round((javaAfter - javaBefore) / heldEvents.length, 2),
      };
      await hold.release(level.concurrency);
      await running.stepFunctions.idle();
      const heldUnfinished = heldEvents.filter(
        (event) => running.stepFunctions.describeExecution(executionArn('fulfilment', event.id)).status !== 'SUCCEEDED',
      ).length;

      webhookLevels.push({
        webhookWorkflowsHeld: {
          ...heldResult,
          failedExecutions: heldUnfinished,
          cpuPerRequestMs,
          webhookThreadBusyPercent: webhookThreadBusy,
        },
        concurrency: level.concurrency,
        floor: floorResult,
        floorUnderLoadMs: distribution(floorUnderLoad),
        webhook: realResult,
        ratio: {
          p50: round(realResult.latencyMs.p50 / floorResult.latencyMs.p50),
          p95: round(realResult.latencyMs.p95 / floorResult.latencyMs.p95),
          p99: round(realResult.latencyMs.p99 / floorResult.latencyMs.p99),
        },
        endToEndUnderLoadMs: distribution(endToEnd),
        failedExecutions,
        failures,
        machine: {
          // the main thread runs the HTTP API and Step Functions (the Lambdas have worker threads)
          mainThreadEventLoopDelayMs: {
            p50: round(eventLoop.percentile(50) / 1e6),
            p99: round(eventLoop.percentile(99) / 1e6),
            max: round(eventLoop.max / 1e6),
          },
          dynamodbLocalAnswerMs: Object.fromEntries(
            ['PutItem', 'UpdateItem', 'GetItem', 'TransactWriteItems'].map((op) => [op, distribution(dynamodbAnswers[op] ?? [])]),
          ),
        },
      });
    }

    // --- one order at a time: end-to-end time and what each workflow costs --------------------
    const sesCount = async () => (await running.ses.sentEmails()).length;
    const measure = async (
      scenario: string,
      workflow: WorkflowName,
      runs: number,
      prepare: () => Promise<{ event: { id: string; type: string } }>,
      check?: (execution: LocalExecution) => void,
    ): Promise<WorkflowFigures & { endToEndMs: number[] }> => {
      const prepared = [];
      for (let i = 0; i < runs; i++) prepared.push(await prepare());
      const meterBefore = meter!.snapshot();
      const countsBefore = invocationCounts(invocations);
      const durationsBefore = new Map([...invocations.durations].map(([k, v]) => [k, v.length]));
      const emailsBefore = await sesCount();
      const printifyBefore = running.printify.requests().length;
      const statuses: Record<string, number> = {};
      let transitions = 0;
      let retries = 0;
      const endToEnd: number[] = [];
      for (const { event } of prepared) {
        const start = Date.now();
        const answer = await post(webhook, event);
        if (answer.status !== 200) throw new Error(`${scenario}: webhook answered ${answer.status} ${answer.body}`);
        const execution = await running.stepFunctions.waitFor(executionArn(workflow, event.id));
        endToEnd.push(execution.stopDate!.getTime() - start);
        statuses[execution.status] = (statuses[execution.status] ?? 0) + 1;
        transitions += transitionsOf(execution);
        retries += retriesOf(execution);
        check?.(execution);
      }
      const dynamodbDelta = meterDelta(meter!.snapshot(), meterBefore);
      const totals = meterTotals(dynamodbDelta);
      const calls = countDelta(invocationCounts(invocations), countsBefore);
      const lambdaMeanMs: Record<string, number> = {};
      for (const [name, all] of invocations.durations) {
        const recent = all.slice(durationsBefore.get(name) ?? 0);
        if (recent.length) lambdaMeanMs[name] = round(recent.reduce((s, v) => s + v, 0) / recent.length);
      }
      return {
        scenario,
        workflow,
        runs,
        statuses,
        stateTransitionsPerExecution: round(transitions / runs),
        retriesPerExecution: round(retries / runs),
        lambdaInvocationsPerRun: Object.fromEntries(Object.entries(calls).map(([k, v]) => [k, round((v as number) / runs)])),
        lambdaMeanMs,
        dynamodb: {
          ...totals,
          perRun: {
            requests: round(totals.requests / runs),
            readUnits: round(totals.readUnits / runs),
            writeUnits: round(totals.writeUnits / runs),
            awsWriteUnits: round(totals.awsWriteUnits / runs),
          },
        },
        dynamodbByOperation: dynamodbDelta,
        emailsPerRun: round(((await sesCount()) - emailsBefore) / runs),
        printifyRequestsPerRun: round((running.printify.requests().length - printifyBefore) / runs),
        endToEndMs: endToEnd,
      };
    };

    log(`one order at a time: ${SIZES.isolated} paid checkouts, then the payment_intent.succeeded of each`);
    const fulfilled: { order: Order; paymentIntentId: string }[] = [];
    const fulfilment = await measure('checkout.session.completed (paid): fulfil', 'fulfilment', SIZES.isolated, async () => {
      const [order] = await newOrders(1);
      const paymentIntentId = stripeId('pi');
      fulfilled.push({ order: order!, paymentIntentId });
      return {
        event: stripeEvent(
          'checkout.session.completed',
          checkoutSession({ orderId: order!.orderId, userId: order!.userId, amountTotal: order!.amountTotal, paymentIntentId }),
        ),
      };
    });
    const secondEvents = [...fulfilled];
    const pairEvent = await measure(
      'payment_intent.succeeded of a fulfilled order: nothing to fulfil',
      'fulfilment',
      SIZES.isolated,
      async () => {
        const { order, paymentIntentId } = secondEvents.shift()!;
        return {
          event: stripeEvent(
            'payment_intent.succeeded',
            paymentIntent({ orderId: order.orderId, userId: order.userId, paymentIntentId, amount: order.amountTotal }, 'succeeded'),
          ),
        };
      },
    );
    log(`${SIZES.perWorkflow} runs each of the other workflows`);
    const refunds = [...fulfilled];
    const refund = await measure('charge.refunded (full): record, deduct petals, email', 'refund', SIZES.perWorkflow, async () => {
      const { order, paymentIntentId } = refunds.shift()!;
      return {
        event: stripeEvent(
          'charge.refunded',
          refundedCharge({ paymentIntentId, orderId: order.orderId, amount: order.amountTotal, amountRefunded: order.amountTotal }),
        ),
      };
    });
    const paymentFailed = await measure(
      'payment_intent.payment_failed: mark failed, email',
      'paymentFailed',
      SIZES.perWorkflow,
      async () => {
        const [order] = await newOrders(1);
        return {
          event: stripeEvent(
            'payment_intent.payment_failed',
            paymentIntent({ orderId: order!.orderId, userId: order!.userId, amount: order!.amountTotal }, 'requires_payment_method'),
          ),
        };
      },
    );
    const subscription = await measure(
      'invoice.payment_succeeded: subscription petals',
      'subscriptionPayment',
      SIZES.perWorkflow,
      async () => ({
        event: stripeEvent('invoice.payment_succeeded', paidInvoice({ userId: newUserId(), amountPaid: 999 })),
      }),
    );
    const workflows = [fulfilment, pairEvent, refund, paymentFailed, subscription];

    // --- the cost of 1,000 orders ---------------------------------------------------------------
    // An order, as Stripe Checkout delivers it to this endpoint: checkout.session.completed (which
    // fulfils) and payment_intent.succeeded (which finds the order paid). Refunds, failures and
    // subscriptions are priced per event beside it.
    const costOf = (parts: (WorkflowFigures & { endToEndMs: number[] })[], webhooks: number, count = 1000) => {
      let lambdaRequests = 0;
      let gbSeconds = 0;
      let transitions = 0;
      let rru = 0;
      let wru = 0;
      let emails = 0;
      for (const part of parts) {
        for (const [fn, perRun] of Object.entries(part.lambdaInvocationsPerRun)) {
          lambdaRequests += perRun;
          gbSeconds += perRun * ((part.lambdaMeanMs[fn] ?? 0) / 1000) * ((memoryMb[fn] ?? 512) / 1024);
        }
        transitions += part.stateTransitionsPerExecution;
        rru += part.dynamodb.perRun.readUnits;
        wru += part.dynamodb.perRun.awsWriteUnits;
        emails += part.emailsPerRun;
      }
      const lines = {
        apiGateway: webhooks * PRICES.httpApiRequest.usd,
        lambdaRequests: lambdaRequests * PRICES.lambdaRequest.usd,
        lambdaDuration: gbSeconds * PRICES.lambdaArmGbSecond.usd,
        stepFunctions: transitions * PRICES.stepFunctionsStandardTransition.usd,
        dynamodbReads: rru * PRICES.dynamodbReadRequestUnit.usd,
        dynamodbWrites: wru * PRICES.dynamodbWriteRequestUnit.usd,
        ses: emails * PRICES.sesEmail.usd,
      };
      const perUnit = Object.values(lines).reduce((s, v) => s + v, 0);
      return {
        counts: {
          webhooks,
          lambdaRequests: round(lambdaRequests),
          lambdaGbSeconds: round(gbSeconds, 4),
          stateTransitions: round(transitions),
          readUnits: round(rru),
          writeUnits: round(wru),
          emails: round(emails),
        },
        usdPer1000: Object.fromEntries(Object.entries(lines).map(([k, v]) => [k, round(v * count, 4)])) as Record<
          keyof typeof lines,
          number
        >,
        totalUsdPer1000: round(perUnit * count, 4),
      };
    };
    const cost = {
      order: costOf([fulfilment, pairEvent], 2),
      refund: costOf([refund], 1),
      paymentFailed: costOf([paymentFailed], 1),
      subscriptionPayment: costOf([subscription], 1),
      assumptions: [
        'an order = checkout.session.completed + payment_intent.succeeded (both reach the endpoint); ignored event types cost one API request and one webhook invocation each',
        "Lambda duration = the mean local duration of each invocation (worker thread, this machine), at the function's configured memory; Lambda on Graviton will differ, and cold starts add INIT time",
        "DynamoDB: units DynamoDB Local reported, with AWS's rules where Local reports less (2 WRU per transaction item under 1 KB; a refused conditional write costs 1 WRU)",
        'not included: CloudWatch Logs ingestion (INFO logs), X-Ray traces (tracing is on), Secrets Manager calls (cached per container for SECRET_TTL_SECONDS, 5 minutes), data transfer, free tiers',
      ],
    };

    const result: BenchResult = {
      startedAt: startedAt.toISOString(),
      finishedAt: new Date().toISOString(),
      machine: {
        node: process.version,
        platform: `${os.platform()} ${os.release()}`,
        cpus: os.cpus().length,
        cpuModel: os.cpus()[0]?.model ?? 'unknown',
      },
      sizes: { quick: args.quick, ...SIZES },
      coldStart: { webhookFirstRequestMs: round(coldReal.ms), floorFirstRequestMs: round(coldFloor.ms) },
      webhook: webhookLevels,
      endToEnd: {
        isolatedMs: distribution(fulfilment.endToEndMs),
        note: 'webhook sent -> fulfilment execution finished (order in_production, petals, email, cart), one order at a time',
      },
      workflows: workflows.map(({ endToEndMs: _e, ...w }) => w),
      bundles,
      cost,
      prices: PRICES,
      targets: [...evaluateTargets(webhookLevels, fulfilment, cost.order.totalUsdPer1000), ...bundleTargets(bundles)],
    };
    const file = path.join(outDir, `bench-${startedAt.toISOString().replace(/[:.]/g, '-')}.json`);
    writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`);
    writeFileSync(path.join(outDir, 'latest.json'), `${JSON.stringify(result, null, 2)}\n`);
    printReport(result, previous);
    console.log(`\nfigures written to ${path.relative(process.cwd(), file)} (and latest.json beside it)`);
  } finally {
    await stopAll();
  }
}

interface BenchResult {
  startedAt: string;
  finishedAt: string;
  machine: Record<string, unknown>;
  sizes: Record<string, unknown>;
  coldStart: { webhookFirstRequestMs: number; floorFirstRequestMs: number };
  webhook: {
    concurrency: number;
    webhookWorkflowsHeld: LevelResult & {
      failedExecutions: number;
      cpuPerRequestMs: { node: number; dynamodbLocal: number | undefined };
      webhookThreadBusyPercent: number;
    };
    floor: LevelResult;
    floorUnderLoadMs: Distribution;
    webhook: LevelResult;
    ratio: { p50: number; p95: number; p99: number };
    endToEndUnderLoadMs: Distribution;
    failedExecutions: number;
    failures: { eventId: string; status: string; error?: string; cause?: string }[];
    machine: { mainThreadEventLoopDelayMs: { p50: number; p99: number; max: number }; dynamodbLocalAnswerMs: Record<string, Distribution> };
  }[];
  endToEnd: { isolatedMs: Distribution; note: string };
  workflows: WorkflowFigures[];
  bundles: BundleFigures[];
  cost: Record<string, unknown> & {
    order: { totalUsdPer1000: number; counts: Record<string, number>; usdPer1000: Record<string, number> };
  };
  prices: typeof PRICES;
  targets: { target: string; value: string; met: boolean }[];
}

function evaluateTargets(
  levels: BenchResult['webhook'],
  fulfilment: WorkflowFigures & { endToEndMs: number[] },
  orderCost: number,
): BenchResult['targets'] {
  const c16 = levels.find((l) => l.concurrency === 16);
  const e2e = distribution(fulfilment.endToEndMs);
  return [
    {
      target: 'webhook p99 < 25 ms at concurrency 16 (local)',
      value: `${c16?.webhook.latencyMs.p99 ?? NaN} ms`,
      met: (c16?.webhook.latencyMs.p99 ?? Infinity) < 25,
    },
    {
      target: "  the same, workflows held (the webhook's own path)",
      value: `${c16?.webhookWorkflowsHeld.latencyMs.p99 ?? NaN} ms`,
      met: (c16?.webhookWorkflowsHeld.latencyMs.p99 ?? Infinity) < 25,
    },
    { target: 'end-to-end p95 < 1 s (local, one order at a time)', value: `${e2e.p95} ms`, met: e2e.p95 < 1000 },
    {
      target: '<= 12 state transitions for a fulfilled order',
      value: `${fulfilment.stateTransitionsPerExecution}`,
      met: fulfilment.stateTransitionsPerExecution <= 12,
    },
    { target: '< $0.50 for 1,000 orders on AWS', value: `$${orderCost.toFixed(4)}`, met: orderCost < 0.5 },
  ];
}

function table(headers: string[], rows: (string | number)[][]): string {
  const cells = [headers, ...rows.map((r) => r.map(String))];
  const widths = headers.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)));
  const line = (r: string[]) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  return [line(cells[0]!), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.slice(1).map(line)].join('\n');
}

/** Bundle targets of issue 14: every bundle <= 700 KB, the webhook's <= 250 KB gzipped, its import >= 30 % less CPU than before. */
function bundleTargets(bundles: BundleFigures[]): BenchResult['targets'] {
  const largest = bundles.reduce((a, b) => (b.now.bytes > a.now.bytes ? b : a));
  const webhook = bundles.find((b) => b.entry === 'lambdas/webhook/handler.ts');
  const cpuCut = webhook?.before ? 1 - webhook.now.import.cpuMs.p50 / webhook.before.import.cpuMs.p50 : NaN;
  return [
    {
      target: 'every bundle <= 700 KB',
      value: `${round(largest.now.bytes / 1024, 1)} KB (${largest.function})`,
      met: largest.now.bytes <= 700 * 1024,
    },
    {
      target: "the webhook's bundle <= 250 KB gzipped",
      value: `${round((webhook?.now.gzippedBytes ?? NaN) / 1024, 1)} KB`,
      met: (webhook?.now.gzippedBytes ?? Infinity) <= 250 * 1024,
    },
    { target: "the webhook's cold import >= 30 % less CPU than before", value: `${round(cpuCut * 100, 1)} % less`, met: cpuCut >= 0.3 },
  ];
}

function printBundles(bundles: BundleFigures[]): void {
  const kb = (bytes: number | undefined) => (bytes === undefined ? '-' : round(bytes / 1024, 1));
  console.log(
    `\nLambda bundles now (lib/constructs/pipeline-function.ts BUNDLING: ESM, mainFields module/main, minified, source map not loaded) and ${BASELINE.label}, measured side by side; cold import in a fresh process (p50 of ${bundles[0]?.now.import.runs ?? 0})`,
  );
  console.log(
    table(
      ['function', 'KB', 'before', 'gzip KB', 'before', 'zip+map KB', 'import CPU ms', 'before', 'import wall ms', 'before'],
      bundles.map((b) => [
        b.function,
        kb(b.now.bytes),
        kb(b.before?.bytes),
        kb(b.now.gzippedBytes),
        kb(b.before?.gzippedBytes),
        kb(b.now.zippedBytes),
        round(b.now.import.cpuMs.p50, 1),
        b.before ? round(b.before.import.cpuMs.p50, 1) : '-',
        round(b.now.import.wallMs.p50, 1),
        b.before ? round(b.before.import.wallMs.p50, 1) : '-',
      ]),
    ),
  );
  console.log(
    table(
      ['bundle target', 'measured', 'met'],
      bundleTargets(bundles).map((t) => [t.target, t.value, t.met ? 'yes' : 'NO']),
    ),
  );
}

function printReport(r: BenchResult, previous?: BenchResult): void {
  const prev = (concurrency: number) => previous?.webhook.find((l) => l.concurrency === concurrency);
  console.log(
    `\nOtaku-mori order pipeline — bench ${r.startedAt} (${r.machine.cpus} CPUs, Node ${r.machine.node}${r.sizes.quick ? ', --quick' : ''})`,
  );
  console.log('\nWebhook answer latency (ms) and throughput, real handler beside the floor (verify signature + answer)');
  console.log(
    table(
      [
        'concurrency',
        'n',
        'floor p50',
        'p95',
        'p99',
        'req/s',
        'loaded floor p50',
        'p99',
        'webhook p50',
        'p95',
        'p99',
        'req/s',
        'ratio p50',
        'p99',
        'non-200',
        'prev p99',
      ],
      r.webhook.map((l) => [
        l.concurrency,
        l.webhook.requests,
        l.floor.latencyMs.p50,
        l.floor.latencyMs.p95,
        l.floor.latencyMs.p99,
        l.floor.throughputPerSecond,
        l.floorUnderLoadMs.p50,
        l.floorUnderLoadMs.p99,
        l.webhook.latencyMs.p50,
        l.webhook.latencyMs.p95,
        l.webhook.latencyMs.p99,
        l.webhook.throughputPerSecond,
        l.ratio.p50,
        l.ratio.p99,
        l.webhook.non200,
        prev(l.concurrency)?.webhook.latencyMs.p99 ?? '-',
      ]),
    ),
  );
  console.log('floor: the same local runtime with a handler that only verifies the signature, alone (ratio = webhook / floor);');
  console.log('loaded floor: one floor request at a time while the pipeline takes the load, i.e. what the busy machine adds');
  console.log(
    "\nThe same webhook requests with the workflows held until the level is done (the webhook's own path, as on AWS, where the workflows do not share its CPU)",
  );
  console.log(
    table(
      [
        'concurrency',
        'n',
        'webhook p50',
        'p95',
        'p99',
        'req/s',
        'ratio to floor p50',
        'p99',
        'CPU ms/request: Node',
        'DynamoDB Local',
        'webhook thread busy %',
        'non-200',
        'executions not succeeded after release',
        'prev p99',
      ],
      r.webhook.map((l) => [
        l.concurrency,
        l.webhookWorkflowsHeld.requests,
        l.webhookWorkflowsHeld.latencyMs.p50,
        l.webhookWorkflowsHeld.latencyMs.p95,
        l.webhookWorkflowsHeld.latencyMs.p99,
        l.webhookWorkflowsHeld.throughputPerSecond,
        round(l.webhookWorkflowsHeld.latencyMs.p50 / l.floor.latencyMs.p50),
        round(l.webhookWorkflowsHeld.latencyMs.p99 / l.floor.latencyMs.p99),
        l.webhookWorkflowsHeld.cpuPerRequestMs.node,
        l.webhookWorkflowsHeld.cpuPerRequestMs.dynamodbLocal ?? '-',
        l.webhookWorkflowsHeld.webhookThreadBusyPercent,
        l.webhookWorkflowsHeld.non200,
        l.webhookWorkflowsHeld.failedExecutions,
        prev(l.concurrency)?.webhookWorkflowsHeld?.latencyMs.p99 ?? '-',
      ]),
    ),
  );
  console.log(
    `CPU per request: this process, all threads (the load generator, HTTP API, Step Functions API, capacity meter and the webhook's thread), and DynamoDB Local's JVM; ${r.machine.cpus} cores give ${Number(r.machine.cpus) * 1000} ms of CPU a second`,
  );
  console.log(
    "\nWhere the time goes under load: the main thread's event loop delay (HTTP API + Step Functions) and DynamoDB Local's answer times (ms)",
  );
  console.log(
    table(
      [
        'concurrency',
        'event loop p50',
        'p99',
        'max',
        'PutItem p50',
        'p99',
        'UpdateItem p50',
        'p99',
        'GetItem p50',
        'p99',
        'TransactWrite p50',
        'p99',
      ],
      r.webhook.map((l) => {
        const d = l.machine.dynamodbLocalAnswerMs;
        return [
          l.concurrency,
          l.machine.mainThreadEventLoopDelayMs.p50,
          l.machine.mainThreadEventLoopDelayMs.p99,
          l.machine.mainThreadEventLoopDelayMs.max,
          d.PutItem!.p50,
          d.PutItem!.p99,
          d.UpdateItem!.p50,
          d.UpdateItem!.p99,
          d.GetItem!.p50,
          d.GetItem!.p99,
          d.TransactWriteItems!.p50,
          d.TransactWriteItems!.p99,
        ];
      }),
    ),
  );
  console.log(`first (cold) request: webhook ${r.coldStart.webhookFirstRequestMs} ms, floor ${r.coldStart.floorFirstRequestMs} ms`);

  console.log('\nEnd to end: webhook sent -> order in_production with petals, email and cart done (ms)');
  console.log(
    table(
      ['run', 'n', 'p50', 'p95', 'p99', 'max', 'failed'],
      [
        [
          'one order at a time',
          r.endToEnd.isolatedMs.n,
          r.endToEnd.isolatedMs.p50,
          r.endToEnd.isolatedMs.p95,
          r.endToEnd.isolatedMs.p99,
          r.endToEnd.isolatedMs.max,
          0,
        ],
        ...r.webhook.map((l) => [
          `under load, concurrency ${l.concurrency}`,
          l.endToEndUnderLoadMs.n,
          l.endToEndUnderLoadMs.p50,
          l.endToEndUnderLoadMs.p95,
          l.endToEndUnderLoadMs.p99,
          l.endToEndUnderLoadMs.max,
          l.failedExecutions,
        ]),
      ],
    ),
  );

  for (const l of r.webhook) {
    for (const f of l.failures.slice(0, 5))
      console.log(`  not completed under load (concurrency ${l.concurrency}): ${f.eventId} ${f.status} ${f.error ?? ''}: ${f.cause ?? ''}`);
  }

  console.log('\nPer execution, by workflow (one at a time)');
  console.log(
    table(
      [
        'scenario',
        'runs',
        'transitions',
        'Lambda calls',
        'DDB requests',
        'RRU',
        'WRU (Local)',
        'WRU (AWS rules)',
        'emails',
        'Printify calls',
      ],
      r.workflows.map((w) => [
        w.scenario,
        w.runs,
        w.stateTransitionsPerExecution,
        round(Object.values(w.lambdaInvocationsPerRun).reduce((s, v) => s + v, 0)),
        w.dynamodb.perRun.requests,
        w.dynamodb.perRun.readUnits,
        w.dynamodb.perRun.writeUnits,
        w.dynamodb.perRun.awsWriteUnits,
        w.emailsPerRun,
        w.printifyRequestsPerRun,
      ]),
    ),
  );
  console.log("(Lambda calls include the webhook; DynamoDB figures are the webhook's and the workflow's requests)");

  printBundles(r.bundles);

  const order = r.cost.order;
  console.log('\nCost of 1,000 orders on AWS (us-east-1, on demand, no free tier), from the counts above');
  console.log(
    table(
      ['line', 'per order', 'USD per 1,000 orders'],
      [
        ['API Gateway HTTP API requests', order.counts.webhooks!, order.usdPer1000.apiGateway!],
        ['Lambda requests', order.counts.lambdaRequests!, order.usdPer1000.lambdaRequests!],
        ['Lambda duration (GB-s)', order.counts.lambdaGbSeconds!, order.usdPer1000.lambdaDuration!],
        ['Step Functions Standard transitions', order.counts.stateTransitions!, order.usdPer1000.stepFunctions!],
        ['DynamoDB read request units', order.counts.readUnits!, order.usdPer1000.dynamodbReads!],
        ['DynamoDB write request units', order.counts.writeUnits!, order.usdPer1000.dynamodbWrites!],
        ['SES emails', order.counts.emails!, order.usdPer1000.ses!],
        ['total', '', order.totalUsdPer1000],
      ],
    ),
  );
  for (const name of ['refund', 'paymentFailed', 'subscriptionPayment'] as const) {
    const c = r.cost[name] as { totalUsdPer1000: number };
    console.log(`  per 1,000 ${name} events: $${c.totalUsdPer1000}`);
  }
  console.log('prices (read 2026-11-26):');
  for (const price of Object.values(r.prices)) console.log(`  $${price.usd} per ${price.per} — ${price.source}`);
  console.log('assumptions:');
  for (const a of r.cost.assumptions as string[]) console.log(`  - ${a}`);

  console.log('\nTargets');
  console.log(
    table(
      ['target', 'measured', 'met'],
      r.targets.map((t) => [t.target, t.value, t.met ? 'yes' : 'NO']),
    ),
  );
}

main().catch((error) => {
  if (interrupted) return; // requests in flight fail while everything stops: not worth a trace
  console.error(error);
  process.exitCode = 1;
});
