// Who may use the console: it binds to 127.0.0.1, but a web page open in the same browser could
// still send it requests (a form posted cross-site, or DNS rebinding a name to 127.0.0.1). So every
// request must name this server in its Host header, and every action (POST) must come from a page
// of this same origin, as the browser's Origin header says. No token is needed for that.
import type { IncomingMessage } from 'node:http';

/** Why a request is refused (undefined: allowed). `origin` is this console's, e.g. http://127.0.0.1:3000. */
export function refusal(req: IncomingMessage, origin: string): string | undefined {
  const own = new URL(origin);
  const port = own.port;
  const hosts = new Set([`127.0.0.1:${port}`, `localhost:${port}`]);
  const host = String(req.headers.host ?? '');
  if (!hosts.has(host)) return `Host ${host || '(none)'} is not this console (${own.host})`;
  if (req.method === 'GET' || req.method === 'HEAD') return undefined;
  const from = req.headers.origin;
  // Browsers send Origin with every POST; a request without one is not from a page of ours.
  if (typeof from !== 'string') return 'an action needs an Origin header (post it from the console page)';
  if (from !== `http://${host}`) return `actions are taken only from the console itself, not from ${from}`;
  return undefined;
}
