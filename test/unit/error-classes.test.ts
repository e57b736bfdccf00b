import { ConditionalCheckFailedException, ProvisionedThroughputExceededException } from '@aws-sdk/client-dynamodb';
import { AccountSendingPausedException, MailFromDomainNotVerifiedException, MessageRejected, type SESClient } from '@aws-sdk/client-ses';
import { isRetryableStatus } from '../../lambdas/adapters/printify-client';
import { SesMailer } from '../../lambdas/adapters/ses-mailer';
import {
  classifyError,
  EmailRejectedError,
  OrderNotFoundError,
  PrintifyRejectedError,
  StoreRejectedError,
  TransientError,
} from '../../lambdas/domain/errors';

/** DynamoDB's error as the SDK throws it: a ServiceException named ValidationException. */
function validationException(message: string): Error {
  return Object.assign(new Error(message), { name: 'ValidationException', $fault: 'client', $metadata: { httpStatusCode: 400 } });
}

describe('classifyError: by whether a retry can help', () => {
  it.each([
    ['an item over 400 KB', 'Item size has exceeded the maximum allowed size'],
    [
      'a sort key over 1,024 bytes',
      'One or more parameter values were invalid: Aggregated size of all range keys has exceeded the size limit of 1024 bytes',
    ],
    [
      'a partition key over 2,048 bytes',
      'One or more parameter values are not valid. The update expression attempted to update a key attribute of size greater than 2048 bytes',
    ],
  ])('DynamoDB ValidationException (%s) is StoreRejected: permanent', (_what, message) => {
    const typed = classifyError(validationException(message));
    expect(typed).toBeInstanceOf(StoreRejectedError);
    expect(typed).toMatchObject({ name: 'StoreRejected', retryable: false });
    expect(typed.message).toContain(message);
  });

  it('a throttle, a network error or anything unknown is transient', () => {
    const throttle = new ProvisionedThroughputExceededException({ message: 'slow down', $metadata: {} });
    expect(classifyError(throttle)).toBeInstanceOf(TransientError);
    expect(classifyError(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }))).toMatchObject({
      name: 'TransientError',
      retryable: true,
    });
    expect(classifyError('a string')).toBeInstanceOf(TransientError);
    // a failed condition the use case did not expect is not a rejected request
    expect(classifyError(new ConditionalCheckFailedException({ message: 'no', $metadata: {} }))).toBeInstanceOf(TransientError);
  });

  it('typed errors pass through as they are', () => {
    const rejected = new PrintifyRejectedError('refused');
    expect(classifyError(rejected)).toBe(rejected);
    expect(classifyError(new OrderNotFoundError('ord_1'))).toMatchObject({ name: 'OrderNotFound', retryable: true });
    expect(classifyError(new EmailRejectedError('no'))).toMatchObject({ name: 'EmailRejected', retryable: false });
  });
});

describe('Printify statuses: only 408, 429 and 5xx are worth a retry', () => {
  it.each([400, 401, 402, 403, 404, 409, 410, 422])('%i is permanent', (status) => expect(isRetryableStatus(status)).toBe(false));
  it.each([408, 429, 500, 502, 503, 504])('%i is retried', (status) => expect(isRetryableStatus(status)).toBe(true));
});

describe('SesMailer: SES refusals that no retry fixes are EmailRejected', () => {
  const message = { to: 'someone@example.com', subject: 's', html: '<p>h</p>', text: 't' };
  const failingWith = (error: Error) =>
    new SesMailer('shop@example.com', { send: async () => Promise.reject(error) } as unknown as SESClient);

  it.each([
    ['MessageRejected', new MessageRejected({ message: 'Email address is not verified.', $metadata: {} })],
    ['MailFromDomainNotVerifiedException', new MailFromDomainNotVerifiedException({ message: 'not verified', $metadata: {} })],
    ['AccountSendingPausedException', new AccountSendingPausedException({ message: 'paused', $metadata: {} })],
  ])('%s', async (name, error) => {
    const thrown = await failingWith(error)
      .send(message)
      .catch((e: unknown) => e);
    expect(thrown).toBeInstanceOf(EmailRejectedError);
    expect(thrown).toMatchObject({ retryable: false, message: expect.stringContaining(name) });
    expect(classifyError(thrown)).toBe(thrown);
  });

  it('a throttle is passed on as it is, for the workflow to retry', async () => {
    const throttle = Object.assign(new Error('Maximum sending rate exceeded.'), { name: 'Throttling' });
    const thrown = await failingWith(throttle)
      .send(message)
      .catch((e: unknown) => e);
    expect(thrown).toBe(throttle);
    expect(classifyError(thrown)).toBeInstanceOf(TransientError);
  });

  it("sends what it is given and returns SES's message id", async () => {
    const sent: unknown[] = [];
    const send = async (command: { input: unknown }) => {
      sent.push(command.input);
      return { MessageId: 'm-1' };
    };
    const mailer = new SesMailer('shop@example.com', { send } as unknown as SESClient);
    expect(await mailer.send(message)).toBe('m-1');
    expect(sent).toEqual([expect.objectContaining({ Source: 'shop@example.com', Destination: { ToAddresses: ['someone@example.com'] } })]);
  });
});
