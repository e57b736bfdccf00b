/**
 * Local SES (aws-ses-v2-local), run in this process.
 *
 * It accepts SES v1 (`POST /` with Action=SendEmail / SendRawEmail) and SES v2
 * (`POST /v2/email/outbound-emails`) calls, shows sent mail on `GET /`, and returns it as JSON on
 * `GET /store`: `{ templates: {…}, emails: [{ messageId, from, replyTo: [], destination: { to: [],
 * cc: [], bcc: [] }, subject, body: { html?, text? }, attachments: [], headers?, at }] }` where
 * `at` is a Unix time in seconds. `POST /clear-store` empties it.
 *
 * It enforces the account's maximum sending rate, which aws-ses-v2-local does not: a small proxy
 * on `port` counts each send's recipients (AWS counts every recipient against the sending quotas)
 * over a sliding window (default 14 a second, AWS's rate for an account out of the sandbox) and
 * answers over it as AWS SES does when throttled: for the SES v1 API (SendEmail, SendRawEmail; the
 * pipeline's SesMailer uses v1 SendEmail) HTTP 400 with the query-API error body, code
 * `Throttling`, message "Maximum sending rate exceeded."; for SES v2 (POST
 * /v2/email/outbound-emails) HTTP 429 `TooManyRequestsException`. Everything else, and every send
 * under the rate, goes to aws-ses-v2-local, which runs behind the proxy on a port of its own.
 *
 * Note: the package keeps its store in a module-level variable, so two SesLocal instances in one
 * process share (and clear) the same mailbox.
 */
import { randomUUID } from 'node:crypto';
import http, { type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import server from 'aws-ses-v2-local';
import type { RunningService } from './dynamodb-local';
import { rateLimitFromEnv, RateLimiter, type RateLimitOptions } from './rate-limit';

export interface SentEmail {
  messageId?: string;
  from: string;
  to: string[];
  subject: string;
  html?: string;
  text?: string;
  /** ISO 8601 time the local SES received it. */
  at?: string;
}

/** AWS's default maximum sending rate for an account out of the sandbox: 14 emails ... */
export const SES_MAX_SEND_RATE = 14;
/** ... a second. */
export const SES_SEND_RATE_WINDOW_MS = 1_000;

/** What the local SES has admitted and refused since it started (or `resetStats`). */
export interface SesSendStats {
  /** Send calls admitted (SendEmail, SendRawEmail, v2 SendEmail). */
  sends: number;
  /** Send calls refused with `Throttling` (v1) or `TooManyRequestsException` (v2). */
  throttled: number;
  /** The most recipients admitted in any window of `windowMs`: never above `limit`. */
  peakPerWindow: number;
  /** Recipients per window: the maximum sending rate (14 a second by default). */
  limit: number;
  /** The window, in milliseconds (1 000: a second, unless a simulation scales time down). */
  windowMs: number;
}

export interface SesLocal extends RunningService {
  sentEmails(): Promise<SentEmail[]>;
  clear(): Promise<void>;
  /** Sends admitted and throttled, and the peak sending rate (a copy). */
  stats(): SesSendStats;
  /** Counts afresh: no send in the window, counts and peak at 0 (the mailbox is kept). */
  resetStats(): void;
}

export interface SesLocalOptions {
  port: number;
  /** The maximum sending rate: default AWS's 14 recipients per 1 000 ms; tests inject `now`. */
  sendRate?: RateLimitOptions;
}

/**
 * The sending rate from SES_MAX_SEND_RATE (recipients per window) and SES_SEND_RATE_WINDOW_MS
 * (the window; a second unless set). Throws on a value that is not a positive integer.
 */
export function sesSendRateFromEnv(env: NodeJS.ProcessEnv = process.env): RateLimitOptions {
  return rateLimitFromEnv(env, 'SES_MAX_SEND_RATE', 'SES_SEND_RATE_WINDOW_MS');
}

/** A send call's recipients (at least 1), or undefined when the request is not a send. */
export function recipientsOfSend(method: string, path: string, body: string): number | undefined {
  if (method !== 'POST') return undefined;
  if (path === '/v2/email/outbound-emails') {
    try {
      const destination = (JSON.parse(body) as { Destination?: Record<string, unknown> }).Destination ?? {};
      const count = ['ToAddresses', 'CcAddresses', 'BccAddresses']
        .map((k) => destination[k])
        .reduce<number>((sum, list) => sum + (Array.isArray(list) ? list.length : 0), 0);
      return Math.max(1, count);
    } catch {
      return 1; // aws-ses-v2-local answers the malformed body itself
    }
  }
  if (path !== '/') return undefined;
  const form = new URLSearchParams(body);
  const action = form.get('Action');
  if (action !== 'SendEmail' && action !== 'SendRawEmail') return undefined;
  const recipient = action === 'SendEmail' ? /^Destination\.(To|Cc|Bcc)Addresses\.member\.\d+$/ : /^Destinations\.member\.\d+$/;
  return Math.max(1, [...form.keys()].filter((key) => recipient.test(key)).length);
}

/** AWS SES's answer to a throttled send: v1 (query API, XML) or v2 (REST, JSON). */
function throttledAnswer(path: string): { status: number; headers: Record<string, string>; body: string } {
  const requestId = randomUUID();
  if (path.startsWith('/v2/')) {
    return {
      status: 429,
      headers: { 'content-type': 'application/json', 'x-amzn-requestid': requestId, 'x-amzn-errortype': 'TooManyRequestsException' },
      body: JSON.stringify({ message: 'Maximum sending rate exceeded.' }),
    };
  }
  return {
    status: 400,
    headers: { 'content-type': 'text/xml', 'x-amzn-requestid': requestId },
    body:
      '<ErrorResponse xmlns="http://ses.amazonaws.com/doc/2010-12-01/"><Error><Type>Sender</Type><Code>Throttling</Code>' +
      `<Message>Maximum sending rate exceeded.</Message></Error><RequestId>${requestId}</RequestId></ErrorResponse>`,
  };
}

function asRecord(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}

function asString(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

function asStringList(value: unknown): string[] {
  if (Array.isArray(value)) return value.filter((v): v is string => typeof v === 'string');
  if (typeof value === 'string') return [value];
  return [];
}

function asIsoTime(value: unknown): string | undefined {
  if (typeof value === 'number' && Number.isFinite(value)) {
    // aws-ses-v2-local stores seconds; accept milliseconds too.
    return new Date(value < 1e12 ? value * 1000 : value).toISOString();
  }
  if (typeof value === 'string' && !Number.isNaN(Date.parse(value))) return new Date(value).toISOString();
  return undefined;
}

/** Normalises one entry of `GET /store`'s `emails` into a SentEmail (tolerant of shape drift). */
export function normaliseStoredEmail(raw: unknown): SentEmail | undefined {
  const email = asRecord(raw);
  if (!email) return undefined;
  const destination = asRecord(email.destination);
  const body = asRecord(email.body);
  const result: SentEmail = {
    from: asString(email.from) ?? asString(email.source) ?? '',
    to: asStringList(destination?.to ?? email.to),
    subject: asString(email.subject) ?? '',
  };
  const messageId = asString(email.messageId) ?? asString(email.MessageId);
  if (messageId !== undefined) result.messageId = messageId;
  const html = asString(body?.html) ?? asString(email.html);
  if (html !== undefined) result.html = html;
  const text = asString(body?.text) ?? asString(email.text);
  if (text !== undefined) result.text = text;
  const at = asIsoTime(email.at);
  if (at !== undefined) result.at = at;
  return result;
}

/**
 * Starts aws-ses-v2-local on 127.0.0.1 (a free port) behind the sending-rate proxy on
 * 127.0.0.1:`port`, in this process. Rejects when `port` is taken or the rate is not a positive
 * integer per a positive window.
 */
export async function startSesLocal(options: SesLocalOptions): Promise<SesLocal> {
  const { port } = options;
  const limiter = new RateLimiter({
    limit: options.sendRate?.limit ?? SES_MAX_SEND_RATE,
    windowMs: options.sendRate?.windowMs ?? SES_SEND_RATE_WINDOW_MS,
    ...(options.sendRate?.now ? { now: options.sendRate.now } : {}),
  });
  let counts = { sends: 0, throttled: 0 };
  let backend: Server;
  try {
    backend = await server({ port: 0, host: '127.0.0.1' });
  } catch (err) {
    throw new Error(`Local SES could not start: ${(err as Error).message}`);
  }
  // Express 5's app.listen passes a listen error to the callback, which aws-ses-v2-local treats as
  // success: the promise resolves with a server that is not listening.
  if (!backend.listening) throw new Error('Local SES could not start: aws-ses-v2-local is not listening.');
  const backendPort = (backend.address() as AddressInfo).port;

  const sockets = new Set<Socket>();
  const proxy = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const path = (req.url ?? '/').split('?')[0] ?? '/';
      // A request without AWS credentials gets aws-ses-v2-local's own 403, as it would from AWS.
      const signed = (req.headers.authorization ?? '').startsWith('AWS');
      const recipients = signed ? recipientsOfSend(req.method ?? 'GET', path, body.toString('utf8')) : undefined;
      if (recipients !== undefined) {
        // A message with more recipients than a whole window allows would never pass: it is
        // admitted, as a full window's worth, once the window is empty.
        if (limiter.take(Math.min(recipients, limiter.limit)).ok) counts.sends += 1;
        else {
          counts.throttled += 1;
          const answer = throttledAnswer(path);
          res.writeHead(answer.status, { ...answer.headers, 'content-length': Buffer.byteLength(answer.body) });
          res.end(answer.body);
          return;
        }
      }
      const upstream = http.request(
        { host: '127.0.0.1', port: backendPort, method: req.method, path: req.url, headers: req.headers },
        (answer) => {
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
        },
      );
      upstream.on('error', (err) => {
        if (res.headersSent) res.destroy();
        else res.writeHead(502, { 'content-type': 'text/plain' }).end(`Local SES backend: ${err.message}`);
      });
      upstream.end(body);
    });
  });
  proxy.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  try {
    await new Promise<void>((resolve, reject) => {
      proxy.once('error', reject);
      proxy.listen(port, '127.0.0.1', () => {
        proxy.removeListener('error', reject);
        resolve();
      });
    });
  } catch (err) {
    backend.close();
    backend.closeAllConnections();
    throw new Error(
      (err as NodeJS.ErrnoException).code === 'EADDRINUSE'
        ? `Local SES could not start: port ${port} is already in use (set SES_PORT to another port).`
        : `Local SES could not start on port ${port}: ${(err as Error).message}`,
    );
  }

  const url = `http://127.0.0.1:${port}`;

  const sentEmails = async (): Promise<SentEmail[]> => {
    const res = await fetch(`${url}/store`);
    if (!res.ok) throw new Error(`Local SES GET /store answered HTTP ${res.status}`);
    const store = asRecord(await res.json());
    const emails = Array.isArray(store?.emails) ? store.emails : [];
    return emails.map(normaliseStoredEmail).filter((e): e is SentEmail => e !== undefined);
  };

  const clear = async (): Promise<void> => {
    const res = await fetch(`${url}/clear-store`, { method: 'POST' });
    await res.arrayBuffer();
    if (!res.ok) throw new Error(`Local SES POST /clear-store answered HTTP ${res.status}`);
  };

  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      const closing = [proxy, backend].map(
        (one) => new Promise<void>((resolve) => (one.listening ? one.close(() => resolve()) : resolve())),
      );
      proxy.closeAllConnections();
      backend.closeAllConnections();
      for (const socket of sockets) socket.destroy();
      await Promise.all(closing);
    })();
    return stopping;
  };

  const stats = (): SesSendStats => ({ ...counts, peakPerWindow: limiter.peak, limit: limiter.limit, windowMs: limiter.windowMs });
  const resetStats = (): void => {
    limiter.reset();
    counts = { sends: 0, throttled: 0 };
  };

  return { url, sentEmails, clear, stats, resetStats, stop };
}
