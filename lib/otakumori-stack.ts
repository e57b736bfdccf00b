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

export interface OtakumoriStackProps extends StackProps {
  /** Printify shop that receives the orders (context `printifyShopId`). */
  readonly printifyShopId: string;
  /** SES-verified sender (context `emailFrom`). */
  readonly emailFrom: string;
  /** JSON petals-per-unit rates by currency (context `petalRates`), e.g. {"usd":1}. */
  readonly petalRates?: string;
  /** Whether this deployment takes live-mode Stripe events (context `stripeLivemode`); default test mode. */
  readonly stripeLivemode?: boolean;
  /** Subscribed to the alarm topic (context `alarmEmail`); confirm the subscription from the mail. */
  readonly alarmEmail?: string;
  /**
   * Send each new Printify order to production at once (default), or leave it on hold for the
   * shop's own approval setting (context `printifySendToProduction`: "false").
   */
  readonly printifySendToProduction?: boolean;
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
    const petalEnv: Record<string, string> = props.petalRates ? { PETAL_RATES: props.petalRates } : {};
    const fulfilment = new PipelineFunction(this, 'FulfilmentFunction', {
      entry: 'lambdas/fulfilment/handler.ts',
      description: 'Order status changes and Printify orders',
      environment: {
        ...env,
        PRINTIFY_SHOP_ID: props.printifyShopId,
        PRINTIFY_API_TOKEN_ARN: printifyToken.secretArn,
        PRINTIFY_SEND_TO_PRODUCTION: String(
          props.printifySendToProduction ?? String(this.node.tryGetContext('printifySendToProduction') ?? 'true') !== 'false',
        ),
      },
    });
    const petals = new PipelineFunction(this, 'PetalsFunction', {
      entry: 'lambdas/petals/handler.ts',
      description: 'Petal ledger: purchase bonuses and refund deductions',
      environment: { ...env, ...petalEnv },
    });
    const email = new PipelineFunction(this, 'EmailFunction', {
      entry: 'lambdas/email/handler.ts',
      description: 'Customer emails through SES',
      environment: { ...env, ...petalEnv, EMAIL_FROM: props.emailFrom },
    });
    const cart = new PipelineFunction(this, 'CartFunction', {
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
    grantTable(fulfilment, ['GetItem', 'UpdateItem', 'Query', 'BatchGetItem'], { paymentIntentIndex: true });
    grantTable(petals, ['GetItem', 'PutItem', 'UpdateItem']);
    grantTable(email, ['GetItem', 'PutItem', 'UpdateItem']);
    grantTable(cart, ['GetItem', 'DeleteItem']);
    grantSecretValue(fulfilment, printifyToken);
    email.addToRolePolicy(
      new PolicyStatement({
        actions: ['ses:SendEmail'],
        resources: [this.formatArn({ service: 'ses', resource: 'identity', resourceName: '*' })],
      }),
    );

    const workflows = new Workflows(this, 'Workflows', { fulfilment, petals, email, cart });

    const webhook = new PipelineFunction(this, 'StripeWebhookFunction', {
      entry: 'lambdas/webhook/handler.ts',
      description: 'Verifies Stripe webhooks, records them and starts their workflow',
      environment: {
        ...env,
        STRIPE_WEBHOOK_SECRET_ARN: stripeWebhookSecret.secretArn,
        STRIPE_LIVEMODE: String(props.stripeLivemode ?? false),
        ...Object.fromEntries(WORKFLOWS.map((w) => [STATE_MACHINE_ARN_ENV[w], workflows.stateMachines[w].stateMachineArn])),
      },
    });
    grantTable(webhook, ['PutItem', 'DeleteItem']);
    grantSecretValue(webhook, stripeWebhookSecret);
    for (const w of WORKFLOWS) workflows.stateMachines[w].grantStartExecution(webhook);

    const printifyWebhook = new PrintifyWebhook(this, 'PrintifyWebhook', {
      tableName: table.tableName,
      emailFrom: props.emailFrom,
    });
    // OrderRepository get/update, the Printify order index (GetItem), the email outbox (PutItem)
    grantTable(printifyWebhook.fn, ['GetItem', 'PutItem', 'UpdateItem']);
    grantSecretValue(printifyWebhook.fn, printifyWebhook.secret);
    printifyWebhook.fn.addToRolePolicy(
      new PolicyStatement({ actions: ['ses:SendEmail'], resources: [this.formatArn({ service: 'ses', resource: 'identity', resourceName: '*' })] }),
    );

    const api = new WebhookApi(this, 'WebhookApi', { stripeWebhook: webhook, printifyWebhook: printifyWebhook.fn });
    // Stripe's own list of events, hourly: delivers what the webhook missed (README "Reconciliation with Stripe")
    const reconciler = new StripeReconciler(this, 'StripeReconciler', {
      table,
      stateMachines: workflows.stateMachines,
      livemode: props.stripeLivemode ?? false,
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
    new CfnOutput(this, 'StripeWebhookSecretArn', { value: stripeWebhookSecret.secretArn });
    new CfnOutput(this, 'PrintifyApiTokenSecretArn', { value: printifyToken.secretArn });
    new CfnOutput(this, 'PrintifyWebhookUrl', {
      value: api.printifyWebhookUrl,
      description: 'Register it with Printify: npm run printify-webhooks -- register --stack <name>',
    });
    new CfnOutput(this, 'PrintifyWebhookSecretArn', { value: printifyWebhook.secret.secretArn });
    new CfnOutput(this, 'StripeReconcilerApiKeySecretArn', { value: reconciler.apiKey.secretArn, description: 'Put a restricted Stripe key that can only read events here' });
    for (const w of WORKFLOWS) {
      new CfnOutput(this, `${w[0]!.toUpperCase()}${w.slice(1)}StateMachineArn`, { value: workflows.stateMachines[w].stateMachineArn });
    }
  }
}
