import type { InvoiceRecord } from '../domain/invoice';

/** Attributes to set on an invoice record: `undefined` leaves one alone, `null` removes it. */
export type InvoiceChanges = Record<string, unknown>;

/**
 * The subscription invoices this pipeline knows (item pk INVOICE#<invoiceId>, sk INVOICE;
 * domain/invoice.ts). Unlike an order, nobody outside the pipeline writes one: every write creates
 * the item when it is absent. Errors thrown are the store failing (retry).
 */
export interface InvoicesPort {
  /** The invoice record, read strongly consistent; undefined when there is none. */
  get(invoiceId: string): Promise<InvoiceRecord | undefined>;
  /** The invoice whose payment is this payment intent (the sparse GSI byPaymentIntent; eventually consistent). */
  findInvoiceIdByPaymentIntent(paymentIntentId: string): Promise<string | undefined>;
  /** Sets only the attributes the record does not have yet (never overwrites), creating it if absent. */
  fillMissing(invoiceId: string, changes: InvoiceChanges): Promise<InvoiceRecord>;
  /**
   * Sets `changes` only if each attribute of `expected` still has the given value (`undefined`:
   * absent; an absent record has none), creating the record if absent, in one conditional write.
   * Returns the record after, or undefined when an expected value no longer held.
   */
  compareAndSet(
    invoiceId: string,
    expected: Record<string, string | number | undefined>,
    changes: InvoiceChanges,
  ): Promise<InvoiceRecord | undefined>;
}
