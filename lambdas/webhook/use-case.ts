import type { EventInbox } from '../adapters/stripe-event-inbox';
import { InvalidPayloadError, InvalidSignatureError, type StripeEventVerifier } from '../adapters/stripe-signature';
import { executionArnFor, type WorkflowStarter } from '../adapters/workflow-starter';
import { MalformedEventError, routeStripeEvent, type WorkflowName } from '../domain/stripe-events';

/** What recording and starting an event needs: the webhook's path below its signature check. */
export interface AcceptDeps {
  inbox: EventInbox;
  starter: WorkflowStarter;
  stateMachineArns: Readonly<Record<WorkflowName, string>>;
  /** the deployment's mode: a test-mode event at a live endpoint (or the reverse) is refused */
  livemode?: boolean;
}

export interface WebhookDeps extends AcceptDeps {
  verifier: StripeEventVerifier;
}

export type WebhookOutcome =
  | {
      status: 200;
      /**
       * `started`: this call recorded the event and started its execution (exactly one call per
       * event). `duplicate`: the event was already recorded, and its execution exists now (this
       * call made sure of it, starting it idempotently if an earlier delivery stopped half-way).
       */
      outcome: 'started' | 'duplicate';
      eventId: string;
      eventType: string;
      workflow: WorkflowName;
      /** when the event names its order (not a subscription invoice, nor a refund found later by its charge) */
      orderId?: string;
      executionArn: string;
    }
  | { status: 200; outcome: 'ignored'; eventId: string; eventType: string; reason: string }
  | { status: 400; outcome: 'rejected'; reason: string };

/**
 * Verify, then accept (acceptStripeEvent). Only a request that can never succeed gets a 400;
 * anything else that fails throws, and the handler answers 5xx so that Stripe retries.
 */
export async function receiveStripeWebhook(deps: WebhookDeps, rawBody: Buffer, signature: string | undefined): Promise<WebhookOutcome> {
  let event: unknown;
  try {
    event = deps.verifier.verify(rawBody, signature);
  } catch (error) {
    if (error instanceof InvalidSignatureError || error instanceof InvalidPayloadError) {
      return { status: 400, outcome: 'rejected', reason: error.message };
    }
    throw error;
  }
  return acceptStripeEvent(deps, event);
}

/**
 * Route, record, start: the one path by which a Stripe event becomes an execution, shared by the
 * webhook (after the signature check) and the reconciler (events listed from Stripe's API).
 *
 * `event` is a parsed Stripe event object (https://docs.stripe.com/api/events/object). Two calls
 * for a new event: one conditional PutItem that writes the inbox item with the execution's ARN
 * (derived from the state machine's ARN and the event id), then StartExecution named after the
 * event id. Exactly one delivery of an event wins the put and answers `started`; every other one
 * answers `duplicate`, but only after an idempotent StartExecution (same name, same input) has
 * confirmed that the execution exists, or started it when the winner crashed or failed between its
 * put and its start (Step Functions: "If StartExecution is called with the same name and input as
 * a running execution, the call succeeds and returns the same response as the original request. If
 * the execution is closed or if the input is different, it returns a 400 ExecutionAlreadyExists
 * error" — https://docs.aws.amazon.com/step-functions/latest/apireference/API_StartExecution.html;
 * both mean the execution exists).
 *
 * Returns 400 `rejected` for an event that can never be processed (malformed, or of the other
 * livemode) and 200 `ignored` for one the pipeline does not act on. Throws when DynamoDB or Step
 * Functions fail: the caller answers 5xx (the webhook) or retries later (the reconciler). A winner
 * whose start failed removes its item first, so that Stripe's retry is `started` again.
 */
export async function acceptStripeEvent(deps: AcceptDeps, raw: unknown): Promise<WebhookOutcome> {
  let decision: ReturnType<typeof routeStripeEvent>;
  try {
    decision = routeStripeEvent(raw);
  } catch (error) {
    if (error instanceof MalformedEventError) return { status: 400, outcome: 'rejected', reason: error.message };
    throw error;
  }
  // routeStripeEvent has checked the envelope: an object with a string id and type, a boolean livemode
  const event = raw as { id: string; type: string; livemode: boolean };
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
  const stateMachineArn = deps.stateMachineArns[workflow];
  const executionArn = executionArnFor(stateMachineArn, event.id);
  const order = 'orderId' in input && input.orderId ? { orderId: input.orderId } : {};
  const answer = { status: 200 as const, eventId: event.id, eventType: event.type, workflow, ...order, executionArn };
  const state = await deps.inbox.record({
    eventId: event.id,
    type: event.type,
    livemode: event.livemode,
    workflow,
    ...order,
    input,
    executionArn,
  });
  if (state === 'known') {
    // Never "duplicate" on the item alone: make sure the execution exists (throws -> 5xx, retried).
    await deps.starter.start(stateMachineArn, event.id, input);
    return { ...answer, outcome: 'duplicate' };
  }
  try {
    await deps.starter.start(stateMachineArn, event.id, input);
  } catch (error) {
    // Leave nothing half-done behind: Stripe's retry will record and start it again.
    await deps.inbox.forget(event.id).catch(() => undefined);
    throw error;
  }
  return { ...answer, outcome: 'started' };
}
