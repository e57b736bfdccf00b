import { type CfnStage, HttpApi, HttpMethod } from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';

export interface WebhookApiProps {
  readonly stripeWebhook: IFunction;
  /** Printify's order webhooks (POST /webhooks/printify) */
  readonly printifyWebhook?: IFunction;
}

/** The HTTP API Stripe calls. Throttled so that a flood cannot run up the bill. */
export class WebhookApi extends Construct {
  readonly api: HttpApi;
  readonly accessLogs: LogGroup;

  constructor(scope: Construct, id: string, props: WebhookApiProps) {
    super(scope, id);
    this.api = new HttpApi(this, 'Api', { description: 'Otaku-mori webhooks (Stripe, Printify)' });
    this.api.addRoutes({
      path: '/webhooks/stripe',
      methods: [HttpMethod.POST],
      integration: new HttpLambdaIntegration('StripeWebhook', props.stripeWebhook),
    });
    if (props.printifyWebhook) {
      this.api.addRoutes({
        path: '/webhooks/printify',
        methods: [HttpMethod.POST],
        integration: new HttpLambdaIntegration('PrintifyWebhook', props.printifyWebhook),
      });
    }
    const stage = this.api.defaultStage?.node.defaultChild as CfnStage;
    stage.defaultRouteSettings = { throttlingBurstLimit: 200, throttlingRateLimit: 100 };
    // One JSON line per request: who called, which route, the answer and the integration's error.
    // No headers and no body: nothing of a signature, secret or customer reaches these logs.
    // (Bodies over MAX_WEBHOOK_BODY_BYTES are refused with 413 by the functions themselves.)
    this.accessLogs = new LogGroup(this, 'AccessLogs', { retention: RetentionDays.THREE_MONTHS });
    stage.accessLogSettings = {
      destinationArn: this.accessLogs.logGroupArn,
      format: JSON.stringify({
        requestId: '$context.requestId',
        requestTime: '$context.requestTime',
        sourceIp: '$context.identity.sourceIp',
        userAgent: '$context.identity.userAgent',
        routeKey: '$context.routeKey',
        status: '$context.status',
        responseLength: '$context.responseLength',
        latencyMs: '$context.responseLatency',
        integrationStatus: '$context.integrationStatus',
        integrationError: '$context.integrationErrorMessage',
      }),
    };
  }

  get stripeWebhookUrl(): string {
    return `${this.api.apiEndpoint}/webhooks/stripe`;
  }

  get printifyWebhookUrl(): string {
    return `${this.api.apiEndpoint}/webhooks/printify`;
  }
}
