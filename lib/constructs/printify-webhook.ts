import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { PipelineFunction } from './pipeline-function';

export interface PrintifyWebhookProps {
  /** the stage (the function's `stage` metric dimension) */
  readonly stage: string;
  /** the orders table */
  readonly tableName: string;
  /** SES-verified sender of the shipping email */
  readonly emailFrom: string;
  /** more environment (the SES pace: SES_PACE_LIMIT, SES_PACE_WINDOW_MS) */
  readonly environment?: Record<string, string>;
}

/**
 * Receives Printify's order webhooks (POST /webhooks/printify): verifies X-Pfy-Signature with a
 * secret the stack generates (never in the template), moves the order to in_production, shipped or
 * fulfillment_failed, records tracking and delivery, and emails the customer the tracking link.
 * `npm run printify-webhooks -- register <url>` gives Printify the URL and this secret.
 */
export class PrintifyWebhook extends Construct {
  readonly fn: PipelineFunction;
  readonly secret: Secret;

  constructor(scope: Construct, id: string, props: PrintifyWebhookProps) {
    super(scope, id);
    this.secret = new Secret(this, 'Secret', {
      description: 'Printify webhook signing secret (generated; registered with Printify by npm run printify-webhooks).',
      generateSecretString: { passwordLength: 40, excludePunctuation: true },
    });
    this.fn = new PipelineFunction(this, 'PrintifyWebhookFunction', {
      stage: props.stage,
      entry: 'lambdas/printify-webhook/handler.ts',
      description: 'Verifies Printify webhooks and records production, shipment and delivery on the order',
      environment: {
        TABLE_NAME: props.tableName,
        PRINTIFY_WEBHOOK_SECRET_ARN: this.secret.secretArn,
        EMAIL_FROM: props.emailFrom,
        ...props.environment,
      },
    });
  }
}
