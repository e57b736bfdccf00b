import type { LedgerEntry } from '../domain/petals';

/**
 * What must still hold of the order (or, with `invoiceId`, of the subscription invoice's record),
 * in the same transaction as a ledger entry, and what the entry changes on it (its own petal
 * counters):
 *
 * - `award`: the bonus is not recorded yet (petalsAwarded not set); sets it to `petalsAwarded`.
 * - `deduct`: petalsDeducted still equals `deductedBefore` (unset counts as 0); sets it to `deductedAfter`.
 */
export type OrderPetalGuard = ({ orderId: string; invoiceId?: never } | { invoiceId: string; orderId?: never }) &
  ({ kind: 'award'; petalsAwarded: number } | { kind: 'deduct'; deductedBefore: number; deductedAfter: number });

/**
 * - `written`: the entry (unless of 0 petals), the balance and the guarded counters were written together.
 * - `exists`: an entry with this id is in the ledger already: nothing was written.
 * - `stale`: the order's guard no longer holds (another execution settled first): nothing was
 *   written; read the order again and plan again.
 */
export type AppendResult = 'written' | 'exists' | 'stale';

/**
 * The petal ledger (pk USER#<userId>: sk LEDGER#<entryId> entries and the PETALS balance). An
 * entry, the balance and the order's counters change in one transaction, so an entry is never
 * counted twice and the balance always equals the sum of the entries. Errors thrown are the store
 * failing (retry); OrderNotFound-like absence of a guarded order reads as `stale`.
 */
export interface PetalLedgerPort {
  /** Appends the entry and adds its amount to the user's balance, if `guard` holds (see AppendResult). */
  append(entry: LedgerEntry, guard?: OrderPetalGuard): Promise<AppendResult>;
  /** The user's balance in petals (0 when the user has none yet); may be negative. */
  balance(userId: string): Promise<number>;
  /** The user's entries, in entry id order. */
  entries(userId: string): Promise<LedgerEntry[]>;
}
