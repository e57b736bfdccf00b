import type { Order } from '../domain/order';
import type { Signal } from '../domain/signals';
import type { DisputeInput } from '../domain/workflow-input';
import { nowIso, type FulfilmentDeps } from './deps';
import { orderOfCharge } from './refunds';

export interface DisputeRecorded {
  orderId: string;
  disputeStatus: NonNullable<Order['disputeStatus']>;
  /** true the first time this dispute is seen open (for the metric an alarm watches) */
  opened: boolean;
  /** dispute-opened when `opened` */
  signals: Signal[];
}

/**
 * Flags the order with the dispute. A closed dispute's outcome is final: an "open" that arrives
 * after it (Stripe does not order events) does not reopen it. The petals follow in the petals step.
 */
export async function recordDispute(deps: FulfilmentDeps, input: DisputeInput): Promise<DisputeRecorded> {
  const orderId = await orderOfCharge(deps, input);
  const before = await deps.orders.require(orderId);
  const details = { disputeId: input.disputeId, disputeReason: input.reason, disputeAmount: input.amount };
  if (input.closed) {
    const outcome = input.status === 'lost' ? 'lost' : 'won';
    await deps.orders.closeDispute(orderId, details, outcome, nowIso(deps));
    return { orderId, disputeStatus: outcome, opened: false, signals: [] };
  }
  const updated = await deps.orders.openDispute(orderId, details, nowIso(deps));
  const current = updated ?? (await deps.orders.require(orderId));
  const opened = updated !== undefined && !(before.disputeId === input.disputeId && before.disputeStatus === 'open');
  return { orderId, disputeStatus: current.disputeStatus ?? 'open', opened, signals: opened ? [{ kind: 'dispute-opened' }] : [] };
}
