import { SESClient, SendEmailCommand } from '@aws-sdk/client-ses';
import { EmailRejectedError } from '../domain/errors';
import type { EmailMessage, Mailer } from '../ports/mailer';

export type { EmailMessage, Mailer };

/**
 * SES SendEmail errors that the same email will meet again however often it is retried (the SES
 * API reference, SendEmail, "Errors"): the message or recipient refused, the MAIL FROM domain not
 * verified, sending paused for the account or the configuration set.
 */
export const SES_PERMANENT_ERRORS: readonly string[] = [
  'MessageRejected',
  'MailFromDomainNotVerifiedException',
  'AccountSendingPausedException',
  'ConfigurationSetSendingPausedException',
];

/** Amazon SES (v1 SendEmail). The endpoint comes from AWS_ENDPOINT_URL_SES when set. */
export class SesMailer implements Mailer {
  constructor(
    private readonly from: string,
    private readonly client = new SESClient({}),
  ) {}

  /**
   * Sends one email; returns SES's MessageId. Throws EmailRejectedError (not retryable) for the
   * refusals SES lists as permanent for SendEmail (SES_PERMANENT_ERRORS); any other error (a
   * throttle, a network error) as it is, for the caller to retry.
   */
  async send(message: EmailMessage): Promise<string> {
    try {
      return await this.sendOnce(message);
    } catch (error) {
      if (error instanceof Error && SES_PERMANENT_ERRORS.includes(error.name)) {
        throw new EmailRejectedError(`SES refused the email: ${error.name}: ${error.message}`, { cause: error });
      }
      throw error;
    }
  }

  private async sendOnce(message: EmailMessage): Promise<string> {
    const result = await this.client.send(
      new SendEmailCommand({
        Source: this.from,
        Destination: { ToAddresses: [message.to] },
        Message: {
          Subject: { Data: message.subject, Charset: 'UTF-8' },
          Body: { Html: { Data: message.html, Charset: 'UTF-8' }, Text: { Data: message.text, Charset: 'UTF-8' } },
        },
      }),
    );
    return result.MessageId ?? 'unknown';
  }
}
