/**
 * The local view of the Lambdas' logs: each Powertools JSON line as one readable line, order id and
 * event id first, the level highlighted (ERROR red, WARN yellow), then the message and the fields
 * that are not the same on every line. Metric lines (CloudWatch EMF) are left out of this view;
 * lines that are not JSON (a handler's console.log, a stack trace) get the time they were seen, the
 * function and a level: INFO on stdout, WARN on stderr (ERROR when the line names an error). The
 * raw JSON lines are kept elsewhere (`npm start -- --log-format json`, or the file the banner
 * names), the other lines there as JSON too (plainLogEntry).
 */
import { painter, type Style } from './progress';

export interface LogFormatOptions {
  color: boolean;
  /** only the lines of this order (and of the events and executions seen with it) */
  order?: string;
  /** the longest a field's value is shown (default 160 characters) */
  maxValueLength?: number;
}

/** Powertools' own keys: the same on every line of an invocation, or shown in the line's head. */
const HEAD_KEYS = new Set([
  'level',
  'message',
  'timestamp',
  'service',
  'cold_start',
  'function_arn',
  'function_memory_size',
  'function_name',
  'function_request_id',
  'sampling_rate',
  'xray_trace_id',
  'orderId',
  'eventId',
  'executionName',
]);

const LEVEL_STYLE: Record<string, Style> = {
  CRITICAL: ['red', 'bold'],
  ERROR: ['red', 'bold'],
  WARN: 'yellow',
  INFO: 'green',
  DEBUG: 'gray',
  TRACE: 'gray',
};

export type LogStream = 'stdout' | 'stderr';

function parseObject(raw: string): Record<string, unknown> | undefined {
  try {
    const parsed: unknown = JSON.parse(raw);
    if (parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed)) return parsed as Record<string, unknown>;
  } catch {
    // not JSON
  }
  return undefined;
}

/**
 * A line that is not a JSON object, as a log entry: the time it was seen, the level its stream
 * says (INFO on stdout; on stderr ERROR when it names an error or is a stack frame, else WARN: the
 * stream cannot tell console.warn from console.error), the line as the message.
 */
export function plainLogEntry(raw: string, stream: LogStream = 'stdout', now: Date = new Date()) {
  const level = stream === 'stdout' ? 'INFO' : /\b\w*error\b|^\s+at\s/i.test(raw) ? 'ERROR' : 'WARN';
  return { level, message: raw, timestamp: now.toISOString() };
}

/** The line for the JSON log file: a JSON object as it is; any other line as plainLogEntry, with its function. */
export function jsonLogLine(raw: string, functionName: string, stream: LogStream = 'stdout', now: Date = new Date()): string {
  if (parseObject(raw)) return raw;
  return JSON.stringify({ ...plainLogEntry(raw, stream, now), function_name: functionName, stream });
}

function show(value: unknown, max: number): string {
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/** Formats Powertools JSON lines; remembers which events and executions belong to the order it filters on. */
export class LambdaLogFormatter {
  private readonly ofOrder = new Set<string>();
  private readonly paint: (style: Style, text: string) => string;

  constructor(private readonly options: LogFormatOptions) {
    this.paint = painter(options.color);
  }

  /** The line to show for `raw` from the function `fn`, or undefined when it is left out. */
  format(raw: string, fn: string, stream: LogStream = 'stdout', now: Date = new Date()): string | undefined {
    let entry = parseObject(raw);
    if (!entry || typeof entry.level !== 'string') {
      if (entry && '_aws' in entry) return undefined; // a metric (EMF), not a log line
      if (this.options.order !== undefined || raw.trim() === '') return undefined;
      entry = plainLogEntry(raw, stream, now);
    }
    const orderId = typeof entry.orderId === 'string' ? entry.orderId : undefined;
    const eventId = typeof entry.eventId === 'string' ? entry.eventId : undefined;
    const executionName = typeof entry.executionName === 'string' ? entry.executionName : undefined;
    if (!this.matches(orderId, eventId, executionName)) return undefined;

    const max = this.options.maxValueLength ?? 160;
    const level = String(entry.level).toUpperCase();
    const time = typeof entry.timestamp === 'string' ? (entry.timestamp.match(/T(\d\d:\d\d:\d\d(?:\.\d+)?)/)?.[1] ?? entry.timestamp) : '';
    const ids = [orderId ? this.paint(['magenta', 'bold'], orderId) : '', eventId ? this.paint('blue', eventId) : '']
      .filter(Boolean)
      .join(' ');
    const fields: string[] = [];
    const rest: string[] = [];
    for (const [key, value] of Object.entries(entry)) {
      if (HEAD_KEYS.has(key) || value === undefined || value === null || value === '') continue;
      if (key === 'error' && value !== null && typeof value === 'object') {
        const error = value as { name?: string; message?: string; stack?: string };
        fields.push(`${this.paint('red', 'error')}=${show(`${error.name ?? 'Error'}: ${error.message ?? ''}`, max)}`);
        if ((level === 'ERROR' || level === 'CRITICAL') && typeof error.stack === 'string') {
          rest.push(
            ...error.stack
              .split('\n')
              .slice(1, 6)
              .map((line) => `    ${this.paint('dim', line.trim())}`),
          );
        }
        continue;
      }
      fields.push(`${this.paint('dim', key)}=${show(value, max)}`);
    }
    if (executionName && executionName !== eventId) fields.push(`${this.paint('dim', 'execution')}=${executionName}`);
    const head = [
      this.paint('dim', time.slice(0, 12).padEnd(12)),
      this.paint(LEVEL_STYLE[level] ?? 'white', level.padEnd(5)),
      this.paint('cyan', fn.padEnd(16)),
      ...(ids ? [ids] : []),
      typeof entry.message === 'string' ? entry.message : show(entry.message, max),
    ].join(' ');
    return [fields.length > 0 ? `${head}  ${fields.join(' ')}` : head, ...rest].join('\n');
  }

  private matches(orderId: string | undefined, eventId: string | undefined, executionName: string | undefined): boolean {
    const order = this.options.order;
    if (order === undefined) return true;
    if (orderId === order) {
      if (eventId) this.ofOrder.add(eventId);
      if (executionName) this.ofOrder.add(executionName);
      return true;
    }
    if (orderId !== undefined) return false;
    return (eventId !== undefined && this.ofOrder.has(eventId)) || (executionName !== undefined && this.ofOrder.has(executionName));
  }
}
