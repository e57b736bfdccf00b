/**
 * A measuring proxy between the Lambdas and DynamoDB Local: it asks for the consumed capacity on
 * every request (ReturnConsumedCapacity=INDEXES, unless the caller asked itself), adds up what
 * DynamoDB Local answers, and hands the caller the answer it would have had without the proxy (the
 * capacity removed again, the CRC32 header recomputed). The Lambda code is unchanged: only its
 * AWS_ENDPOINT_URL_DYNAMODB points here.
 */
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { crc32 } from 'node:zlib';

/** Operations that accept ReturnConsumedCapacity. */
const METERED = new Set([
  'GetItem',
  'PutItem',
  'UpdateItem',
  'DeleteItem',
  'Query',
  'Scan',
  'BatchGetItem',
  'BatchWriteItem',
  'TransactGetItems',
  'TransactWriteItems',
]);
const WRITES = new Set(['PutItem', 'UpdateItem', 'DeleteItem', 'BatchWriteItem', 'TransactWriteItems']);

interface Capacity {
  CapacityUnits?: number;
  ReadCapacityUnits?: number;
  WriteCapacityUnits?: number;
}

export interface OperationMeter {
  requests: number;
  /** request units DynamoDB Local reported for successful requests */
  readUnits: number;
  writeUnits: number;
  /** of which consumed by global secondary indexes */
  indexUnits: number;
  /** items written in transactions (AWS bills 2 units per item and KB; DynamoDB Local reports less) */
  transactItems: number;
  /** requests answered with an error (e.g. ConditionalCheckFailedException), by error type */
  errors: Record<string, number>;
}

export type MeterSnapshot = Record<string, OperationMeter>;

export interface DynamoDbMeter {
  readonly url: string;
  snapshot(): MeterSnapshot;
  /** DynamoDB Local's answer times (ms, measured at the proxy) since the last call, by operation */
  takeLatencies(): Record<string, number[]>;
  stop(): Promise<void>;
}

const emptyMeter = (): OperationMeter => ({ requests: 0, readUnits: 0, writeUnits: 0, indexUnits: 0, transactItems: 0, errors: {} });

/** What changed between two snapshots. */
export function meterDelta(after: MeterSnapshot, before: MeterSnapshot): MeterSnapshot {
  const delta: MeterSnapshot = {};
  for (const [op, a] of Object.entries(after)) {
    const b = before[op] ?? emptyMeter();
    const errors: Record<string, number> = {};
    for (const [type, n] of Object.entries(a.errors)) if (n - (b.errors[type] ?? 0) > 0) errors[type] = n - (b.errors[type] ?? 0);
    const d = {
      requests: a.requests - b.requests,
      readUnits: a.readUnits - b.readUnits,
      writeUnits: a.writeUnits - b.writeUnits,
      indexUnits: a.indexUnits - b.indexUnits,
      transactItems: a.transactItems - b.transactItems,
      errors,
    };
    if (d.requests > 0) delta[op] = d;
  }
  return delta;
}

export interface MeterTotals {
  requests: number;
  /** as DynamoDB Local reported them */
  readUnits: number;
  writeUnits: number;
  /** write requests refused (a failed condition): AWS bills them at least 1 WRU, Local reports none */
  failedWrites: number;
  /** AWS's rules where Local differs: 2 WRU per transaction item (items under 1 KB), 1 WRU per refused write */
  awsWriteUnits: number;
}

export function meterTotals(snapshot: MeterSnapshot): MeterTotals {
  const totals: MeterTotals = { requests: 0, readUnits: 0, writeUnits: 0, failedWrites: 0, awsWriteUnits: 0 };
  for (const [op, m] of Object.entries(snapshot)) {
    const failed = WRITES.has(op) ? Object.values(m.errors).reduce((s, n) => s + n, 0) : 0;
    totals.requests += m.requests;
    totals.readUnits += m.readUnits;
    totals.writeUnits += m.writeUnits;
    totals.failedWrites += failed;
    totals.awsWriteUnits += (op === 'TransactWriteItems' ? Math.max(m.writeUnits, 2 * m.transactItems) : m.writeUnits) + failed;
  }
  return totals;
}

function add(meter: OperationMeter, capacity: unknown, operation: string): void {
  const list = (Array.isArray(capacity) ? capacity : capacity ? [capacity] : []) as (Capacity & {
    GlobalSecondaryIndexes?: Record<string, Capacity>;
  })[];
  for (const c of list) {
    // DynamoDB Local reports CapacityUnits (and, with INDEXES, the table's and each index's share)
    const read = c.ReadCapacityUnits ?? (WRITES.has(operation) ? 0 : (c.CapacityUnits ?? 0));
    const write = c.WriteCapacityUnits ?? (WRITES.has(operation) ? (c.CapacityUnits ?? 0) : 0);
    meter.readUnits += read;
    meter.writeUnits += write;
    for (const index of Object.values(c.GlobalSecondaryIndexes ?? {})) meter.indexUnits += index.CapacityUnits ?? 0;
  }
}

export async function startDynamoDbMeter(upstream: string): Promise<DynamoDbMeter> {
  const target = new URL(upstream);
  const meters = new Map<string, OperationMeter>();
  let latencies: Record<string, number[]> = {};
  const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      let body = Buffer.concat(chunks);
      const operation = String(req.headers['x-amz-target'] ?? '').split('.')[1] ?? '';
      let added = false;
      let transactItems = 0;
      if (METERED.has(operation)) {
        try {
          const parsed = JSON.parse(body.toString('utf8')) as Record<string, unknown>;
          if (operation === 'TransactWriteItems' && Array.isArray(parsed.TransactItems)) transactItems = parsed.TransactItems.length;
          if (parsed.ReturnConsumedCapacity === undefined || parsed.ReturnConsumedCapacity === 'NONE') {
            parsed.ReturnConsumedCapacity = 'INDEXES';
            added = true;
            body = Buffer.from(JSON.stringify(parsed));
          }
        } catch {
          // not JSON: pass it on untouched, DynamoDB Local answers as it would
        }
      }
      const headers = { ...req.headers, host: target.host, 'content-length': String(body.length) };
      const sentAt = performance.now();
      const upstreamReq = http.request(
        { hostname: target.hostname, port: target.port, path: req.url, method: req.method, headers, agent },
        (upstreamRes) => {
          const out: Buffer[] = [];
          upstreamRes.on('data', (chunk: Buffer) => out.push(chunk));
          upstreamRes.on('end', () => {
            if (operation) {
              latencies[operation] ??= [];
              latencies[operation].push(performance.now() - sentAt);
            }
            let answer = Buffer.concat(out);
            const responseHeaders = { ...upstreamRes.headers };
            if (operation) {
              const meter = meters.get(operation) ?? emptyMeter();
              meters.set(operation, meter);
              meter.requests++;
              try {
                const parsed = JSON.parse(answer.toString('utf8')) as Record<string, unknown>;
                if ((upstreamRes.statusCode ?? 500) >= 400) {
                  const type =
                    String(parsed.__type ?? 'Error')
                      .split('#')
                      .pop() ?? 'Error';
                  meter.errors[type] = (meter.errors[type] ?? 0) + 1;
                } else if (parsed.ConsumedCapacity !== undefined) {
                  meter.transactItems += transactItems;
                  add(meter, parsed.ConsumedCapacity, operation);
                  if (added) {
                    delete parsed.ConsumedCapacity;
                    answer = Buffer.from(JSON.stringify(parsed));
                    responseHeaders['content-length'] = String(answer.length);
                    responseHeaders['x-amz-crc32'] = String(crc32(answer));
                  }
                }
              } catch {
                // not JSON: hand it over as it is
              }
            }
            res.writeHead(upstreamRes.statusCode ?? 500, responseHeaders);
            res.end(answer);
          });
        },
      );
      // DynamoDB (Local) unreachable: drop the connection, as an unreachable endpoint would
      upstreamReq.on('error', () => res.destroy());
      upstreamReq.end(body);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    snapshot: () => structuredClone(Object.fromEntries(meters)),
    takeLatencies: () => {
      const taken = latencies;
      latencies = {};
      return taken;
    },
    stop: async () => {
      server.closeAllConnections();
      agent.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
