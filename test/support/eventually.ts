/**
 * Polls `condition` every `intervalMs` until it returns true, and fails with `what` once
 * `timeoutMs` (default 30 s) has passed: every polling loop in the tests has a deadline, so a
 * condition that never comes fails the test with a message instead of hanging until jest's timeout.
 * `check` runs on every round too (e.g. that an execution is still RUNNING while we wait).
 */
export async function eventually(
  what: string,
  condition: () => boolean | Promise<boolean>,
  options: { timeoutMs?: number; intervalMs?: number; check?: () => void } = {},
): Promise<void> {
  const deadline = Date.now() + (options.timeoutMs ?? 30_000);
  for (;;) {
    if (await condition()) return;
    options.check?.();
    if (Date.now() > deadline) throw new Error(`timed out after ${options.timeoutMs ?? 30_000} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, options.intervalMs ?? 10));
  }
}
