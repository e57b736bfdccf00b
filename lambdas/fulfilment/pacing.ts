import { PrintifyApiError } from '../adapters/printify-client';
import type { Order } from '../domain/order';
import { printifyCallsPerOrder, type QuotaPace } from '../domain/rate-slots';
import { reserveSlot, sleepUntil, waitForSlotWithin, type PacedSlot, type PacingDeps } from '../shared/pacing';
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

/**
 * Adds the order's slots to recordPayment's result when this event fulfils: as many Printify slots
 * as the order's calls (create, plus send_to_production unless the shop's auto-approval does it:
 * printifyCallsPerOrder) and one SES slot for the confirmation. A payment that does not fulfil
 * reserves nothing. Throws what the quota store throws (the task is retried; the slots an earlier
 * attempt reserved go unused, which only lowers the rate).
 */
export async function withFulfilmentSlots<R extends { fulfil: boolean }>(
  deps: PacingDeps & { sendToProduction: boolean; quotas: FulfilmentQuotas },
  result: R,
): Promise<R & { pace?: FulfilmentPace }> {
  if (!result.fulfil) return result;
  const printify = await reserveSlot(deps, deps.quotas.printify, printifyCallsPerOrder(deps.sendToProduction));
  const email = await reserveSlot(deps, deps.quotas.ses, 1);
  return { ...result, pace: { printify, email } };
}

/** How long a Printify task may wait in its Lambda (30 s timeout) for a fresh slot, milliseconds. */
export const IN_TASK_BUDGET_MS = 20_000;

/**
 * createPrintifyOrder at its reserved slot: sleeps the sub-second rest of the Wait until `notBefore`
 * (ISO), then calls it; a task that starts after its slot calls at once (re-reserving would put it
 * at the back of a sale's backlog and waste the slot). A retry (the order records an earlier attempt
 * and no Printify order yet) or an operator's call without a slot is paced too: it reserves its own slots (a lookup by external_id
 * and the calls of a first attempt), waiting up to IN_TASK_BUDGET_MS for slots within
 * MAX_IN_TASK_WAIT_MS, and otherwise throws PrintifyUnavailable without calling (the workflow retries it with Printify's backoff), so
 * that retries never storm past the quota. A 429 pushes the shared quota's next free slot past its
 * Retry-After (default 60 s, Printify's window), so that every execution waits it out, and is
 * rethrown (PrintifyUnavailable: retried).
 */
export async function pacedPrintifyOrder(
  deps: PrintifyOrderDeps & PacingDeps & { quotas: Pick<FulfilmentQuotas, 'printify'> },
  orderId: string,
  notBefore?: string,
): Promise<PrintifyOutcome> {
  const order = (await deps.orders.get(orderId)) as (Order & PrintifyOrderFields) | undefined;
  // created (and sent, where we send): a repeat calls Printify no more, no slot needed
  if (order?.printifyOrderId && (!deps.sendToProduction || order.printifySentToProductionAt)) return createPrintifyOrder(deps, orderId);
  const retry = order !== undefined && !order.printifyOrderId && Boolean(order.printifyAttemptedAt || order.printifyRateLimitedAt);
  if (retry || !notBefore) {
    const calls = printifyCallsPerOrder(deps.sendToProduction) + (retry ? 1 : 0);
    if (!(await waitForSlotWithin(deps, deps.quotas.printify, calls, IN_TASK_BUDGET_MS))) {
      throw new PrintifyUnavailableError(`Printify quota booked ahead for ${IN_TASK_BUDGET_MS} ms: order ${orderId} retried later`);
    }
  } else {
    await sleepUntil(deps, notBefore);
  }
  try {
    return await createPrintifyOrder(deps, orderId);
  } catch (error) {
    const cause = error instanceof Error ? error.cause : undefined;
    if (cause instanceof PrintifyApiError && cause.status === 429) {
      const now = (deps.now ?? (() => new Date()))();
      await deps.rateSlots.pushBack(deps.quotas.printify.name, new Date(now.getTime() + (cause.retryAfterSeconds ?? 60) * 1000));
    }
    throw error;
  }
}
