import type { ClaimResult, EmailOutboxPort } from '../../../lambdas/ports/email-outbox';
import type { EmailMessage, Mailer } from '../../../lambdas/ports/mailer';

interface OutboxItem {
  status: 'sending' | 'sent' | 'failed' | 'undeliverable';
  leaseUntil?: string;
  messageId?: string;
  lastError?: string;
  details: Record<string, unknown>;
}

/** The email outbox in memory: claims with a lease (default 60 s on the given clock), as the DynamoDB one. */
export class MemoryEmailOutbox implements EmailOutboxPort {
  readonly items = new Map<string, OutboxItem>();

  constructor(
    private readonly now: () => Date = () => new Date(),
    private readonly leaseMs = 60_000,
  ) {}

  async claim(ownerId: string, emailId: string, details: Record<string, unknown>): Promise<ClaimResult> {
    const now = this.now();
    const current = this.items.get(`${ownerId}#${emailId}`);
    const free =
      !current ||
      current.status === 'failed' ||
      current.status === 'undeliverable' ||
      (current.status === 'sending' && current.leaseUntil! < now.toISOString());
    if (!free) return current.status === 'sent' ? 'already-sent' : 'in-progress';
    this.items.set(`${ownerId}#${emailId}`, {
      status: 'sending',
      leaseUntil: new Date(now.getTime() + this.leaseMs).toISOString(),
      details,
    });
    return 'claimed';
  }

  async markSent(ownerId: string, emailId: string, messageId: string): Promise<void> {
    const current = this.items.get(`${ownerId}#${emailId}`);
    this.items.set(`${ownerId}#${emailId}`, { details: current?.details ?? {}, status: 'sent', messageId });
  }

  async markUndeliverable(ownerId: string, emailId: string, details: Record<string, unknown>, reason: string): Promise<boolean> {
    const current = this.items.get(`${ownerId}#${emailId}`);
    if (current && current.status !== 'failed') return false;
    this.items.set(`${ownerId}#${emailId}`, { details, status: 'undeliverable', lastError: reason.slice(0, 1000) });
    return true;
  }

  async release(ownerId: string, emailId: string, reason: string): Promise<void> {
    const current = this.items.get(`${ownerId}#${emailId}`);
    if (current?.status !== 'sending') return;
    this.items.set(`${ownerId}#${emailId}`, { details: current.details, status: 'failed', lastError: reason.slice(0, 1000) });
  }
}

/** A mailer that keeps what it sent; `failures` are thrown, one per send, before anything is sent. */
export class MemoryMailer implements Mailer {
  readonly sent: (EmailMessage & { messageId: string })[] = [];
  readonly failures: Error[] = [];

  async send(message: EmailMessage): Promise<string> {
    const failure = this.failures.shift();
    if (failure) throw failure;
    const messageId = `msg_${this.sent.length + 1}`;
    this.sent.push({ ...message, messageId });
    return messageId;
  }
}
