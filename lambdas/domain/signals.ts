/**
 * What a use case says happened that the business watches (its metrics and alarms): a typed list
 * in the use case's result (`signals`), mapped to CloudWatch metrics by one pure function
 * (metricsOfSignals in shared/task-metrics.ts). A use case never names a metric itself.
 *
 * - `printify-order-created`: this call created the Printify order (not a retry that found it).
 * - `printify-mapping-missing`: the order waits in pending_mapping for a product mapping.
 * - `printify-order-failed`: the order's fulfilment failed for good (fulfillment_failed).
 * - `printify-order-canceled` / `printify-order-has-issues`: Printify's own reason for that failure.
 * - `printify-order-shipped` / `printify-order-delivered`: a Printify webhook moved the parcel on.
 * - `printify-webhook-unknown-order`: a Printify webhook about an order this shop did not create.
 * - `printify-webhook-unappliable`: a Printify webhook that no retry could ever apply (an id too
 *   long for a key): acknowledged and logged, for an operator.
 * - `printify-shipment-after-refund`: Printify shipped a parcel of a refunded (or cancelled) order:
 *   recorded on the order, its status kept, for an operator.
 * - `dispute-opened`: a customer's dispute seen open for the first time.
 * - `dispute-status-unknown`: a dispute status this code does not map (petals left as they are).
 * - `charge-order-mismatch`: a refund or dispute names an order whose payment it is not: nothing
 *   was touched; an operator looks (README runbook).
 * - `charge-without-order`: a refund or dispute of a charge that is no order's (a Payment Link, a
 *   Dashboard charge): acknowledged and ignored.
 * - `refund-claim-impossible`: a refund event claims more than the order's payment charged, or a
 *   currency neither charged nor the order's: nothing was touched; an operator looks.
 * - `refund-reversed`: a refund failed or was canceled after it was counted: its amount is back.
 * - `refunded-after-production`: a full refund of an order Printify already produced (the print
 *   cannot be canceled: the operator decides).
 * - `email-sent`: the mailer accepted a customer email.
 * - `email-undeliverable`: a customer email recorded as never sendable (its address is not one
 *   mailbox: a list, a display name, a line break, not an address).
 * - `petals-awarded` / `petals-deducted`: petals this call wrote to the ledger (a count of petals).
 * - `negative-petal-balance`: a deduction left the user's balance below zero.
 * - `payment-mismatch`: a paid event did not match what its order owes; the order is held.
 * - `paid-not-fulfilled`: a paid event took money that this call decided not to fulfil (a held
 *   mismatch, another payment of an order already paid, refunded or held): an operator must act.
 */
export type Signal =
  | {
      kind:
        | 'printify-order-created'
        | 'printify-mapping-missing'
        | 'printify-order-failed'
        | 'printify-order-canceled'
        | 'printify-order-has-issues'
        | 'printify-order-shipped'
        | 'printify-order-delivered'
        | 'printify-webhook-unknown-order'
        | 'printify-webhook-unappliable'
        | 'printify-shipment-after-refund'
        | 'dispute-opened'
        | 'dispute-status-unknown'
        | 'charge-order-mismatch'
        | 'charge-without-order'
        | 'refund-claim-impossible'
        | 'refund-reversed'
        | 'refunded-after-production'
        | 'email-sent'
        | 'email-undeliverable'
        | 'negative-petal-balance'
        | 'payment-mismatch'
        | 'paid-not-fulfilled';
    }
  | { kind: 'petals-awarded' | 'petals-deducted'; petals: number };

/** A result that reports signals. */
export interface Signalled {
  signals: Signal[];
}
