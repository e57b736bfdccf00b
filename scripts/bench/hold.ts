import type { LocalExecution, LocalStepFunctions } from '../../local/step-functions-service';

/**
 * For `npm run bench`: holds the local workflows so that the webhook's own path can be measured.
 * On AWS the workflows never share the webhook's CPU; on this machine they do. While held,
 * executions are started (RUNNING, as StartExecution answers, with no history) but wait, through
 * the Step Functions service's before-run hook, until release().
 */
export class ExecutionHold {
  private readonly waiting: { execution: LocalExecution; go: () => void }[] = [];
  private holding = false;

  constructor(private readonly stepFunctions: LocalStepFunctions) {}

  /** Executions started from now on wait until release(). */
  hold(): void {
    this.holding = true;
    this.stepFunctions.setBeforeRun(
      (execution) =>
        new Promise<void>((go) => {
          this.waiting.push({ execution, go });
        }),
    );
  }

  /** How many executions wait now. */
  get held(): number {
    return this.waiting.length;
  }

  /**
   * Lets the held executions run, at most `atOnce` at a time (a burst of hundreds at once would
   * only queue on the Lambdas' connection pools), and any started meanwhile; resolves once all have
   * run (whatever their outcome). Executions started afterwards are no longer held.
   */
  async release(atOnce = Number.POSITIVE_INFINITY): Promise<void> {
    if (!this.holding) return;
    await Promise.all(
      Array.from({ length: Math.min(atOnce, Math.max(this.waiting.length, 1)) }, async () => {
        for (let next = this.waiting.shift(); next; next = this.waiting.shift()) {
          next.go();
          await this.stepFunctions.waitFor(next.execution.executionArn);
        }
      }),
    );
    this.stepFunctions.setBeforeRun(undefined);
    this.holding = false;
    // started between the last shift and the hook's removal: they still wait for a go
    for (const late of this.waiting.splice(0)) late.go();
  }
}
