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

/**
 * Each workflow's state machine ARN, read from the environment (STATE_MACHINE_ARN_ENV) of a Lambda
 * that starts executions (the webhook, the reconciler). Throws naming the variable that is missing
 * or not an ARN.
 */
export function stateMachineArnsFromEnv(env: NodeJS.ProcessEnv = process.env): Record<WorkflowName, string> {
  return Object.fromEntries(
    Object.entries(STATE_MACHINE_ARN_ENV).map(([workflow, name]) => {
      const arn = env[name];
      if (!arn?.startsWith('arn:')) throw new Error(`invalid configuration: ${name}: expected a state machine ARN`);
      return [workflow, arn];
    }),
  ) as Record<WorkflowName, string>;
}
