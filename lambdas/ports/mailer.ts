/** A rendered email to one recipient. */
export interface EmailMessage {
  to: string;
  subject: string;
  html: string;
  text: string;
}

/**
 * Sends email (SES in the cloud, the local SES stand-in here). Returns the provider's message id;
 * throws when the provider did not accept it (the caller releases its outbox claim and retries).
 */
export interface Mailer {
  send(message: EmailMessage): Promise<string>;
}
