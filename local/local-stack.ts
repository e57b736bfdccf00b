import type * as http from 'node:http';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { WORKFLOWS, type WorkflowName } from '../lambdas/domain/stripe-events';
import { STATE_MACHINE_ARN_ENV } from '../lambdas/shared/workflows';
import { DYNAMODB_LOCAL_CREDENTIALS, freePort, startDynamoDbLocal, type RunningService } from './dynamodb-local';
import { LocalHttpApi } from './http-api';
import { executionNameOf, scanInbox } from './inbox-scan';
import { LambdaWatcher, type LambdaWatcherOptions } from './hot-reload';
import { LocalLambda } from './local-lambda';
import { printifyRateLimitFromEnv, startPrintifyStandIn, type PrintifyStandIn } from './printify';
import type { RateLimitOptions } from './rate-limit';
import { sesSendRateFromEnv, startSesLocal, type SesLocal } from './ses-local';
import { startStripeApiStandIn, type StripeApiStandIn } from './stripe-api';
import type { Progress, ProgressStep } from './progress';
import { type CfnTemplate, LOCAL_REGION, type LocalFunction, readLocalStack, synthesizeTemplate } from './stack-template';
import { LocalStepFunctions } from './step-functions-service';
import { ensureTable } from './table';
import { DEFAULTS } from './defaults';

export interface LocalStackOptions {
  /** HTTP API port (0: any free port) */
  port?: number;
  sfnPort?: number;
  sesPort?: number;
  printifyPort?: number;
  /** the Stripe API stand-in (List events, for the reconciler); 0: any free port */
  stripeApiPort?: number;
  /** an already running DynamoDB (Local) endpoint, or the port and data path of one to start */
  dynamodb?: { endpoint: string } | { port: number; dataPath?: string; inMemory?: boolean; pidFile?: string };
  /**
   * Keeps executions across restarts (LocalStepFunctionsOptions.journalPath), and on start runs
   * again every inbox event whose execution this journal does not know: those that were running
   * (or not yet started) when the last run died. Undefined: executions live in memory, and nothing
   * is re-driven on start (without a journal, finished and lost executions look alike).
   */
  executionJournal?: string;
  tableName?: string;
  stripeWebhookSecret?: string;
  /** signs the Printify stand-in's webhooks; the Printify webhook Lambda checks it */
  printifyWebhookSecret?: string;
  printifyToken?: string;
  /**
   * The Printify stand-in's rate limit (default PRINTIFY_RATE_LIMIT_PER_MINUTE and
   * PRINTIFY_RATE_LIMIT_WINDOW_MS, else Printify's 600 requests a minute)
   */
  printifyRateLimit?: RateLimitOptions;
  /** the local SES's sending rate (default SES_MAX_SEND_RATE and SES_SEND_RATE_WINDOW_MS, else 14 a second) */
  sesSendRate?: RateLimitOptions;
  /** see LocalStepFunctionsOptions.retryDelayScale */
  retryDelayScale?: number;
  /** POWERTOOLS_LOG_LEVEL for every function (default: the template's) */
  logLevel?: string;
  /** extra environment for every function, over the template's (e.g. PRINTIFY_TIMEOUT_MS) */
  environment?: Record<string, string>;
  /** extra CDK context for the synthesized stack */
  context?: Record<string, unknown>;
  /** progress messages */
  log?: (message: string) => void;
  /**
   * Reports the long steps (synth, DynamoDB Local, the table, the stand-ins) with their times,
   * instead of `log`; the synth then runs in a worker thread, so that a spinner keeps turning.
   */
  progress?: Progress;
  /**
   * Watches lambdas/ and reloads the functions whose sources change (see LambdaWatcher). Default
   * off; true, or the watcher's callbacks.
   */
  watch?: boolean | Omit<LambdaWatcherOptions, 'lambdas'>;
  /** Receives every line a function writes (default: as it is, on this process's stdout/stderr). */
  onLambdaLog?: (line: string, fn: LocalFunction, stream: 'stdout' | 'stderr') => void;
}

export interface RunningLocalStack {
  urls: {
    console: string;
    api: string;
    stripeWebhook: string;
    printifyWebhook: string;
    health: string;
    sfn: string;
    ses: string;
    printify: string;
    dynamodb: string;
    stripeApi: string;
  };
  tableName: string;
  stripeWebhookSecret: string;
  printifyWebhookSecret: string;
  stateMachineArns: Record<WorkflowName, string>;
  stepFunctions: LocalStepFunctions;
  printify: PrintifyStandIn;
  /** Stripe's List events API: holds every correctly signed event sent to the webhook */
  stripeApi: StripeApiStandIn;
  ses: SesLocal;
  lambdas: ReadonlyMap<string, LocalLambda>;
  /** the watcher reloading changed Lambda sources (options.watch) */
  watcher?: LambdaWatcher;
  /** the inbox events started again at start (see LocalStackOptions.executionJournal) */
  recovered: string[];
  /**
   * Ctrl-C's first half: the HTTP API answers 503 from now on (so Stripe delivers again later),
   * the requests being handled are answered, and running executions get up to `timeoutMs` to
   * finish. Resolves true when all finished, false when some still ran at the bound; stop() then
   * aborts them, and the next start on the same journal runs them again.
   */
  drain(timeoutMs: number): Promise<boolean>;
  stop(): Promise<void>;
}

/** A stand-in's quota as the pacer's environment (lambdas/shared/pacing.ts quotaFromEnv); unset values keep the stage's. */
function paceEnvironment(prefix: string, rate: RateLimitOptions): Record<string, string> {
  return {
    ...(rate.limit === undefined ? {} : { [`${prefix}_LIMIT`]: String(rate.limit) }),
    ...(rate.windowMs === undefined ? {} : { [`${prefix}_WINDOW_MS`]: String(rate.windowMs) }),
  };
}

/**
 * Runs the whole pipeline on this machine: the synthesized stack's Lambdas, state machines, table
 * and HTTP routes, against DynamoDB Local, a local SES and the Printify stand-in.
 */
export async function startLocalStack(options: LocalStackOptions = {}): Promise<RunningLocalStack> {
  const log = options.log ?? (() => undefined);
  const tableName = options.tableName ?? DEFAULTS.tableName;
  const stripeWebhookSecret = options.stripeWebhookSecret ?? DEFAULTS.stripeWebhookSecret;
  const printifyToken = options.printifyToken ?? DEFAULTS.printifyToken;
  const printifyWebhookSecret = options.printifyWebhookSecret ?? DEFAULTS.printifyWebhookSecret;
  const stoppers: (() => Promise<void>)[] = [];
  const stop = async () => {
    for (const stopOne of stoppers.splice(0).reverse()) await stopOne().catch(() => undefined);
  };

  const step = (label: string): ProgressStep => {
    if (options.progress) return options.progress.step(label);
    log(label);
    return { done: () => undefined, fail: () => undefined };
  };
  /** `run` as one step: done with `detail` of its result, or failed */
  const tracked = async <T>(label: string, run: () => T | Promise<T>, detail?: (result: T) => string): Promise<T> => {
    const one = step(label);
    try {
      const result = await run();
      one.done(detail?.(result));
      return result;
    } catch (error) {
      one.fail();
      throw error;
    }
  };
  // the last steps run one after the other: the one running is marked failed when something throws
  let current: ProgressStep | undefined;
  const begin = (label: string) => {
    current = step(label);
  };
  const end = () => {
    current?.done();
    current = undefined;
  };

  try {
    // the console's port is known before DynamoDB Local starts: its CORS allow-list names it
    const apiPort = options.port === 0 ? await freePort() : (options.port ?? DEFAULTS.port);
    // With progress, the synth runs in a worker thread while DynamoDB Local's JVM starts; without,
    // it runs here first (CDK's synth is synchronous) and DynamoDB Local starts after it.
    const synthesized = tracked(
      'synthesizing the stack',
      async () =>
        readLocalStack(options.progress ? await synthesizeInWorker(options.context) : synthesizeTemplate(options.context), tableName),
      (s) => `${s.functions.length} functions, ${s.stateMachines.length} state machines`,
    );
    const dynamodbOption = options.dynamodb ?? { port: DEFAULTS.dynamodbPort };
    const dynamodbStarted =
      'endpoint' in dynamodbOption
        ? Promise.resolve(dynamodbOption.endpoint)
        : tracked(`starting DynamoDB Local on port ${dynamodbOption.port}${dynamodbOption.inMemory ? ' (in memory)' : ''}`, async () => {
            const dynamodb: RunningService = await startDynamoDbLocal({
              port: dynamodbOption.port,
              ...(dynamodbOption.inMemory ? {} : { dataPath: dynamodbOption.dataPath ?? DEFAULTS.dataPath }),
              ...(dynamodbOption.pidFile ? { pidFile: dynamodbOption.pidFile } : {}),
              corsOrigins: [`http://127.0.0.1:${apiPort}`, `http://localhost:${apiPort}`],
            });
            stoppers.push(() => dynamodb.stop());
            return dynamodb.url;
          });
    // both settle before either's failure is thrown: a JVM still starting must be stopped too
    const [stackResult, dynamodbResult] = await Promise.allSettled([synthesized, dynamodbStarted]);
    if (stackResult.status === 'rejected') throw stackResult.reason;
    if (dynamodbResult.status === 'rejected') throw dynamodbResult.reason;
    const stack = stackResult.value;
    const dynamodbUrl = dynamodbResult.value;

    await tracked(
      `table ${tableName}`,
      async () => {
        const client = new DynamoDBClient({ endpoint: dynamodbUrl, region: LOCAL_REGION, credentials: DYNAMODB_LOCAL_CREDENTIALS });
        try {
          return await ensureTable(client, tableName, stack.table);
        } finally {
          client.destroy();
        }
      },
      (outcome) => (outcome === 'created' ? 'created' : 'already there'),
    );
    begin('starting SES, Printify and Stripe API stand-ins, Step Functions and the Lambdas');

    const sesRate = options.sesSendRate ?? sesSendRateFromEnv();
    const printifyRate = options.printifyRateLimit ?? printifyRateLimitFromEnv();
    const ses = await startSesLocal({ port: options.sesPort ?? DEFAULTS.sesPort, sendRate: sesRate });
    stoppers.push(() => ses.stop());
    const printifyShopId = stack.functions.map((f) => f.environment.PRINTIFY_SHOP_ID).find(Boolean) ?? 'local-shop';
    const printify = await startPrintifyStandIn({
      port: options.printifyPort ?? DEFAULTS.printifyPort,
      token: printifyToken,
      shopId: printifyShopId,
      rateLimit: printifyRate,
    });
    stoppers.push(() => printify.stop());
    const stripeApi = await startStripeApiStandIn({
      port: options.stripeApiPort ?? DEFAULTS.stripeApiPort,
      webhookSecret: stripeWebhookSecret,
    });
    stoppers.push(() => stripeApi.stop());

    const sfnPort = options.sfnPort === 0 ? await freePort() : (options.sfnPort ?? DEFAULTS.sfnPort);
    // The SDK reads these standard variables: the handlers are unchanged, only their endpoints move.
    const base: Record<string, string> = {
      AWS_REGION: LOCAL_REGION,
      AWS_DEFAULT_REGION: LOCAL_REGION,
      AWS_ACCESS_KEY_ID: DYNAMODB_LOCAL_CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: DYNAMODB_LOCAL_CREDENTIALS.secretAccessKey,
      AWS_ENDPOINT_URL_DYNAMODB: dynamodbUrl,
      AWS_ENDPOINT_URL_SES: ses.url,
      AWS_ENDPOINT_URL_SFN: `http://127.0.0.1:${sfnPort}`,
      TZ: 'UTC',
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      ...(process.env.PATH ? { PATH: process.env.PATH } : {}),
      ...(process.env.HOME ? { HOME: process.env.HOME } : {}),
      ...(process.env.TMPDIR ? { TMPDIR: process.env.TMPDIR } : {}),
    };
    const overrides: Record<string, string> = {
      STRIPE_WEBHOOK_SECRET: stripeWebhookSecret,
      PRINTIFY_WEBHOOK_SECRET: printifyWebhookSecret,
      PRINTIFY_API_TOKEN: printifyToken,
      PRINTIFY_API_URL: printify.baseUrl,
      STRIPE_API_KEY: stripeApi.apiKey,
      STRIPE_API_URL: stripeApi.url,
      ...(options.logLevel ? { POWERTOOLS_LOG_LEVEL: options.logLevel } : {}),
      // The pipeline paces the quotas the stand-ins enforce, as a stage names its account's (scaled
      // together by a bench: 60 a 6 s window standing in for 600 a minute).
      ...paceEnvironment('PRINTIFY_PACE', printifyRate),
      ...paceEnvironment('SES_PACE', sesRate),
      ...options.environment,
    };
    const lambdas = new Map<string, LocalLambda>();
    const lambdaOptions = options.onLambdaLog ? { onLog: options.onLambdaLog } : {};
    for (const fn of stack.functions) lambdas.set(fn.arn, new LocalLambda(fn, base, overrides, lambdaOptions));
    stoppers.push(async () => {
      await Promise.all([...lambdas.values()].map((l) => l.stop()));
    });
    let watcher: LambdaWatcher | undefined;
    if (options.watch) {
      const watchOptions = options.watch === true ? {} : options.watch;
      watcher = await LambdaWatcher.start({ ...watchOptions, lambdas: lambdas.values() });
      const started = watcher;
      stoppers.push(async () => started.close());
    }

    const stepFunctions = new LocalStepFunctions(stack.stateMachines, lambdas, {
      retryDelayScale: options.retryDelayScale ?? 1,
      ...(options.executionJournal ? { journalPath: options.executionJournal } : {}),
    });
    const sfnUrl = await stepFunctions.listen(sfnPort);
    stoppers.push(() => stepFunctions.stop());

    const routes = stack.routes.map((route) => {
      const lambda = lambdas.get(route.functionArn);
      if (!lambda) throw new Error(`route ${route.method} ${route.path} targets ${route.functionArn}, which has no local Lambda`);
      // Stripe holds every event it sends: the stand-in records each correctly signed delivery
      const observe =
        route.path === '/webhooks/stripe'
          ? (body: Buffer, headers: http.IncomingHttpHeaders) => stripeApi.recordDelivery(body, headerValue(headers['stripe-signature']))
          : undefined;
      return { method: route.method, path: route.path, lambda, ...(observe ? { observe } : {}) };
    });
    const webhook = routes.find((r) => r.path === '/webhooks/stripe');
    if (!webhook) throw new Error('the stack has no POST /webhooks/stripe route');
    const stateMachineArns = Object.fromEntries(
      WORKFLOWS.map((w) => [w, webhook.lambda.fn.environment[STATE_MACHINE_ARN_ENV[w]]]),
    ) as Record<WorkflowName, string>;

    const api = new LocalHttpApi(routes, async () => ({
      dynamodb: await fetch(dynamodbUrl).then(
        () => true,
        () => false,
      ),
      ses: await fetch(`${ses.url}/health-check`).then(
        (r) => r.ok,
        () => false,
      ),
      printify: await fetch(`${printify.baseUrl}/__stand-in/orders`).then(
        (r) => r.ok,
        () => false,
      ),
      stepFunctions: true,
    }));
    const recovered = options.executionJournal ? await startUnknown(dynamodbUrl, tableName, stepFunctions, stateMachineArns) : [];
    if (recovered.length > 0) log(`running again ${recovered.length} accepted event(s) whose execution was lost: ${recovered.join(', ')}`);

    const apiUrl = await api.listen(apiPort);
    stoppers.push(() => api.stop());
    end();
    // The stand-in sends its signed order events where Printify would: to POST /webhooks/printify.
    if (routes.some((r) => r.path === '/webhooks/printify')) {
      printify.configureWebhookTarget({ url: `${apiUrl}/webhooks/printify`, secret: printifyWebhookSecret });
    }
    // the Stripe stand-in's refunds (`ops hold refund`) send their events here, as Stripe would
    stripeApi.deliverTo(`${apiUrl}/webhooks/stripe`);
    // The console reads and acts through the same target as `npm run ops` (the local Step Functions
    // API and DynamoDB Local), plus the services themselves for what only they know. Loaded here,
    // not at the top: the ops modules import DEFAULTS from this module.
    const { createConsole } = await import('./console/server');
    const { resolveTarget } = await import('../scripts/ops/target');
    const target = await resolveTarget({ sfnEndpoint: sfnUrl, dynamodbEndpoint: dynamodbUrl, table: tableName });
    stoppers.push(async () => target.close());
    api.serveOthersWith(
      createConsole(
        {
          db: target.db,
          tableName,
          stepFunctions,
          target,
          ses,
          printify,
          stripeWebhookUrl: `${apiUrl}/webhooks/stripe`,
          stripeWebhookSecret,
          graphs: new Map(),
        },
        apiUrl,
      ),
    );

    return {
      urls: {
        console: `${apiUrl}/`,
        api: apiUrl,
        stripeWebhook: `${apiUrl}/webhooks/stripe`,
        printifyWebhook: `${apiUrl}/webhooks/printify`,
        health: `${apiUrl}/health`,
        sfn: sfnUrl,
        ses: ses.url,
        printify: printify.baseUrl,
        dynamodb: dynamodbUrl,
        stripeApi: stripeApi.url,
      },
      tableName,
      stripeWebhookSecret,
      printifyWebhookSecret,
      stateMachineArns,
      stepFunctions,
      printify,
      stripeApi,
      ses,
      lambdas,
      ...(watcher ? { watcher } : {}),
      recovered,
      async drain(timeoutMs) {
        let timer: NodeJS.Timeout | undefined;
        const bound = new Promise<false>((resolve) => {
          timer = setTimeout(() => resolve(false), timeoutMs);
        });
        try {
          // the bound covers both: a request stuck in a Lambda must not hold Ctrl-C forever
          const settled = (async () => {
            await api.drain();
            await stepFunctions.idle();
            return true as const;
          })();
          return await Promise.race([settled, bound]);
        } finally {
          clearTimeout(timer);
        }
      },
      stop,
    };
  } catch (error) {
    current?.fail();
    await stop();
    throw error;
  }
}

/** synthesizeTemplate in a worker thread: CDK's synth is synchronous, and would stop a spinner. */
function synthesizeInWorker(context: Record<string, unknown> | undefined): Promise<CfnTemplate> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(path.join(__dirname, 'synth-worker.cjs'), { workerData: { context } });
    worker.once('message', (message: { ok: true; template: CfnTemplate } | { ok: false; message: string }) => {
      if (message.ok) resolve(message.template);
      else reject(new Error(`synth failed: ${message.message}`));
      void worker.terminate();
    });
    worker.once('error', reject);
    worker.once('exit', (code) => reject(new Error(`the synth worker exited (${code})`)));
  });
}

/**
 * Starts again every inbox event whose execution `stepFunctions` does not know (running, or not
 * yet started, when the last run died), with the same execution name and the recorded input: every
 * effect is idempotent, so what was done is not done twice. Returns their event ids.
 */
async function startUnknown(
  dynamodbUrl: string,
  tableName: string,
  stepFunctions: LocalStepFunctions,
  stateMachineArns: Record<WorkflowName, string>,
): Promise<string[]> {
  const db = DynamoDBDocumentClient.from(
    new DynamoDBClient({ endpoint: dynamodbUrl, region: LOCAL_REGION, credentials: DYNAMODB_LOCAL_CREDENTIALS }),
  );
  try {
    const started: string[] = [];
    for (const event of await scanInbox(db, tableName)) {
      const stateMachineArn = stateMachineArns[event.workflow as WorkflowName];
      if (!stateMachineArn) continue;
      const name = executionNameOf(event);
      if (stepFunctions.knows(stateMachineArn, name)) continue;
      stepFunctions.startExecution(stateMachineArn, name, JSON.stringify(event.input));
      started.push(event.eventId);
    }
    return started;
  } finally {
    db.destroy();
  }
}

function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value.join(',') : value;
}
