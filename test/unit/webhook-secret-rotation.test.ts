import '../support/silent-powertools';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import Stripe from 'stripe';
import { WORKFLOWS } from '../../lambdas/domain/stripe-events';
import { STATE_MACHINE_ARN_ENV } from '../../lambdas/shared/workflows';

/**
 * The webhook handler as deployed (secret by ARN), against a stand-in for Secrets Manager's
 * GetSecretValue (and for DynamoDB and Step Functions, which an ignored event type never calls).
 */
const ARN = 'arn:aws:secretsmanager:us-east-1:000000000000:secret:StripeWebhookSecret';
let current = 'whsec_placeholder';
let secretReads = 0;
let server: Server;
let receive: (event: APIGatewayProxyEventV2) => Promise<APIGatewayProxyStructuredResultV2>;

beforeAll(async () => {
  server = createServer((request, response) => {
    const target = String(request.headers['x-amz-target'] ?? '');
    request.resume();
    request.on('end', () => {
      if (target === 'secretsmanager.GetSecretValue') {
        secretReads += 1;
        response.writeHead(200, { 'content-type': 'application/x-amz-json-1.1' });
        response.end(JSON.stringify({ ARN, Name: 'StripeWebhookSecret', SecretString: current, VersionId: `v${secretReads}` }));
      } else {
        response.writeHead(400, { 'content-type': 'application/x-amz-json-1.0' });
        response.end(JSON.stringify({ __type: 'com.amazonaws.dynamodb.v20120810#ResourceNotFoundException', message: 'no table here' }));
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  Object.assign(process.env, {
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
    AWS_MAX_ATTEMPTS: '1',
    AWS_ENDPOINT_URL_SECRETS_MANAGER: url,
    AWS_ENDPOINT_URL_DYNAMODB: url,
    AWS_ENDPOINT_URL_SFN: url,
    TABLE_NAME: 'orders',
    STRIPE_WEBHOOK_SECRET_ARN: ARN,
    STRIPE_LIVEMODE: 'false',
    ...Object.fromEntries(WORKFLOWS.map((w) => [STATE_MACHINE_ARN_ENV[w], `arn:aws:states:us-east-1:000000000000:stateMachine:${w}`])),
  });
  delete process.env.STRIPE_WEBHOOK_SECRET;
  ({ receive } = await import('../../lambdas/webhook/handler'));
});

afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

// an event type the pipeline does not act on: verified, then answered 200 "ignored" without a table
const payload = JSON.stringify(
  { id: 'evt_rotation_1', object: 'event', type: 'customer.created', created: 1, livemode: false, data: { object: { id: 'cus_1' } } },
  null,
  2,
);
const signedWith = (secret: string): APIGatewayProxyEventV2 =>
  ({
    body: payload,
    isBase64Encoded: false,
    headers: { 'stripe-signature': Stripe.webhooks.generateTestHeaderString({ payload, secret }) },
  }) as unknown as APIGatewayProxyEventV2;

test('a secret put after the container cached the old one is read again on the first mismatch, then used', async () => {
  const first = await receive(signedWith('whsec_placeholder'));
  expect(first).toMatchObject({ statusCode: 200 }); // verified with the cached value
  expect(secretReads).toBe(1);

  current = 'whsec_live'; // put-secret-value, well inside the cache's five minutes
  const second = await receive(signedWith('whsec_live'));
  expect(second).toMatchObject({ statusCode: 200 });
  expect(secretReads).toBe(2);

  // a forged signature right after: answered 400 without another read (at most one per 30 s)
  const forged = await receive(signedWith('whsec_forged'));
  expect(forged.statusCode).toBe(400);
  expect(secretReads).toBe(2);
});
