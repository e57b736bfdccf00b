import type { InvoiceRecord } from '../../../lambdas/domain/invoice';
import type { InvoiceChanges, InvoicesPort } from '../../../lambdas/ports/invoices';

type StoredInvoice = InvoiceRecord & Record<string, unknown>;

/**
 * The invoices port in memory, with the DynamoDB adapter's semantics (the port contract checks
 * both): a write creates the record when absent, a guarded write tests its condition and writes in
 * one step, null removes an attribute, reads return copies.
 */
export class MemoryInvoices implements InvoicesPort {
  readonly items = new Map<string, StoredInvoice>();

  constructor(private readonly now: () => Date = () => new Date()) {}

  async get(invoiceId: string): Promise<InvoiceRecord | undefined> {
    const invoice = this.items.get(invoiceId);
    return invoice && structuredClone(invoice);
  }

  /** A scan standing in for the sparse GSI byPaymentIntent. */
  async findInvoiceIdByPaymentIntent(paymentIntentId: string): Promise<string | undefined> {
    return [...this.items.values()].find((invoice) => invoice.paymentIntentId === paymentIntentId)?.invoiceId;
  }

  async fillMissing(invoiceId: string, changes: InvoiceChanges): Promise<InvoiceRecord> {
    const current = this.items.get(invoiceId) ?? { invoiceId };
    const missing = Object.entries(changes).filter(([key, value]) => value !== undefined && value !== null && current[key] === undefined);
    return this.write(invoiceId, Object.fromEntries(missing));
  }

  async compareAndSet(
    invoiceId: string,
    expected: Record<string, string | number | undefined>,
    changes: InvoiceChanges,
  ): Promise<InvoiceRecord | undefined> {
    const current: Record<string, unknown> = this.items.get(invoiceId) ?? {};
    if (!Object.entries(expected).every(([name, value]) => current[name] === value)) return undefined;
    return this.write(invoiceId, changes);
  }

  /** The stored record (the ledger's guard writes its counters here). */
  stored(invoiceId: string): StoredInvoice | undefined {
    return this.items.get(invoiceId);
  }

  private write(invoiceId: string, changes: InvoiceChanges): InvoiceRecord {
    const next: StoredInvoice = { ...(this.items.get(invoiceId) ?? { invoiceId }) };
    for (const [key, value] of Object.entries(changes)) {
      if (value === undefined) continue;
      if (value === null) delete next[key];
      else next[key] = structuredClone(value);
    }
    next.updatedAt = this.now().toISOString();
    this.items.set(invoiceId, next);
    return structuredClone(next);
  }
}
