import type { LedgerEntry } from '../../../lambdas/domain/petals';
import type { AppendResult, OrderPetalGuard, PetalLedgerPort } from '../../../lambdas/ports/petal-ledger';
import type { MemoryInvoices } from './invoices';
import type { MemoryOrders } from './orders';

/**
 * The petal ledger in memory, transactional as the DynamoDB one: the entry's absence and the
 * order's guard are checked, then the entry, the balance and the order's counter are written
 * together, or nothing is. `beforeAppend` lets a test run another writer between a use case's
 * read and its write (what a concurrent execution does).
 */
export class MemoryPetalLedger implements PetalLedgerPort {
  readonly ledger = new Map<string, Map<string, LedgerEntry>>();
  readonly balances = new Map<string, number>();
  beforeAppend: ((entry: LedgerEntry) => Promise<void>) | undefined;

  constructor(
    private readonly orders: MemoryOrders,
    private readonly invoices?: MemoryInvoices,
  ) {}

  async append(entry: LedgerEntry, guard?: OrderPetalGuard): Promise<AppendResult> {
    const interleave = this.beforeAppend;
    this.beforeAppend = undefined;
    await interleave?.(entry);
    const entries = this.ledger.get(entry.userId) ?? new Map<string, LedgerEntry>();
    if (entry.amount !== 0 && entries.has(entry.entryId)) return 'exists';
    const order = guard && (guard.invoiceId !== undefined ? this.invoices?.stored(guard.invoiceId) : this.orders.items.get(guard.orderId));
    if (guard && (!order || !holds(guard, order))) return 'stale';
    if (entry.amount !== 0) {
      entries.set(entry.entryId, structuredClone(entry));
      this.ledger.set(entry.userId, entries);
      this.balances.set(entry.userId, (this.balances.get(entry.userId) ?? 0) + entry.amount);
    }
    if (guard && order) {
      if (guard.kind === 'award') order.petalsAwarded = guard.petalsAwarded;
      else order.petalsDeducted = guard.deductedAfter;
      order.updatedAt = entry.createdAt;
    }
    return 'written';
  }

  async balance(userId: string): Promise<number> {
    return this.balances.get(userId) ?? 0;
  }

  async entries(userId: string): Promise<LedgerEntry[]> {
    return [...(this.ledger.get(userId)?.values() ?? [])]
      .sort((a, b) => (a.entryId < b.entryId ? -1 : a.entryId > b.entryId ? 1 : 0))
      .map((entry) => structuredClone(entry));
  }
}

function holds(guard: OrderPetalGuard, order: { petalsAwarded?: number; petalsDeducted?: number }): boolean {
  if (guard.kind === 'award') return order.petalsAwarded === undefined;
  return order.petalsDeducted === guard.deductedBefore || (order.petalsDeducted === undefined && guard.deductedBefore === 0);
}
