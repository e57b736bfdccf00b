/**
 * - `claimed`: this caller may send the email now (and must then markSent or release it).
 * - `already-sent`: it was sent; do nothing.
 * - `in-progress`: another task holds an unexpired claim; retry later.
 */
export type ClaimResult = 'claimed' | 'already-sent' | 'in-progress';

/**
 * The email outbox (pk ORDER#<owner>, sk EMAIL#<emailId>, ids from emailOutboxId in keys.ts):
 * each email is claimed before it is sent, so a retried or duplicated task sends it once. A claim
 * whose sender died is taken over after its lease. Errors thrown are the store failing (retry).
 */
export interface EmailOutboxPort {
  /** Claims the email (a new one, a released one, or one whose lease has run out); `details` are kept on it. */
  claim(ownerId: string, emailId: string, details: Record<string, unknown>): Promise<ClaimResult>;
  /** Records the email as sent by the mailer, with its message id: later claims answer `already-sent`. */
  markSent(ownerId: string, emailId: string, messageId: string): Promise<void>;
  /** Gives a claim back after a failed send (reason kept for the operator), so the next retry may send. */
  release(ownerId: string, emailId: string, reason: string): Promise<void>;
  /**
   * Records that this email can never be sent as it stands (status `undeliverable`, with `details`
   * and `reason`, for the operator), unless it was sent or is being sent. Returns whether this call
   * recorded it (false when already recorded, sent or in progress). An undeliverable email may be
   * claimed again later (after an operator corrects the address).
   */
  markUndeliverable(ownerId: string, emailId: string, details: Record<string, unknown>, reason: string): Promise<boolean>;
}
