import type { SESClient } from '@aws-sdk/client-ses';
import { SesMailer } from '../../lambdas/adapters/ses-mailer';
import { EmailRejectedError, classifyError } from '../../lambdas/domain/errors';

const message = { to: 'customer@example.com', subject: 'Your order', html: '<p>hi</p>', text: 'hi' };

/** An SES client whose every send fails with an error of this name (as the SDK names its exceptions). */
function failingClient(name: string): SESClient {
  const error = Object.assign(new Error(`${name} from SES`), { name });
  return { send: () => Promise.reject(error) } as unknown as SESClient;
}

describe('SesMailer', () => {
  it.each(['MessageRejected', 'MailFromDomainNotVerifiedException', 'AccountSendingPausedException'])(
    'turns SES %s into EmailRejected, which the workflow does not retry',
    async (name) => {
      const error = await new SesMailer('orders@example.com', failingClient(name)).send(message).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(EmailRejectedError);
      expect(classifyError(error)).toMatchObject({ name: 'EmailRejected', retryable: false });
    },
  );

  it('passes throttling through, to be retried as transient', async () => {
    const error = await new SesMailer('orders@example.com', failingClient('Throttling')).send(message).catch((e: unknown) => e);
    expect(classifyError(error)).toMatchObject({ name: 'TransientError', retryable: true });
  });

  it('returns the message id SES assigns', async () => {
    const client = { send: () => Promise.resolve({ MessageId: 'm-1' }) } as unknown as SESClient;
    await expect(new SesMailer('orders@example.com', client).send(message)).resolves.toBe('m-1');
  });
});
