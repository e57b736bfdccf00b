/**
 * Local SES (aws-ses-v2-local), run in this process.
 *
 * It accepts SES v1 (`POST /` with Action=SendEmail / SendRawEmail) and SES v2
 * (`POST /v2/email/outbound-emails`) calls, shows sent mail on `GET /`, and returns it as JSON on
 * `GET /store`: `{ templates: {…}, emails: [{ messageId, from, replyTo: [], destination: { to: [],
 * cc: [], bcc: [] }, subject, body: { html?, text? }, attachments: [], headers?, at }] }` where
 * `at` is a Unix time in seconds. `POST /clear-store` empties it.
 *
 * Note: the package keeps its store in a module-level variable, so two SesLocal instances in one
 * process share (and clear) the same mailbox.
 */
import server from 'aws-ses-v2-local';
import type { Server } from 'node:http';
import type { RunningService } from './dynamodb-local';

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

export interface SesLocal extends RunningService {
  sentEmails(): Promise<SentEmail[]>;
  clear(): Promise<void>;
}

function asRecord(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
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

/** Starts aws-ses-v2-local on 127.0.0.1:`port`, in this process. */
export async function startSesLocal(options: { port: number }): Promise<SesLocal> {
  const { port } = options;
  let httpServer: Server;
  try {
    httpServer = await server({ port, host: '127.0.0.1' });
  } catch (err) {
    throw new Error(`Local SES could not start on port ${port}: ${(err as Error).message}`);
  }
  // Express 5's app.listen passes a listen error to the callback, which aws-ses-v2-local treats as
  // success: the promise resolves with a server that is not listening (e.g. port in use).
  if (!httpServer.listening) {
    httpServer.close();
    throw new Error(
      `Local SES could not start: port ${port} is already in use (set SES_PORT to another port).`,
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
    stopping ??= new Promise<void>((resolve, reject) => {
      if (!httpServer.listening) {
        resolve();
        return;
      }
      httpServer.close((err) => (err ? reject(err) : resolve()));
      httpServer.closeAllConnections();
    });
    return stopping;
  };

  return { url, sentEmails, clear, stop };
}
