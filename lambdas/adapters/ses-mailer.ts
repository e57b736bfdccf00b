import { SESClient, SendEmailCommand } from '@aws-sdk/client-ses';
import type { EmailMessage, Mailer } from '../ports/mailer';

export type { EmailMessage, Mailer };

/** Amazon SES (v1 SendEmail). The endpoint comes from AWS_ENDPOINT_URL_SES when set. */
export class SesMailer implements Mailer {
  constructor(
    private readonly from: string,
    private readonly client = new SESClient({}),
  ) {}

  async send(message: EmailMessage): Promise<string> {
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
