import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { keys } from '../../lambdas/domain/keys';
import type { Order } from '../../lambdas/domain/order';
import { PROJECT_ROOT } from '../../lib/constructs/pipeline-function';
import { DYNAMODB_LOCAL_CREDENTIALS, freePort } from '../../local/dynamodb-local';
import { normaliseStoredEmail } from '../../local/ses-local';
import { LOCAL_REGION } from '../../local/stack-template';
import { Storefront } from '../fixtures/storefront';
import { checkoutSession, signedRequest, stripeEvent, type StripeEventEnvelope } from '../fixtures/stripe-events';
import { pool, uniqueEmail } from './support';

/**
 * A crash of `npm start` mid-burst, then a restart on the same data and Stripe's redelivery of
 * every event: each acknowledged order is fulfilled exactly once (one Printify order, one
 * confirmation email, its petals once), and nothing of the first run is left running, its
 * DynamoDB Local JVM included. The stack runs as `npm start` runs it (local/main.ts in its own
 * process), on free ports and a temporary LOCAL_DATA_DIR.
 */

const ORDERS = Number(process.env.RELIABILITY_CRASH_ORDERS) || (process.env.RELIABILITY_SIZE === 'full' ? 120 : 24);
/** the burst is cut after this many answers */
const KILL_AFTER = Math.ceil(ORDERS / 3);
const START_MS = 120_000;

interface Ports {
  port: number;
  sfnPort: number;
  sesPort: number;
  printifyPort: number;
  dynamodbPort: number;
  stripeApiPort: number;
}

/** Resolves once `check` is true, polling every 200 ms; rejects at the deadline. */
async function until(what: string, ms: number, check: () => boolean | Promise<boolean>): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${ms} ms`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Pids of processes whose command line names `needle` (e.g. the run's data dir). */
function processesNaming(needle: string): number[] {
  return readdirSync('/proc')
    .filter((e) => /^\d+$/.test(e) && Number(e) !== process.pid)
    .filter((e) => {
      try {
        return readFileSync(`/proc/${e}/cmdline`, 'utf8').includes(needle);
      } catch {
        return false;
      }
    })
    .map(Number);
}

class NpmStart {
  output = '';
  private constructor(readonly child: ChildProcess) {
    child.stdout?.on('data', (c: Buffer) => (this.output = (this.output + c.toString()).slice(-20_000)));
    child.stderr?.on('data', (c: Buffer) => (this.output = (this.output + c.toString()).slice(-20_000)));
  }

  /** local/main.ts in a process of its own, as `npm start` runs it; resolves once /health is 200. */
  static async start(dir: string, ports: Ports): Promise<NpmStart> {
    const child = spawn(process.execPath, ['--import', 'tsx', 'local/main.ts'], {
      cwd: PROJECT_ROOT,
      env: {
        ...process.env,
        PORT: String(ports.port),
        SFN_PORT: String(ports.sfnPort),
        SES_PORT: String(ports.sesPort),
        PRINTIFY_PORT: String(ports.printifyPort),
        DYNAMODB_PORT: String(ports.dynamodbPort),
        STRIPE_API_PORT: String(ports.stripeApiPort),
        LOCAL_DATA_DIR: dir,
        LOG_LEVEL: 'SILENT',
        DRAIN_SECONDS: '20',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const run = new NpmStart(child);
    try {
      await until('npm start healthy', START_MS, async () => {
        if (run.exited) throw new Error(`npm start exited early:\n${run.output}`);
        return fetch(`http://127.0.0.1:${ports.port}/health`).then(
          (r) => r.ok,
          () => false,
        );
      });
    } catch (error) {
      child.kill('SIGKILL');
      throw error;
    }
    return run;
  }

  get exited(): boolean {
    return this.child.exitCode !== null || this.child.signalCode !== null;
  }

  async exit(ms: number): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    await until('npm start exited', ms, () => this.exited);
    return { code: this.child.exitCode, signal: this.child.signalCode };
  }
}

interface Planned {
  order: Order;
  email: string;
  event: StripeEventEnvelope;
}

function scenario(signal: 'SIGKILL' | 'SIGINT') {
  let dir: string;
  let ports: Ports;
  let db: DynamoDBDocumentClient;
  const table = 'otakumori-orders';
  const runs: NpmStart[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), `crash-${signal}-`));
    ports = {
      port: await freePort(),
      sfnPort: await freePort(),
      sesPort: await freePort(),
      printifyPort: await freePort(),
      dynamodbPort: await freePort(),
      stripeApiPort: await freePort(),
    };
    db = DynamoDBDocumentClient.from(
      new DynamoDBClient({
        endpoint: `http://127.0.0.1:${ports.dynamodbPort}`,
        region: LOCAL_REGION,
        credentials: DYNAMODB_LOCAL_CREDENTIALS,
      }),
    );
  });
  afterAll(async () => {
    db?.destroy();
    for (const run of runs) {
      if (!run.exited) {
        run.child.kill('SIGTERM');
        await run.exit(60_000).catch(() => run.child.kill('SIGKILL'));
      }
    }
    rmSync(dir, { recursive: true, force: true });
  }, 90_000);

  /** ListExecutions (RUNNING) on the local Step Functions API, as the AWS CLI would ask it. */
  const runningExecutions = async (): Promise<unknown[]> => {
    const response = await fetch(`http://127.0.0.1:${ports.sfnPort}`, {
      method: 'POST',
      headers: { 'x-amz-target': 'AWSStepFunctions.ListExecutions', 'content-type': 'application/x-amz-json-1.0' },
      body: JSON.stringify({ statusFilter: 'RUNNING' }),
    });
    return ((await response.json()) as { executions: unknown[] }).executions;
  };

  const send = async (event: StripeEventEnvelope): Promise<number> => {
    const request = signedRequest(event, 'whsec_otakumori_local_development_secret');
    try {
      const response = await fetch(`http://127.0.0.1:${ports.port}/webhooks/stripe`, {
        method: 'POST',
        headers: request.headers,
        body: request.body,
      });
      await response.text();
      return response.status;
    } catch {
      return 0; // no answer: Stripe retries
    }
  };

  it(`${signal} mid-burst, restart, redelivery: every acknowledged order fulfilled exactly once; nothing of the first run left`, async () => {
    const first = await NpmStart.start(dir, ports);
    runs.push(first);
    const storefront = new Storefront(db, table);
    const planned: Planned[] = [];
    for (let i = 0; i < ORDERS; i += 1) {
      const order = await storefront.checkoutScene();
      const email = uniqueEmail();
      const event = stripeEvent(
        'checkout.session.completed',
        checkoutSession({ orderId: order.orderId, userId: order.userId, amountTotal: order.amountTotal, email }),
      );
      planned.push({ order, email, event });
    }
    const pidFile = JSON.parse(readFileSync(path.join(dir, 'dynamodb-local.pid'), 'utf8')) as { pid: number; port: number };

    // the burst, cut by the signal once a third has been answered
    let answered = 0;
    let signalled = false;
    let runningAtSignal = 0;
    const statuses = await pool(planned, 8, async (p) => {
      const status = await send(p.event);
      answered += 1;
      if (answered >= KILL_AFTER && !signalled) {
        signalled = true;
        runningAtSignal = (await runningExecutions()).length;
        first.child.kill(signal);
      }
      return status;
    });
    const acknowledged = planned.filter((_, i) => statuses[i] === 200);
    expect(acknowledged.length).toBeGreaterThanOrEqual(KILL_AFTER);
    // after the signal nothing is answered 200 that was not taken before it: the rest is 503 or no answer
    expect(statuses.every((s) => s === 200 || s === 503 || s === 0)).toBe(true);

    const exit = await first.exit(60_000);
    if (signal === 'SIGINT') expect(exit).toEqual({ code: 0, signal: null });
    else expect(exit.signal).toBe('SIGKILL');
    // the JVM's group (watchdog and java) is gone, and nothing names the run's data dir
    await until('the first DynamoDB Local gone', 15_000, () => !alive(-pidFile.pid));
    await until('nothing of the first run left', 15_000, () => processesNaming(dir).length === 0);

    const restartedAt = new Date();
    const second = await NpmStart.start(dir, ports);
    runs.push(second);
    if (signal === 'SIGKILL') {
      // the kill hit running executions, and the restart ran them again before any redelivery
      expect(runningAtSignal).toBeGreaterThan(0);
      expect(Number(/running again (\d+) accepted event/.exec(second.output)?.[1] ?? 0)).toBeGreaterThan(0);
    }
    const redelivered = await pool(planned, 8, (p) => send(p.event));
    expect(redelivered.filter((s) => s !== 200)).toEqual([]);

    const read = async (p: Planned) => {
      const order = (await db.send(new GetCommand({ TableName: table, Key: keys.order(p.order.orderId), ConsistentRead: true })))
        .Item as Order;
      const items = async (pk: string, prefix: string) =>
        (
          await db.send(
            new QueryCommand({
              TableName: table,
              KeyConditionExpression: 'pk = :pk AND begins_with(sk, :p)',
              ExpressionAttributeValues: { ':pk': pk, ':p': prefix },
              ConsistentRead: true,
            }),
          )
        ).Items ?? [];
      const ledger = await items(keys.petalBalance(p.order.userId).pk, 'LEDGER#');
      const emails = await items(keys.order(p.order.orderId).pk, 'EMAIL#');
      const balance = (await db.send(new GetCommand({ TableName: table, Key: keys.petalBalance(p.order.userId), ConsistentRead: true })))
        .Item?.balance;
      return { order, ledger, emails, balance };
    };
    await until('every order fulfilled', 180_000, async () => {
      const states = await Promise.all(planned.map(read));
      return states.every((s) => s.order.status === 'in_production' && s.emails.some((e) => e.status === 'sent') && s.ledger.length > 0);
    });
    // let the executions that redelivery found running settle before counting the stand-ins
    await until('no execution running', 60_000, async () => (await runningExecutions()).length === 0);

    const printifyAnswer = (await (await fetch(`http://127.0.0.1:${ports.printifyPort}/__stand-in/orders`)).json()) as unknown;
    const printifyOrders = (Array.isArray(printifyAnswer) ? printifyAnswer : ((printifyAnswer as { orders?: unknown[] }).orders ?? [])) as {
      id: string;
      external_id: string;
    }[];
    const store = (await (await fetch(`http://127.0.0.1:${ports.sesPort}/store`)).json()) as { emails?: unknown[] };
    const sentNow = (store.emails ?? []).map(normaliseStoredEmail);

    for (const p of planned) {
      const { order, ledger, emails, balance } = await read(p);
      const petals = Math.floor(p.order.amountTotal / 100);
      // the table: one ledger entry, the balance once, one confirmation sent, one Printify order
      expect({
        orderId: p.order.orderId,
        status: order.status,
        ledger: ledger.length,
        balance,
        emails: emails.map((e) => e.status),
      }).toEqual({
        orderId: p.order.orderId,
        status: 'in_production',
        ledger: 1,
        balance: petals,
        emails: ['sent'],
      });
      expect(order.printifyOrderId).toEqual(expect.any(String));
      // the stand-ins of the second run saw at most what the first had not done: an order created
      // (or an email sent) before the restart was not done again after it
      const created = printifyOrders.filter((o) => o.external_id === p.order.orderId);
      expect(created.length).toBeLessThanOrEqual(1);
      if (created.length === 1) expect(created[0]!.id).toBe(order.printifyOrderId);
      const mailed = sentNow.filter((e) => e?.to.includes(p.email)).length;
      const sentBefore = new Date(String(emails[0]!.sentAt)) < restartedAt;
      expect({ orderId: p.order.orderId, mailedAfterRestart: mailed }).toEqual({
        orderId: p.order.orderId,
        mailedAfterRestart: sentBefore ? 0 : 1,
      });
    }
  }, 600_000);
}

describe('SIGKILL of npm start mid-burst', () => scenario('SIGKILL'));
describe('Ctrl-C (SIGINT) of npm start mid-burst', () => scenario('SIGINT'));
