// Server-rendered HTML for the local console: a tagged template that escapes every interpolated
// value unless it is already Html, so that event ids, order fields and email subjects from the
// table can never inject markup into the page.
import { formatAmount } from '../../lambdas/domain/money';
import { ms, time as opsTime } from '../../scripts/ops/cli';

/** Markup that is safe to insert as is (built by `html` or marked with `raw`). */
export class Html {
  constructor(readonly text: string) {}
  toString(): string {
    return this.text;
  }
}

export type Renderable = Html | string | number | boolean | null | undefined | readonly Renderable[];

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Text escaped for HTML content and attribute values (both quote kinds). */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c]!);
}

function render(value: Renderable): string {
  if (value instanceof Html) return value.text;
  if (Array.isArray(value)) return value.map(render).join('');
  if (value === null || value === undefined || value === false) return '';
  return escapeHtml(String(value));
}

/** `html\`<td>${value}</td>\``: values are escaped, arrays joined, null/undefined/false dropped. */
export function html(strings: TemplateStringsArray, ...values: Renderable[]): Html {
  let out = strings[0]!;
  values.forEach((value, i) => {
    out += render(value) + strings[i + 1]!;
  });
  return new Html(out);
}

/** Trusted markup (the SVG the graph module builds, already escaped). */
export const raw = (text: string): Html => new Html(text);

/** A query string from the defined values only: `query({ status: 'FAILED', order: undefined })` -> `?status=FAILED`. */
export function query(params: Record<string, string | undefined>): string {
  const defined = Object.entries(params).filter((entry): entry is [string, string] => entry[1] !== undefined && entry[1] !== '');
  return defined.length ? `?${new URLSearchParams(defined).toString()}` : '';
}

/** Durations as the ops command prints them (850 ms, 4.2 s). */
export const duration = ms;

/** A time as the ops command prints it (UTC, no milliseconds). */
export function time(iso?: string | Date): string {
  return opsTime(iso instanceof Date ? iso.toISOString() : iso);
}

/** Minor units as the emails show them ("$49.99"); empty when the amount is missing. */
export function money(amount: unknown, currency: unknown): string {
  if (typeof amount !== 'number') return '';
  return formatAmount(amount, typeof currency === 'string' && currency ? currency : 'usd');
}

/** JSON text pretty-printed for a <pre> (left as is when it is not JSON). */
export function prettyJson(text?: string): string {
  if (text === undefined) return '';
  try {
    return JSON.stringify(JSON.parse(text), null, 2);
  } catch {
    return text;
  }
}
