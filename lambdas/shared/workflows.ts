import type { WorkflowName } from '../domain/stripe-events';

/** The environment variable through which the webhook learns each workflow's state machine ARN. */
export const STATE_MACHINE_ARN_ENV: Readonly<Record<WorkflowName, string>> = {
  fulfilment: 'FULFILMENT_STATE_MACHINE_ARN',
  paymentFailed: 'PAYMENT_FAILED_STATE_MACHINE_ARN',
  refund: 'REFUND_STATE_MACHINE_ARN',
  subscriptionPayment: 'SUBSCRIPTION_PAYMENT_STATE_MACHINE_ARN',
  checkoutExpired: 'CHECKOUT_EXPIRED_STATE_MACHINE_ARN',
  dispute: 'DISPUTE_STATE_MACHINE_ARN',
};
