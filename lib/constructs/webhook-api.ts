import { CfnStage, HttpApi, HttpMethod } from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';

export interface WebhookApiProps {
  readonly stripeWebhook: IFunction;
}

/** The HTTP API Stripe calls. Throttled so that a flood cannot run up the bill. */
export class WebhookApi extends Construct {
  readonly api: HttpApi;

  constructor(scope: Construct, id: string, props: WebhookApiProps) {
    super(scope, id);
    this.api = new HttpApi(this, 'Api', { description: 'Otaku-mori webhooks (Stripe)' });
    this.api.addRoutes({
      path: '/webhooks/stripe',
      methods: [HttpMethod.POST],
      integration: new HttpLambdaIntegration('StripeWebhook', props.stripeWebhook),
    });
    const stage = this.api.defaultStage?.node.defaultChild as CfnStage;
    stage.defaultRouteSettings = { throttlingBurstLimit: 200, throttlingRateLimit: 100 };
  }

  get stripeWebhookUrl(): string {
    return `${this.api.apiEndpoint}/webhooks/stripe`;
  }
}
