// The local console: server-rendered pages on the HTTP API's own port (path /), next to the webhook
// routes. htmx (from node_modules) refreshes the live parts; the actions are plain POST forms,
// guarded so that only the console's own pages can send them (see guard.ts).
import { readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import * as path from 'node:path';
import { OpsError } from '../../scripts/ops/target';
import { AwsApiError } from '../step-functions-service';
import { isAction, runAction } from './actions';
import type { ConsoleContext } from './context';
import { refusal } from './guard';
import { html, query, type Html } from './html';
import { page, type Flash } from './layout';
import { executionDetail, executionPage, graphOf } from './pages/execution';
import { eventRows, eventsPage } from './pages/events';
import { executionFilter, executionRows, executionsPage } from './pages/executions';
import { orderPage, ordersPage } from './pages/orders';
import { sendPage } from './pages/send';

/** Answers a request if it is the console's (true), or leaves it to the caller (false). */
export type ConsoleHandler = (req: IncomingMessage, res: ServerResponse) => Promise<boolean>;

const MAX_FORM_BYTES = 64 * 1024;

// Read once at start: the console must work offline, so nothing is fetched from a CDN.
const ASSETS: Record<string, { type: string; body: Buffer }> = {
  '/assets/htmx.min.js': { type: 'text/javascript; charset=utf-8', body: readFileSync(require.resolve('htmx.org/dist/htmx.min.js')) },
  '/assets/console.css': { type: 'text/css; charset=utf-8', body: readFileSync(path.join(__dirname, 'assets', 'console.css')) },
  // what every browser asks for first: a blossom, so that the console's log shows no 404
  '/favicon.ico': {
    type: 'image/svg+xml',
    body: Buffer.from(
      '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 16 16"><circle cx="8" cy="8" r="7" fill="#f4a7c0"/><circle cx="8" cy="8" r="2.5" fill="#c2185b"/></svg>',
    ),
  },
};

// The page's own scripts and styles only; the emails' HTML is shown in sandboxed iframes (srcdoc
// documents inherit this policy, so an email's scripts could not run even without the sandbox).
const SECURITY_HEADERS = {
  'content-security-policy':
    "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; frame-ancestors 'none'; form-action 'self'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'same-origin',
};

class NotFound extends Error {}

/** The paths of the console's pages and fragments (GET). */
const PAGE_PATHS = [/^\/$/, /^\/events\/rows$/, /^\/executions(\/(rows|view|detail))?$/, /^\/orders(\/[^/]+)?$/, /^\/send$/];

function send(res: ServerResponse, status: number, body: Html | string, type = 'text/html; charset=utf-8'): void {
  res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store', ...SECURITY_HEADERS });
  res.end(String(body));
}

async function readForm(req: IncomingMessage): Promise<URLSearchParams> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_FORM_BYTES) throw new NotFound('form too large');
    chunks.push(chunk as Buffer);
  }
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}

/** A same-origin page to return to after an action fails (the Referer, if it is ours). */
function backTo(req: IncomingMessage, origin: string): string {
  const referer = req.headers.referer;
  if (typeof referer === 'string' && referer.startsWith(`${origin}/`)) {
    const url = new URL(referer);
    url.searchParams.delete('notice');
    url.searchParams.delete('error');
    return `${url.pathname}${url.search}`;
  }
  return '/';
}

/** `location` with the flash message added to its query string. */
function withFlash(location: string, flash: Flash): string {
  const url = new URL(location, 'http://console');
  if (flash.notice) url.searchParams.set('notice', flash.notice);
  if (flash.error) url.searchParams.set('error', flash.error);
  return `${url.pathname}${url.search}`;
}

/**
 * The console's request handler for `context`, served at `origin` (http://127.0.0.1:<port>, the
 * HTTP API's). Paths it does not know are left to the caller (false), so the API's 404 still applies.
 */
export function createConsole(context: ConsoleContext, origin: string): ConsoleHandler {
  // laid out now, in the background, so that the first execution page answers at once
  for (const machine of context.target.stateMachines) graphOf(context, machine.arn).catch(() => undefined);
  const pages = async (pathname: string, params: URLSearchParams, flash: Flash): Promise<Html | undefined> => {
    if (pathname === '/') return eventsPage(context, flash);
    if (pathname === '/events/rows') return eventRows(context);
    if (pathname === '/executions') return executionsPage(context, executionFilter(params), flash);
    if (pathname === '/executions/rows') return executionRows(context, executionFilter(params));
    if (pathname === '/executions/view') return executionPage(context, params.get('arn') ?? '', flash);
    if (pathname === '/executions/detail') return executionDetail(context, params.get('arn') ?? '');
    if (pathname === '/orders') return ordersPage(context, flash);
    const order = /^\/orders\/([^/]+)$/.exec(pathname);
    if (order) return orderPage(context, decodeURIComponent(order[1]!), flash);
    if (pathname === '/send') return sendPage(params, flash);
    return undefined;
  };

  return async (req, res) => {
    const url = new URL(req.url ?? '/', origin);
    const asset = ASSETS[url.pathname];
    const action = /^\/actions\/([a-z-]+)$/.exec(url.pathname)?.[1];
    if (!asset && !action && !PAGE_PATHS.some((p) => p.test(url.pathname))) return false;
    const refused = refusal(req, origin);
    if (refused) {
      send(res, 403, refused, 'text/plain; charset=utf-8');
      return true;
    }
    try {
      if (asset) {
        if (req.method !== 'GET' && req.method !== 'HEAD') return false;
        res.writeHead(200, { 'content-type': asset.type, 'cache-control': 'max-age=3600' });
        res.end(asset.body);
        return true;
      }
      if (action) {
        if (req.method !== 'POST' || !isAction(action)) return false;
        const result = await runAction(context, action, await readForm(req), backTo(req, origin));
        res.writeHead(303, { location: withFlash(result.location, result), 'cache-control': 'no-store' });
        res.end();
        return true;
      }
      if (req.method !== 'GET' && req.method !== 'HEAD') return false;
      const flash: Flash = {
        ...(url.searchParams.get('notice') ? { notice: url.searchParams.get('notice')! } : {}),
        ...(url.searchParams.get('error') ? { error: url.searchParams.get('error')! } : {}),
      };
      const body = await pages(url.pathname, url.searchParams, flash);
      if (!body) return false;
      send(res, 200, body);
    } catch (error) {
      // an unknown order or execution is a page that says so, not a server error
      const missing =
        error instanceof OpsError || error instanceof NotFound || (error instanceof AwsApiError && error.type === 'ExecutionDoesNotExist');
      const message = error instanceof Error ? error.message : String(error);
      send(
        res,
        missing ? 404 : 500,
        page(
          missing ? 'Not found' : 'Error',
          '',
          html`<p class="flash error">${message}</p><p><a href="/">Events</a> · <a href="/executions${query({})}">Executions</a></p>`,
        ),
      );
    }
    return true;
  };
}
