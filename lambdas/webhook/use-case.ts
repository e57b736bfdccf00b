import type { EventInbox } from '../adapters/stripe-event-inbox';
import { InvalidPayloadError, InvalidSignatureError, type StripeEventVerifier } from '../adapters/stripe-signature';
import type { WorkflowStarter } from '../adapters/workflow-starter';
import { MalformedEventError, routeStripeEvent, type WorkflowName } from '../domain/stripe-events';

export interface WebhookDeps {
  verifier: StripeEventVerifier;
  inbox: EventInbox;
  starter: WorkflowStarter;
  stateMachineArns: Readonly<Record<WorkflowName, string>>;
  /** the deployment's mode: a test-mode event at a live endpoint (or the reverse) is refused */
  livemode?: boolean;
}

export type WebhookOutcome =
  | {
      status: 200;
      outcome: 'started' | 'duplicate';
      eventId: string;
      eventType: string;
      workflow: WorkflowName;
      /** when the event names its order (not a subscription invoice, nor a refund found later by its charge) */
      orderId?: string;
      executionArn?: string;
    }
  | { status: 200; outcome: 'ignored'; eventId: string; eventType: string; reason: string }
  | { status: 400; outcome: 'rejected'; reason: string };

/**
 * Verify, record, start, acknowledge. Only a request that can never succeed gets a 400; anything
 * else that fails throws, and the handler answers 5xx so that Stripe retries. The inbox record
 * comes before the start and the start is idempotent by name, so a retry finishes a half-done one.
 */
export async function receiveStripeWebhook(
  deps: WebhookDeps,
  rawBody: Buffer,
  signature: string | undefined,
): Promise<WebhookOutcome> {
  let event: { id: string; type: string; livemode: boolean };
  let decision: ReturnType<typeof routeStripeEvent>;
  try {
    event = deps.verifier.verify(rawBody, signature) as typeof event;
    decision = routeStripeEvent(event);
  } catch (error) {
    if (error instanceof InvalidSignatureError || error instanceof InvalidPayloadError || error instanceof MalformedEventError) {
      return { status: 400, outcome: 'rejected', reason: error.message };
    }
    throw error;
  }
  if (deps.livemode !== undefined && event.livemode !== deps.livemode) {
    return {
      status: 400,
      outcome: 'rejected',
      reason: `livemode mismatch: a ${event.livemode ? 'live' : 'test'}-mode event at a ${deps.livemode ? 'live' : 'test'}-mode endpoint`,
    };
  }
  if (decision.action === 'ignore') {
    return { status: 200, outcome: 'ignored', eventId: event.id, eventType: event.type, reason: decision.reason };
  }
  const { workflow, input } = decision;
  const order = 'orderId' in input && input.orderId ? { orderId: input.orderId } : {};
  const state = await deps.inbox.record({ eventId: event.id, type: event.type, livemode: event.livemode, workflow, ...order, input });
  if (state === 'started') return { status: 200, outcome: 'duplicate', eventId: event.id, eventType: event.type, workflow, ...order };
  let executionArn: string;
  try {
    executionArn = await deps.starter.start(deps.stateMachineArns[workflow], event.id, input);
  } catch (error) {
    // Leave nothing half-done behind: Stripe's retry will record and start it again.
    if (state === 'new') await deps.inbox.forget(event.id).catch(() => undefined);
    throw error;
  }
  await deps.inbox.markStarted(event.id, executionArn);
  return {
    status: 200,
    outcome: 'started',
    eventId: event.id,
    eventType: event.type,
    workflow,
    ...order,
    executionArn,
  };
}
