import { SESClient, SendEmailCommand } from '@aws-sdk/client-ses';
import type { EmailMessage, Mailer } from '../ports/mailer';
import { EmailRejectedError } from '../domain/errors';

export type { EmailMessage, Mailer };

/**
 * SES errors that no retry fixes
 * (https://docs.aws.amazon.com/ses/latest/APIReference/API_SendEmail.html#API_SendEmail_Errors).
 * Throttling and 5xx are left to the workflow's transient retries.
 */
export const PERMANENT_SES_ERRORS: ReadonlySet<string> = new Set([
  'MessageRejected',
  'MailFromDomainNotVerifiedException',
  'AccountSendingPausedException',
  'ConfigurationSetDoesNotExistException',
  'ConfigurationSetSendingPausedException',
]);

/**
 * Amazon SES (v1 SendEmail). The endpoint comes from AWS_ENDPOINT_URL_SES when set. `send` throws
 * EmailRejectedError (not retryable) when SES refuses the message for good, and passes any other
 * error through (treated as transient). The endpoint comes from AWS_ENDPOINT_URL_SES when set. */
export class SesMailer implements Mailer {
  constructor(
    private readonly from: string,
    private readonly client = new SESClient({}),
  ) {}

  async send(message: EmailMessage): Promise<string> {
    const result = await this.client
      .send(
        new SendEmailCommand({
          Source: this.from,
          Destination: { ToAddresses: [message.to] },
          Message: {
            Subject: { Data: message.subject, Charset: 'UTF-8' },
            Body: { Html: { Data: message.html, Charset: 'UTF-8' }, Text: { Data: message.text, Charset: 'UTF-8' } },
          },
        }),
      )
      .catch((error: unknown) => {
        const name = error instanceof Error ? error.name : undefined;
        if (name && PERMANENT_SES_ERRORS.has(name)) {
          throw new EmailRejectedError(`SES refused the message (${name}): ${(error as Error).message}`, { cause: error });
        }
        throw error;
      });
    return result.MessageId ?? 'unknown';
  }
}
