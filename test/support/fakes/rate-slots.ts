import { reserveSlots } from '../../../lambdas/domain/rate-slots';
import type { RateSlotsPort } from '../../../lambdas/ports/rate-slots';

/** The quota items in memory, with the DynamoDB adapter's semantics (test/support/contracts). */
export class MemoryRateSlots implements RateSlotsPort {
  /** quota name -> next free slot, epoch ms */
  readonly nextFree = new Map<string, number>();

  async reserve(
    quota: string,
    n: number,
    intervalMs: number,
    now: Date,
    options: { maxWaitMs?: number } = {},
  ): Promise<{ at: Date } | undefined> {
    const nowMs = now.getTime();
    const current = this.nextFree.get(quota);
    if (options.maxWaitMs !== undefined && current !== undefined && current > nowMs + options.maxWaitMs) return undefined;
    const reservation = reserveSlots(current, nowMs, n, intervalMs);
    this.nextFree.set(quota, reservation.nextFreeMs);
    return { at: new Date(Math.round(reservation.startMs)) };
  }

  async pushBack(quota: string, until: Date): Promise<void> {
    const current = this.nextFree.get(quota);
    if (current === undefined || current < until.getTime()) this.nextFree.set(quota, until.getTime());
  }
}
