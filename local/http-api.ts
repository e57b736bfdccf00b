import { randomUUID } from 'node:crypto';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import type { LocalLambda } from './local-lambda';

/** API Gateway HTTP API's payload limit. */
const MAX_BODY_BYTES = 10 * 1024 * 1024;

export interface LocalRoute {
  method: string;
  path: string;
  lambda: LocalLambda;
  /** sees each request's raw body and headers before the Lambda does (e.g. the Stripe stand-in) */
  observe?: (body: Buffer, headers: http.IncomingHttpHeaders) => void;
}

/** Whether a content type is text, which API Gateway passes through instead of base64-encoding. */
function isText(contentType: string | undefined): boolean {
  if (!contentType) return true;
  return /^(text\/|application\/(json|.*\+json|x-www-form-urlencoded|xml))/i.test(contentType);
}

/** Builds the payload format 2.0 event API Gateway sends to a Lambda proxy integration. */
export function toApiGatewayEvent(req: http.IncomingMessage, body: Buffer, routeKey: string): APIGatewayProxyEventV2 {
  const url = new URL(req.url ?? '/', 'http://localhost');
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (value !== undefined) headers[name.toLowerCase()] = Array.isArray(value) ? value.join(',') : value;
  }
  const base64 = !isText(headers['content-type']);
  const now = new Date();
  return {
    version: '2.0',
    routeKey,
    rawPath: url.pathname,
    rawQueryString: url.search.slice(1),
    headers,
    ...(url.search ? { queryStringParameters: Object.fromEntries(url.searchParams) } : {}),
    requestContext: {
      accountId: '000000000000',
      apiId: 'local',
      domainName: headers.host ?? 'localhost',
      domainPrefix: 'localhost',
      http: {
        method: req.method ?? 'GET',
        path: url.pathname,
        protocol: `HTTP/${req.httpVersion}`,
        sourceIp: req.socket.remoteAddress ?? '127.0.0.1',
        userAgent: headers['user-agent'] ?? '',
      },
      requestId: randomUUID(),
      routeKey,
      stage: '$default',
      time: now.toUTCString(),
      timeEpoch: now.getTime(),
    },
    body: base64 ? body.toString('base64') : body.toString('utf8'),
    isBase64Encoded: base64,
  };
}

/**
 * The HTTP API on this machine: routes requests to the same Lambda handlers, with the event and
 * response shapes of API Gateway's HTTP API (payload format 2.0), plus GET /health.
 */
export class LocalHttpApi {
  private server?: http.Server;
  private draining = false;
  private inFlight = 0;
  private readonly quiet: (() => void)[] = [];
  private others?: (req: http.IncomingMessage, res: http.ServerResponse) => Promise<boolean>;

  constructor(
    private readonly routes: LocalRoute[],
    private readonly health: () => Promise<Record<string, boolean>>,
  ) {}

  async listen(port: number, host = '127.0.0.1'): Promise<string> {
    this.server = http.createServer((req, res) => void this.serve(req, res));
    await new Promise<void>((resolve, reject) => {
      this.server!.once('error', reject);
      this.server!.listen(port, host, () => resolve());
    });
    return `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${(this.server.address() as AddressInfo).port}`;
  }

  /**
   * Stops taking requests: from now on every request (GET /health too) is answered 503 with
   * Retry-After, so that Stripe and Printify deliver again later. Resolves once the requests
   * already being handled have been answered.
   */
  async drain(): Promise<void> {
    this.draining = true;
    if (this.inFlight > 0) await new Promise<void>((resolve) => this.quiet.push(resolve));
  }

  /**
   * Serves what no route matches with `handler` first (the local console's pages), which answers
   * true when it took the request; otherwise the API's own 404/405 apply.
   */
  serveOthersWith(handler: (req: http.IncomingMessage, res: http.ServerResponse) => Promise<boolean>): void {
    this.others = handler;
  }

  async stop(): Promise<void> {
    if (!this.server) return;
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server!.close(() => resolve()));
  }

  private async serve(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    if (this.draining) {
      res.writeHead(503, { 'content-type': 'application/json', 'retry-after': '10', connection: 'close' });
      res.end(JSON.stringify({ message: 'Service Unavailable: the local pipeline is stopping' }));
      return;
    }
    this.inFlight += 1;
    try {
      await this.handle(req, res);
    } finally {
      this.inFlight -= 1;
      if (this.inFlight === 0) for (const resolve of this.quiet.splice(0)) resolve();
    }
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const send = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    try {
      const path = new URL(req.url ?? '/', 'http://localhost').pathname;
      if (req.method === 'GET' && path === '/health') {
        const services = await this.health();
        send(Object.values(services).every(Boolean) ? 200 : 503, { ok: Object.values(services).every(Boolean), services });
        return;
      }
      const route = this.routes.find((r) => r.path === path && r.method === req.method);
      if (!route && !this.routes.some((r) => r.path === path) && this.others && (await this.others(req, res))) return;
      if (!route) {
        send(this.routes.some((r) => r.path === path) ? 405 : 404, { message: 'Not Found' });
        return;
      }
      const chunks: Buffer[] = [];
      let size = 0;
      for await (const chunk of req) {
        size += (chunk as Buffer).length;
        if (size > MAX_BODY_BYTES) {
          send(413, { message: 'Request Entity Too Large' });
          return;
        }
        chunks.push(chunk as Buffer);
      }
      route.observe?.(Buffer.concat(chunks), req.headers);
      const event = toApiGatewayEvent(req, Buffer.concat(chunks), `${route.method} ${route.path}`);
      const result = (await route.lambda.invoke(event)) as APIGatewayProxyStructuredResultV2 | null;
      const body = result?.body ?? '';
      res.writeHead(result?.statusCode ?? 200, { ...(result?.headers as Record<string, string> | undefined) });
      res.end(result?.isBase64Encoded ? Buffer.from(body, 'base64') : body);
    } catch (error) {
      // API Gateway answers 500 "Internal Server Error" when the integration itself fails.
      send(500, { message: 'Internal Server Error', detail: error instanceof Error ? error.message : String(error) });
    }
  }
}
