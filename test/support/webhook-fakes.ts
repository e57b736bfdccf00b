// The webhook's ports in memory, for the use-case tests of the webhook and the reconciler.
import type { EventInbox, InboxRecord, InboxState } from '../../lambdas/adapters/stripe-event-inbox';
import { executionArnFor, type WorkflowStarter } from '../../lambdas/adapters/workflow-starter';

const tick = () => new Promise<void>((resolve) => setImmediate(resolve));

/** The inbox, in memory, with the semantics of StripeEventInbox (one conditional put; delete). */
export class InMemoryInbox implements EventInbox {
  readonly items = new Map<string, InboxRecord>();
  readonly calls: string[] = [];
  failRecord?: Error;
  failForget?: Error;

  async record(event: InboxRecord): Promise<InboxState> {
    this.calls.push(`record ${event.eventId}`);
    await tick(); // a network round trip: concurrent deliveries interleave here
    if (this.failRecord) throw this.failRecord;
    if (this.items.has(event.eventId)) return 'known';
    this.items.set(event.eventId, structuredClone(event));
    return 'new';
  }

  async forget(eventId: string): Promise<void> {
    this.calls.push(`forget ${eventId}`);
    if (this.failForget) throw this.failForget;
    this.items.delete(eventId);
  }
}

/**
 * Step Functions behind StepFunctionsStarter, in memory: StartExecution is idempotent by name (the
 * adapter turns ExecutionAlreadyExists into the existing execution's ARN), so `executions` holds
 * each execution once, with the input it was started with; `starts` records every call.
 */
export class RecordingStarter implements WorkflowStarter {
  readonly starts: { stateMachineArn: string; name: string; input: unknown }[] = [];
  readonly executions = new Map<string, unknown>();
  failures: Error[] = [];

  async start(stateMachineArn: string, name: string, input: unknown): Promise<string> {
    this.starts.push({ stateMachineArn, name, input: structuredClone(input) });
    await tick();
    const failure = this.failures.shift();
    if (failure) throw failure;
    const executionArn = executionArnFor(stateMachineArn, name);
    if (!this.executions.has(executionArn)) this.executions.set(executionArn, structuredClone(input));
    return executionArn;
  }
}
