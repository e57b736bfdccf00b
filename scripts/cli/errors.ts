// The two errors the command framework prints as one line, without a stack trace.

/** An operation failed for a reason the message names in full (no such order, nothing to redrive): exit 1. */
export class OpsError extends Error {
  override readonly name: string = 'OpsError';
}

/** The command line itself is wrong (a flag's value of the wrong shape): exit 2, with the usage hint. */
export class UsageError extends Error {
  override readonly name: string = 'UsageError';
}

/** The process exit codes of every command: done, failed (for a reason it names), bad usage. */
export const EXIT = { ok: 0, failed: 1, usage: 2 } as const;
