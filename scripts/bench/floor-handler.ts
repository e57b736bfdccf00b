/**
 * The floor for the webhook's latency: a Lambda that only verifies the Stripe signature on the raw
 * body (with the same verifier as the real webhook) and answers. It runs on the same local runtime
 * (worker thread, HTTP API) as the real one, so the difference between the two is the pipeline's
 * own work: recording the event and starting its execution.
 */
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { StripeSignatureVerifier } from '../../lambdas/adapters/stripe-signature';

const verifier = new StripeSignatureVerifier(process.env.STRIPE_WEBHOOK_SECRET ?? '');

export async function handler(event: APIGatewayProxyEventV2): Promise<APIGatewayProxyStructuredResultV2> {
  const rawBody = Buffer.from(event.body ?? '', event.isBase64Encoded ? 'base64' : 'utf8');
  try {
    const verified = verifier.verify(rawBody, event.headers?.['stripe-signature']) as { id: string };
    return {
      statusCode: 200,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ received: true, eventId: verified.id }),
    };
  } catch (error) {
    return { statusCode: 400, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ error: (error as Error).message }) };
  }
}
