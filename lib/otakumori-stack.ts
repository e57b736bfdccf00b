import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import type { Construct } from 'constructs';
import { PAYMENT_INTENT_INDEX } from '../lambdas/domain/keys';
import { WORKFLOWS } from '../lambdas/domain/stripe-events';
import { STATE_MACHINE_ARN_ENV } from '../lambdas/shared/workflows';
import { Monitoring } from './constructs/monitoring';
import { OrdersTable } from './constructs/orders-table';
import { PipelineFunction } from './constructs/pipeline-function';
import { PrintifyWebhook } from './constructs/printify-webhook';
import { StripeReconciler } from './constructs/reconciler';
import { WebhookApi } from './constructs/webhook-api';
import { Workflows } from './constructs/workflows';
import { acknowledgeNagFindings } from './nag-acknowledgements';

/** The stage's configuration (lib/config/stages.ts validates it; the local runtime passes its own). */
export interface OtakumoriStackProps extends StackProps {
  /** Stage name (`staging`, `production`, `local`): the `stage` dimension of every business metric. */
  readonly stage: string;
  /** Printify shop that receives the orders; also the `PrintifyShopId` output the operator commands read. */
  readonly printifyShopId: string;
  /** SES-verified sender. */
  readonly emailFrom: string;
  /** JSON petals-per-unit rates by currency, e.g. {"usd":1}. @default the domain's rates */
  readonly petalRates?: string;
  /** Whether this deployment takes live-mode Stripe events; no default (a wrong guess answers every event 400). */
  readonly stripeLivemode: boolean;
  /** Subscribed to the alarm topic; confirm the subscription from the mail. @default no subscription */
  readonly alarmEmail?: string;
  /**
   * Send each new Printify order to production at once, or leave it on hold for the shop's own
   * approval setting. @default true
   */
  readonly printifySendToProduction?: boolean;
  /**
   * Printify's API limit for this shop, requests a minute (600 unless Printify raised it); the
   * pacer hands out 90 % of it (lambdas/domain/rate-slots.ts). @default 600
   */
  readonly printifyRateLimitPerMinute?: number;
  /** The SES account's maximum send rate, emails a second (the SES console's Account dashboard). @default 14 */
  readonly sesMaxSendRate?: number;
}

/** The whole order pipeline: one table, the webhook API, the workflows and their Lambdas. */
export class OtakumoriStack extends Stack {
  constructor(scope: Construct, id: string, props: OtakumoriStackProps) {
    super(scope, id, props);
    const { table } = new OrdersTable(this, 'Orders');

    const stripeWebhookSecret = new Secret(this, 'StripeWebhookSecret', {
      description: 'Stripe webhook signing secret (whsec_…). Set it after the first deploy.',
    });
    const printifyToken = new Secret(this, 'PrintifyApiToken', {
      description: 'Printify personal access token. Set it after the first deploy.',
    });

    const env = { TABLE_NAME: table.tableName };
    // The quotas the shared pacer spends (lambdas/shared/pacing.ts quotaFromEnv).
    const printifyPace = { PRINTIFY_PACE_LIMIT: String(props.printifyRateLimitPerMinute ?? 600), PRINTIFY_PACE_WINDOW_MS: '60000' };
    const sesPace = { SES_PACE_LIMIT: String(props.sesMaxSendRate ?? 14), SES_PACE_WINDOW_MS: '1000' };
    const petalEnv: Record<string, string> = props.petalRates ? { PETAL_RATES: props.petalRates } : {};
    const sendToProduction = { PRINTIFY_SEND_TO_PRODUCTION: String(props.printifySendToProduction ?? true) };
    const fulfilment = new PipelineFunction(this, 'FulfilmentFunction', {
      stage: props.stage,
      entry: 'lambdas/fulfilment/handler.ts',
      description: "Order status changes from Stripe's events; reserves a paid order's Printify and SES slots",
      environment: { ...env, ...sendToProduction, ...printifyPace, ...sesPace },
    });
    // The fulfilment service's Printify calls, in a function of their own: a call that waits on
    // Printify never holds an environment a payment needs, only this function reads the token, and
    // its concurrency can be capped alone. Same service name: its metrics feed the fulfilment alarms.
    const printify = new PipelineFunction(this, 'PrintifyFunction', {
      stage: props.stage,
      entry: 'lambdas/fulfilment/printify-handler.ts',
      description: 'Creates Printify orders within their reserved slots; cancels refunded prints',
      environment: {
        ...env,
        POWERTOOLS_SERVICE_NAME: fulfilment.serviceName,
        PRINTIFY_SHOP_ID: props.printifyShopId,
        PRINTIFY_API_TOKEN_ARN: printifyToken.secretArn,
        ...sendToProduction,
        ...printifyPace,
      },
    });
    const petals = new PipelineFunction(this, 'PetalsFunction', {
      stage: props.stage,
      entry: 'lambdas/petals/handler.ts',
      description: 'Petal ledger: purchase bonuses and refund deductions',
      environment: { ...env, ...petalEnv },
    });
    const email = new PipelineFunction(this, 'EmailFunction', {
      stage: props.stage,
      entry: 'lambdas/email/handler.ts',
      description: 'Customer emails through SES',
      environment: { ...env, ...petalEnv, EMAIL_FROM: props.emailFrom, ...sesPace },
    });
    const cart = new PipelineFunction(this, 'CartFunction', {
      stage: props.stage,
      entry: 'lambdas/cart/handler.ts',
      description: 'Removes purchased lines from carts',
      environment: env,
    });

    // Least privilege: each function gets exactly the table actions its adapters call.
    const grantTable = (fn: PipelineFunction, actions: string[], options: { paymentIntentIndex?: boolean } = {}) =>
      fn.addToRolePolicy(
        new PolicyStatement({
          actions: actions.map((action) => `dynamodb:${action}`),
          resources: [table.tableArn, ...(options.paymentIntentIndex ? [`${table.tableArn}/index/${PAYMENT_INTENT_INDEX}`] : [])],
        }),
      );
    const grantSecretValue = (fn: PipelineFunction, secret: Secret) =>
      fn.addToRolePolicy(new PolicyStatement({ actions: ['secretsmanager:GetSecretValue'], resources: [secret.secretArn] }));
    grantTable(fulfilment, ['GetItem', 'UpdateItem', 'Query'], { paymentIntentIndex: true });
    grantTable(printify, ['GetItem', 'UpdateItem', 'BatchGetItem']);
    grantTable(petals, ['GetItem', 'PutItem', 'UpdateItem']);
    grantTable(email, ['GetItem', 'PutItem', 'UpdateItem']);
    grantTable(cart, ['GetItem', 'DeleteItem']);
    grantSecretValue(printify, printifyToken);
    email.addToRolePolicy(
      new PolicyStatement({
        actions: ['ses:SendEmail'],
        resources: [this.formatArn({ service: 'ses', resource: 'identity', resourceName: '*' })],
      }),
    );

    const workflows = new Workflows(this, 'Workflows', { fulfilment, printify, petals, email, cart });

    const webhook = new PipelineFunction(this, 'StripeWebhookFunction', {
      stage: props.stage,
      entry: 'lambdas/webhook/handler.ts',
      description: 'Verifies Stripe webhooks, records them and starts their workflow',
      environment: {
        ...env,
        STRIPE_WEBHOOK_SECRET_ARN: stripeWebhookSecret.secretArn,
        STRIPE_LIVEMODE: String(props.stripeLivemode),
        ...Object.fromEntries(WORKFLOWS.map((w) => [STATE_MACHINE_ARN_ENV[w], workflows.stateMachines[w].stateMachineArn])),
      },
    });
    grantTable(webhook, ['PutItem', 'DeleteItem']);
    grantSecretValue(webhook, stripeWebhookSecret);
    for (const w of WORKFLOWS) workflows.stateMachines[w].grantStartExecution(webhook);

    const printifyWebhook = new PrintifyWebhook(this, 'PrintifyWebhook', {
      stage: props.stage,
      tableName: table.tableName,
      emailFrom: props.emailFrom,
      environment: sesPace,
    });
    // OrderRepository get/update, the Printify order index (GetItem), the email outbox (PutItem)
    grantTable(printifyWebhook.fn, ['GetItem', 'PutItem', 'UpdateItem']);
    grantSecretValue(printifyWebhook.fn, printifyWebhook.secret);
    printifyWebhook.fn.addToRolePolicy(
      new PolicyStatement({
        actions: ['ses:SendEmail'],
        resources: [this.formatArn({ service: 'ses', resource: 'identity', resourceName: '*' })],
      }),
    );

    const api = new WebhookApi(this, 'WebhookApi', { stripeWebhook: webhook, printifyWebhook: printifyWebhook.fn });
    // Stripe's own list of events, hourly: delivers what the webhook missed (docs/events.md "Reconciliation with Stripe")
    const reconciler = new StripeReconciler(this, 'StripeReconciler', {
      table,
      stateMachines: workflows.stateMachines,
      livemode: props.stripeLivemode,
      stage: props.stage,
    });

    const monitoring = new Monitoring(this, 'Monitoring', {
      api: api.api,
      webhook,
      fulfilment,
      petals,
      email,
      printifyWebhook: printifyWebhook.fn,
      reconciler: reconciler.fn,
      functions: this.node.findAll().filter((c): c is PipelineFunction => c instanceof PipelineFunction),
      stateMachines: workflows.stateMachines,
      ...(props.alarmEmail ? { alarmEmail: props.alarmEmail } : {}),
    });
    new CfnOutput(this, 'AlarmTopicArn', { value: monitoring.topic.topicArn, description: 'Every alarm notifies this topic' });
    new CfnOutput(this, 'DashboardName', { value: monitoring.dashboard.dashboardName });
    acknowledgeNagFindings(this);

    new CfnOutput(this, 'StripeWebhookUrl', { value: api.stripeWebhookUrl, description: 'Point the Stripe webhook endpoint here' });
    new CfnOutput(this, 'TableName', { value: table.tableName });
    new CfnOutput(this, 'Stage', { value: props.stage, description: "The `stage` dimension of this stack's business metrics" });
    new CfnOutput(this, 'PrintifyShopId', { value: props.printifyShopId, description: 'The Printify shop this stage orders from' });
    new CfnOutput(this, 'StripeWebhookSecretArn', { value: stripeWebhookSecret.secretArn });
    new CfnOutput(this, 'PrintifyApiTokenSecretArn', { value: printifyToken.secretArn });
    new CfnOutput(this, 'PrintifyWebhookUrl', {
      value: api.printifyWebhookUrl,
      description: 'Register it with Printify: npm run printify-webhooks -- register --stage <name>',
    });
    new CfnOutput(this, 'PrintifyWebhookSecretArn', { value: printifyWebhook.secret.secretArn });
    new CfnOutput(this, 'StripeReconcilerApiKeySecretArn', {
      value: reconciler.apiKey.secretArn,
      description: 'Put a restricted Stripe key that can only read events here',
    });
    for (const w of WORKFLOWS) {
      new CfnOutput(this, `${w[0]!.toUpperCase()}${w.slice(1)}StateMachineArn`, { value: workflows.stateMachines[w].stateMachineArn });
    }
  }
}
