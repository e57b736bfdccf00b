import { PrintifyApiError } from '../adapters/printify-client';
import { printifyCallsPerOrder, type QuotaPace } from '../domain/rate-slots';
import { reserveSlot, sleepUntil, type PacedSlot, type PacingDeps } from '../shared/pacing';
import { createPrintifyOrder, type PrintifyOrderDeps, type PrintifyOutcome } from './printify-order';

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

/**
 * createPrintifyOrder at its reserved slot: sleeps the sub-second rest of the Wait until `notBefore`
 * (ISO; none for an operator's retry), then calls it. A 429 pushes the shared quota's next free slot
 * past its Retry-After (default 60 s, Printify's window), so that every execution waits it out, and
 * is rethrown (PrintifyUnavailable: the workflow retries it with backoff).
 */
export async function pacedPrintifyOrder(
  deps: PrintifyOrderDeps & PacingDeps & { quotas: Pick<FulfilmentQuotas, 'printify'> },
  orderId: string,
  notBefore?: string,
): Promise<PrintifyOutcome> {
  await sleepUntil(deps, notBefore);
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
