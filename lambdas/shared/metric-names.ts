/**
 * The pipeline's business metrics: one list shared by the Lambdas that emit them and the stack's
 * alarms and dashboard that read them (namespace Otakumori, dimensions `service` = the function and
 * `stage` = the deployment, so that staging and production in one account never share an alarm).
 */
export const METRICS_NAMESPACE = 'Otakumori';

/** The environment variable that names the stage; its value is every metric's `stage` dimension. */
export const STAGE_ENV = 'STAGE';
/** The dimension that tells the stages' metrics apart. */
export const STAGE_DIMENSION = 'stage';

export const METRIC = {
  /** webhook: an event recorded and its execution started */
  webhookAccepted: 'WebhookAccepted',
  /** webhook: an event already recorded and started (Stripe's retry or duplicate) */
  webhookDuplicate: 'WebhookDuplicate',
  /** webhook: an event type or event the pipeline does not act on (200) */
  webhookIgnored: 'WebhookIgnored',
  /** webhook: answered 400/413 (bad signature, body, livemode, size); also by dimension `reason` */
  webhookRejected: 'WebhookRejected',
  /** webhook: answered 5xx (DynamoDB, Step Functions or Secrets Manager failed): Stripe retries */
  webhookFailed: 'WebhookFailed',
  /** seconds from Stripe's event to the Printify order (the order's fulfilment time) */
  fulfilmentTime: 'FulfilmentTime',
  printifyOrderCreated: 'PrintifyOrderCreated',
  /** one Printify attempt failed (it may still be retried) */
  printifyAttemptFailed: 'PrintifyAttemptFailed',
  /** the Printify order could not be created: the order is fulfillment_failed */
  printifyOrderFailed: 'PrintifyOrderFailed',
  /** a product has no Printify mapping: the order waits in pending_mapping */
  printifyMappingMissing: 'PrintifyMappingMissing',
  /** Printify webhook: Printify shipped a parcel of the order */
  printifyOrderShipped: 'PrintifyOrderShipped',
  printifyOrderDelivered: 'PrintifyOrderDelivered',
  /** Printify webhook: Printify canceled the order (also counted as PrintifyOrderFailed) */
  printifyOrderCanceled: 'PrintifyOrderCanceled',
  /** Printify webhook: Printify reports issues with the order (also counted as PrintifyOrderFailed) */
  printifyOrderHasIssues: 'PrintifyOrderHasIssues',
  /** Printify webhook: an event about a Printify order this shop does not know */
  printifyWebhookUnknownOrder: 'PrintifyWebhookUnknownOrder',
  /** Printify webhook: acknowledged (200) but never appliable (an id too long for a key); logged */
  printifyWebhookUnappliable: 'PrintifyWebhookUnappliable',
  /** Printify webhook: a parcel shipped for a refunded or cancelled order (recorded, status kept) */
  printifyShipmentAfterRefund: 'PrintifyShipmentAfterRefund',
  /** Printify webhook: answered 400/401/413 */
  printifyWebhookRejected: 'PrintifyWebhookRejected',
  /** Printify webhook: answered 5xx (DynamoDB, SES or Secrets Manager failed): Printify retries */
  printifyWebhookFailed: 'PrintifyWebhookFailed',
  petalsAwarded: 'PetalsAwarded',
  petalsDeducted: 'PetalsDeducted',
  /** a user's petal balance went below zero */
  negativePetalBalance: 'NegativePetalBalance',
  /** a customer disputed a charge: the shop has days to respond in the Stripe Dashboard */
  disputeOpened: 'DisputeOpened',
  /** a paid event did not match what its order owes (amount, currency, or none said): the order is held */
  paymentMismatch: 'PaymentMismatch',
  /** a paid event took money the pipeline did not fulfil (held, or another payment of a paid/refunded order) */
  paidNotFulfilled: 'PaidNotFulfilled',
  /** a dispute status the code does not map: recorded, petals left as they are */
  disputeStatusUnknown: 'DisputeStatusUnknown',
  /** a refund or dispute names an order whose payment it is not: nothing touched, an operator looks */
  chargeOrderMismatch: 'ChargeOrderMismatch',
  /** a refund or dispute of a charge that is no order's (Payment Link, Dashboard): ignored */
  chargeWithoutOrder: 'ChargeWithoutOrder',
  /** a refund event claimed more than was charged, or a currency neither charged nor the order's: nothing touched */
  refundClaimImpossible: 'RefundClaimImpossible',
  /** a counted refund failed or was canceled: its amount is no longer refunded */
  refundReversed: 'RefundReversed',
  /** a full refund of an order Printify already produced: the operator decides what to do with the print */
  refundedAfterProduction: 'RefundedAfterProduction',
  emailSent: 'EmailSent',
  emailFailed: 'EmailFailed',
  /** a customer email that can never be sent (its address is not one mailbox); recorded, not retried */
  emailUndeliverable: 'EmailUndeliverable',
  /** any workflow task that failed (one attempt) */
  taskFailed: 'TaskFailed',
  /**
   * reconciler: handled Stripe events it found that the webhook had never recorded (it delivers
   * them); any at all means the endpoint is down, disabled or misconfigured
   */
  reconcilerMissedEvents: 'ReconcilerMissedEvents',
  /** reconciler: events it could not deliver this run (retried from the same checkpoint next run) */
  reconcilerFailed: 'ReconcilerFailed',
} as const;

export type MetricName = (typeof METRIC)[keyof typeof METRIC];
