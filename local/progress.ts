/**
 * `npm start`'s progress on its long steps (synth, DynamoDB Local, the table, the stand-ins): one
 * line per step with its elapsed time. On a terminal, one spinner line with the steps running (some
 * run together) and their times; elsewhere (CI, a pipe) plain lines only: a step's start, a
 * "still …" line every periodMs, its end.
 */
import { styleText } from 'node:util';

export interface ProgressStep {
  /** the step finished; `detail` is said after its time */
  done(detail?: string): void;
  /** the step failed (the caller reports the error) */
  fail(): void;
}

export interface Progress {
  step(label: string): ProgressStep;
  /** writes `text` (whole lines) above the spinner, if one turns, and draws the spinner again */
  print(text: string): void;
}

export interface ProgressOptions {
  /** a terminal: the spinner redraws one line */
  tty: boolean;
  color: boolean;
  /** without a terminal, a "still …" line this often (default 10 s) */
  periodMs?: number;
  now?: () => number;
}

const FRAMES = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

export const seconds = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;

export type Style = Parameters<typeof styleText>[0];

/**
 * styleText when `color`, else the text as it is. The caller decides (wantsColor): styleText's own
 * check of process.stdout is not what a formatter writing elsewhere needs, and Node 20 applies it to
 * some formats only.
 */
export function painter(color: boolean): (style: Style, text: string) => string {
  return (style, text) => (color ? styleText(style, text, { validateStream: false }) : text);
}

export function createProgress(write: (text: string) => void, options: ProgressOptions): Progress {
  const now = options.now ?? Date.now;
  const paint = painter(options.color);
  // the steps running now: on a terminal, one spinner line names them all
  const running = new Map<number, { label: string; started: number }>();
  let nextId = 0;
  let frame = 0;
  let spinner: NodeJS.Timeout | undefined;
  const draw = () => {
    if (running.size === 0) return;
    const steps = [...running.values()].map((s) => `${s.label}… ${paint('dim', `${Math.floor((now() - s.started) / 1000)} s`)}`);
    write(`\r\x1b[2K${paint('cyan', FRAMES[frame++ % FRAMES.length]!)} ${steps.join(' · ')}`);
  };
  return {
    print(text) {
      if (!options.tty || running.size === 0) return write(text);
      write(`\r\x1b[2K${text}`);
      draw();
    },
    step(label) {
      const id = nextId++;
      const started = now();
      running.set(id, { label, started });
      let periodic: NodeJS.Timeout | undefined;
      if (options.tty) {
        draw();
        if (!spinner) {
          spinner = setInterval(draw, 100);
          spinner.unref();
        }
      } else {
        write(`… ${label}\n`);
        periodic = setInterval(
          () => write(`… ${label}: still going (${Math.round((now() - started) / 1000)} s)\n`),
          options.periodMs ?? 10_000,
        );
        periodic.unref();
      }
      const end = (mark: string, detail?: string) => {
        if (!running.delete(id)) return;
        clearInterval(periodic);
        const line = `${mark} ${label} ${paint('dim', `(${seconds(now() - started)})`)}${detail ? ` — ${detail}` : ''}\n`;
        if (!options.tty) return write(line);
        write(`\r\x1b[2K${line}`);
        if (running.size > 0) draw();
        else {
          clearInterval(spinner);
          spinner = undefined;
        }
      };
      return {
        done: (detail) => end(paint('green', '✓'), detail),
        fail: () => end(paint('red', '✗')),
      };
    },
  };
}

/** Colour on a stream: FORCE_COLOR (not 0) forces it, NO_COLOR (any value) turns it off, else a terminal has it. */
export function wantsColor(stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv = process.env): boolean {
  if (env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== '') return env.FORCE_COLOR !== '0' && env.FORCE_COLOR !== 'false';
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  return stream.isTTY === true;
}
