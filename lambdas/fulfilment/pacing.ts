import { PrintifyApiError } from '../adapters/printify-client';
import { PrintifySlotMissedError } from '../domain/errors';
import type { Order } from '../domain/order';
import { printifyCallsPerOrder, slotMessage, waitFor, type QuotaPace } from '../domain/rate-slots';
import type { OrdersPort } from '../ports/orders';
import { reserveSlot, SlotGate, waitForSlotWithin, withSlotGate, type PacedSlot, type PacingDeps } from '../shared/pacing';
import {
  createPrintifyOrder,
  PrintifyUnavailableError,
  type PrintifyOrderDeps,
  type PrintifyOrderFields,
  type PrintifyOutcome,
} from './printify-order';

/** The quotas a fulfilled order is paced by (from the stage, scaled locally by a bench). */
export interface FulfilmentQuotas {
  printify: QuotaPace;
  ses: QuotaPace;
}

/**
 * The slots of one fulfilled order, reserved when its payment is recorded: the fulfilment
 * workflow's Wait states read `printify.seconds` and `email.seconds` (SecondsPath), and the tasks
 * after them sleep the remainder until `at`.
 */
export interface FulfilmentPace {
  printify: PacedSlot;
  email: PacedSlot;
}

/** What the order keeps of its reservation (`fulfilmentPace`), so that Record payment reserves once. */
interface KeptPace {
  printify: { at: string; n: number };
  email: { at: string; n: number };
  executionName?: string;
}

/**
 * Adds the order's slots to recordPayment's result when this event fulfils: as many Printify slots
 * as the order's calls (create, plus send_to_production unless the shop's auto-approval does it:
 * printifyCallsPerOrder) and one SES slot for the confirmation. A payment that does not fulfil
 * reserves nothing. Idempotent: the reservation is kept on the order (`fulfilmentPace`, written only
 * where there is none), so that a retried or replayed Record payment reuses the same slots instead
 * of reserving again (a slot long past only makes its task reserve afresh: SlotGate). Throws what
 * the stores throw (the task is retried).
 */
export async function withFulfilmentSlots<R extends { fulfil: boolean; orderId?: string }>(
  deps: PacingDeps & { sendToProduction: boolean; quotas: FulfilmentQuotas; orders?: Pick<OrdersPort, 'get' | 'compareAndSet'> },
  result: R,
  executionName?: string,
): Promise<R & { pace?: FulfilmentPace }> {
  if (!result.fulfil) return result;
  const orderId = result.orderId;
  const keptOn = async () =>
    orderId && deps.orders
      ? ((await deps.orders.get(orderId)) as (Order & { fulfilmentPace?: KeptPace }) | undefined)?.fulfilmentPace
      : undefined;
  const kept = await keptOn();
  if (kept) return { ...result, pace: ticketsOf(deps, kept) };
  const printify = await reserveSlot(deps, deps.quotas.printify, printifyCallsPerOrder(deps.sendToProduction));
  const email = await reserveSlot(deps, deps.quotas.ses, 1);
  if (orderId && deps.orders) {
    const keep: KeptPace = {
      printify: { at: printify.at, n: printify.n },
      email: { at: email.at, n: 1 },
      ...(executionName ? { executionName } : {}),
    };
    const now = (deps.now ?? (() => new Date()))().toISOString();
    const written = await deps.orders.compareAndSet(orderId, { paceReservedAt: undefined }, { paceReservedAt: now, fulfilmentPace: keep });
    // another attempt of the same task kept its reservation first: use that one (ours goes unused)
    if (!written) {
      const theirs = await keptOn();
      if (theirs) return { ...result, pace: ticketsOf(deps, theirs) };
    }
    // the Waits count from when this task answers: their seconds from now, after the write
    return { ...result, pace: ticketsOf(deps, keep) };
  }
  return { ...result, pace: { printify, email } };
}

function ticketsOf(deps: PacingDeps, kept: KeptPace): FulfilmentPace {
  const nowMs = (deps.now ?? (() => new Date()))().getTime();
  const ticket = (slot: { at: string; n: number }) => ({ seconds: waitFor(new Date(slot.at).getTime(), nowMs).seconds, ...slot });
  return { printify: ticket(kept.printify), email: ticket(kept.email) };
}

/** How long a Printify task may wait in its Lambda (30 s timeout) for a fresh slot, milliseconds (no Wait state before it). */
export const IN_TASK_BUDGET_MS = 20_000;

/** Slots a retry reserves for its lookup by external_id (a page each); more pages loop for more. */
export const LOOKUP_SLOTS = 2;

/** The Printify calls an order still needs: a lookup's pages after an earlier attempt, the create, the send. */
function callsNeeded(order: (Order & PrintifyOrderFields) | undefined, sendToProduction: boolean): number {
  if (order?.printifyOrderId) return 1; // send_to_production (a created order needing no send makes no call)
  return printifyCallsPerOrder(sendToProduction) + (order?.printifyAttemptedAt ? LOOKUP_SLOTS : 0);
}

/**
 * createPrintifyOrder within the slots its workflow reserved and waited for (`ticket`: the first
 * slot's time and how many): every request to Printify (create, send_to_production, each page of a
 * lookup by external_id) takes the next slot through a SlotGate. A request whose slot is past by
 * more than the quota's late tolerance, or beyond the reserved slots, is not sent: the task reserves
 * as many fresh slots as the order still needs and throws PrintifySlotMissed carrying them, and the
 * workflow waits for them in its Wait state and runs the task again. So a task that starts late,
 * a retried task and a long lookup never call in a burst, however late they run.
 *
 * Without a ticket (an operator's call, no Wait state before it) it reserves its own slots in the
 * task, waiting up to IN_TASK_BUDGET_MS for slots within MAX_IN_TASK_WAIT_MS, and otherwise throws
 * PrintifyUnavailable without calling (retried with backoff). A 429 pushes the shared quota's next
 * free slot past its Retry-After (default 60 s, Printify's window), so that every execution waits it
 * out, and is rethrown (PrintifyUnavailable: retried; the retry's stale ticket then loops as above).
 */
export async function pacedPrintifyOrder(
  deps: PrintifyOrderDeps & PacingDeps & { quotas: Pick<FulfilmentQuotas, 'printify'> },
  orderId: string,
  ticket?: { notBefore?: string; slots?: number },
): Promise<PrintifyOutcome> {
  const quota = deps.quotas.printify;
  let gate: SlotGate | undefined;
  if (ticket?.notBefore) {
    gate = new SlotGate(deps, quota, { at: ticket.notBefore, n: ticket.slots ?? printifyCallsPerOrder(deps.sendToProduction) });
    // late from the start, with the quota backlogged: a fresh slot for as many calls, before any read
    if (await gate.startedLate()) {
      const slot = await reserveSlot(deps, quota, gate.ticket.n);
      throw new PrintifySlotMissedError(slotMessage(slot, `order ${orderId}: no Printify call made, ${gate.missed!.reason}`));
    }
  }
  const order = (await deps.orders.get(orderId)) as (Order & PrintifyOrderFields) | undefined;
  // created (and sent, where we send): a repeat calls Printify no more, no slot needed
  if (order?.printifyOrderId && (!deps.sendToProduction || order.printifySentToProductionAt)) return createPrintifyOrder(deps, orderId);
  if (!gate) {
    const n = callsNeeded(order, deps.sendToProduction);
    const at = await waitForSlotWithin(deps, quota, n, IN_TASK_BUDGET_MS);
    if (!at) throw new PrintifyUnavailableError(`Printify quota booked ahead for ${IN_TASK_BUDGET_MS} ms: order ${orderId} retried later`);
    gate = new SlotGate(deps, quota, { at: at.toISOString(), n });
  }
  const paced = gate;
  try {
    return await withSlotGate(paced, () => createPrintifyOrder(deps, orderId));
  } catch (error) {
    if (paced.missed) throw await slotMissed(deps, orderId, order, paced);
    const cause = error instanceof Error ? error.cause : undefined;
    if (cause instanceof PrintifyApiError && cause.status === 429) {
      const now = (deps.now ?? (() => new Date()))();
      await deps.rateSlots.pushBack(quota.name, new Date(now.getTime() + (cause.retryAfterSeconds ?? 60) * 1000));
    }
    throw error;
  }
}

/**
 * After the gate refused a request (nothing sent for it): undoes the first attempt's mark when the
 * refused request was that attempt's create (Printify holds no order for it, so its retry needs no
 * lookup), reserves the slots the order still needs, and returns the PrintifySlotMissed that carries
 * them to the workflow's Wait state.
 */
async function slotMissed(
  deps: PrintifyOrderDeps & PacingDeps & { quotas: Pick<FulfilmentQuotas, 'printify'> },
  orderId: string,
  before: (Order & PrintifyOrderFields) | undefined,
  gate: SlotGate,
): Promise<PrintifySlotMissedError> {
  const miss = gate.missed!;
  let now = (await deps.orders.get(orderId)) as (Order & PrintifyOrderFields) | undefined;
  const refusedCreate = miss.label?.startsWith('POST') && miss.label.endsWith('/orders.json');
  if (refusedCreate && !before?.printifyAttemptedAt && now?.printifyAttemptedAt && !now.printifyOrderId) {
    now = (await deps.orders.set(orderId, { printifyAttemptedAt: null })) as Order & PrintifyOrderFields;
  }
  const slot = await reserveSlot(deps, deps.quotas.printify, callsNeeded(now, deps.sendToProduction));
  return new PrintifySlotMissedError(slotMessage(slot, `order ${orderId}: Printify call ${miss.index + 1} not sent, ${miss.reason}`));
}
