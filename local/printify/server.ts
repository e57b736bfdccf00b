/**
 * The stand-in's HTTP side: Printify's API routes under /v1 (token and User-Agent checked, the
 * rate limit applied, faults injected, then the orders or webhooks module answers) and the
 * stand-in's own control routes under /__stand-in (no auth), for out-of-process use.
 */
import http from 'node:http';
import type { Socket } from 'node:net';
import type { FaultInjector } from './faults';
import { validateFault } from './faults';
import { STAND_IN_ORDER_TOPICS, type OrderStore, type StandInOrderEvent } from './orders';
import type { PrintifyQuota } from './quota';
import { isRecord, methodNotAllowed, notFound, printifyError, VALIDATION_CODE, type Reply } from './replies';
import type { WebhookHub } from './webhooks';

/** One /v1 request as received (the token is redacted only when listed over HTTP). */
export interface RecordedRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  body: unknown;
}

/** The parts of one stand-in that the routes act on. */
export interface StandInParts {
  token: string;
  shopId: string;
  orders: OrderStore;
  faults: FaultInjector;
  webhooks: WebhookHub;
  quota: PrintifyQuota;
  /** every /v1 request, oldest first (emptied in place by reset) */
  requests: RecordedRequest[];
  reset(): void;
}

function headerRecord(headers: http.IncomingHttpHeaders): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined) out[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : value;
  }
  return out;
}

function parseBody(raw: string): { ok: true; value: unknown } | { ok: false } {
  if (raw === '') return { ok: true, value: undefined };
  try {
    return { ok: true, value: JSON.parse(raw) as unknown };
  } catch {
    return { ok: false };
  }
}

/** Routes a request to Printify's API or to a control route; never throws for a bad request. */
function router(parts: StandInParts) {
  const { token, shopId, orders, faults, webhooks, quota } = parts;

  const createOrder = async (body: unknown): Promise<Reply> => {
    const fault = faults.take('create');
    const faulted = await faults.apply(fault);
    if (faulted) return faulted;
    const reply = orders.create(body);
    if (reply.status === 200 && fault?.acceptThenDelayMs) await faults.delay(fault.acceptThenDelayMs);
    return reply;
  };

  const handleApi = async (req: http.IncomingMessage, url: URL, body: unknown, bodyOk: boolean): Promise<Reply> => {
    const auth = req.headers.authorization;
    if (auth !== `Bearer ${token}`) {
      return { status: 401, body: printifyError(401, 'Unauthenticated.', 'Invalid or missing access token.') };
    }
    const userAgent = req.headers['user-agent'];
    if (typeof userAgent !== 'string' || userAgent.trim() === '') {
      return {
        status: 400,
        body: printifyError(VALIDATION_CODE, 'Validation failed.', 'User-Agent: A User-Agent header is required.'),
      };
    }
    // Printify counts requests per access token: a request without a valid one is not counted.
    const throttled = quota.admit();
    if (throttled) return throttled;
    const match = /^\/v1\/shops\/([^/]+)\/orders(?:\/([^/]+?))?(?:\/(send_to_production|cancel))?\.json$/.exec(url.pathname);
    const shopMatch = /^\/v1\/shops\/([^/]+)\//.exec(url.pathname);
    if (shopMatch && decodeURIComponent(shopMatch[1] as string) !== shopId) return notFound('Shop not found.');
    const webhookMatch = /^\/v1\/shops\/[^/]+\/webhooks(?:\/([^/]+?))?\.json$/.exec(url.pathname);
    if (webhookMatch) return webhooks.handleApi(req.method ?? 'GET', webhookMatch[1], body, bodyOk);
    if (!match) return notFound();
    const [, , orderId, action] = match;
    const method = req.method ?? 'GET';

    if (orderId === undefined) {
      if (method === 'POST') {
        if (!bodyOk) {
          return { status: 400, body: printifyError(VALIDATION_CODE, 'Validation failed.', 'The request body is not valid JSON.') };
        }
        return createOrder(body);
      }
      if (method === 'GET') return orders.list(url.searchParams);
      return methodNotAllowed(method);
    }
    const order = orders.find(decodeURIComponent(orderId));
    if (action === undefined) {
      if (method !== 'GET') return methodNotAllowed(method);
      return order ? { status: 200, body: order } : notFound('Order not found.');
    }
    if (method !== 'POST') return methodNotAllowed(method);
    if (!order) return notFound('Order not found.');
    if (action === 'cancel') return orders.cancel(order);
    const faulted = await faults.apply(faults.take('send_to_production'));
    return faulted ?? orders.sendToProduction(order);
  };

  const handleControl = async (req: http.IncomingMessage, url: URL, body: unknown, bodyOk: boolean): Promise<Reply> => {
    const route = `${req.method ?? 'GET'} ${url.pathname}`;
    const eventRoute = /^POST \/__stand-in\/orders\/([^/]+)\/events$/.exec(route);
    if (eventRoute) {
      const change = body as StandInOrderEvent;
      const topics = STAND_IN_ORDER_TOPICS as readonly string[];
      if (!bodyOk || !isRecord(body) || !topics.includes(String(body.topic))) {
        return { status: 400, body: { error: `body must be {"topic": one of ${topics.join(', ')}}` } };
      }
      if (change.topic === 'order:updated' && typeof change.status !== 'string')
        return { status: 400, body: { error: 'order:updated needs a status' } };
      const id = decodeURIComponent(eventRoute[1]!);
      if (!orders.find(id)) return { status: 404, body: { error: `no order ${id}` } };
      try {
        return { status: 200, body: await webhooks.emit(id, change) };
      } catch (error) {
        return { status: 409, body: { error: error instanceof Error ? error.message : String(error) } };
      }
    }
    switch (route) {
      case 'GET /__stand-in/deliveries':
        return { status: 200, body: webhooks.deliveries() };
      case 'POST /__stand-in/faults': {
        const checked = bodyOk ? validateFault(body) : 'body is not valid JSON';
        if (typeof checked === 'string') return { status: 400, body: { error: checked } };
        faults.fail(checked);
        return { status: 200, body: { queued: faults.queued } };
      }
      case 'GET /__stand-in/orders':
        return { status: 200, body: orders.all() };
      case 'GET /__stand-in/requests':
        return {
          status: 200,
          body: parts.requests.map((r) => ({
            ...r,
            headers: { ...r.headers, ...(r.headers.authorization ? { authorization: '[redacted]' } : {}) },
          })),
        };
      case 'GET /__stand-in/stats':
        return { status: 200, body: quota.stats() };
      case 'POST /__stand-in/reset':
        parts.reset();
        return { status: 200, body: { reset: true } };
      default:
        return { status: 404, body: { error: `No stand-in control route ${route}` } };
    }
  };

  return { handleApi, handleControl };
}

/**
 * Serves the stand-in on `host`:`port`. Rejects when the port is taken. `stop()` aborts webhook
 * deliveries, releases requests waiting on a fault's delay (their answers are dropped), closes
 * every connection and resolves once the server is closed; it is idempotent.
 */
export async function serve(
  parts: StandInParts,
  options: { port: number; host: string },
): Promise<{ baseUrl: string; stop(): Promise<void> }> {
  const { port, host } = options;
  const { handleApi, handleControl } = router(parts);
  const sockets = new Set<Socket>();
  let stopped = false;

  const httpServer = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      void (async () => {
        const url = new URL(req.url ?? '/', 'http://stand-in.local');
        const raw = Buffer.concat(chunks).toString('utf8');
        const parsed = parseBody(raw);
        const body = parsed.ok ? parsed.value : raw;
        const api = url.pathname.startsWith('/v1/');
        let reply: Reply;
        try {
          if (url.pathname.startsWith('/__stand-in/')) {
            reply = await handleControl(req, url, body, parsed.ok);
          } else if (api) {
            parts.requests.push({ method: req.method ?? 'GET', path: req.url ?? '/', headers: headerRecord(req.headers), body });
            reply = await handleApi(req, url, body, parsed.ok);
          } else {
            reply = notFound();
          }
        } catch (err) {
          reply = { status: 500, body: printifyError(500, 'Internal Server Error.', (err as Error).message) };
        }
        if (res.destroyed || res.writableEnded || stopped) return;
        if (api) parts.quota.record(reply.status);
        const payload = JSON.stringify(reply.body ?? {});
        res.writeHead(reply.status, {
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(payload),
          ...reply.headers,
        });
        res.end(payload);
      })();
    });
  });
  httpServer.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });

  await new Promise<void>((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException): void => {
      reject(
        new Error(
          err.code === 'EADDRINUSE'
            ? `Printify stand-in could not start: port ${port} is already in use.`
            : `Printify stand-in could not start on port ${port}: ${err.message}`,
        ),
      );
    };
    httpServer.once('error', onError);
    httpServer.listen(port, host, () => {
      httpServer.removeListener('error', onError);
      resolve();
    });
  });

  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopping ??= new Promise<void>((resolve) => {
      stopped = true;
      parts.webhooks.stop();
      parts.faults.stop();
      httpServer.close(() => resolve());
      httpServer.closeAllConnections();
      for (const socket of sockets) socket.destroy();
      sockets.clear();
    });
    return stopping;
  };

  return { baseUrl: `http://${host.includes(':') ? `[${host}]` : host}:${port}`, stop };
}
