import { TransientError } from '../domain/errors';
import {
  orderConfirmationEmail,
  paymentFailedEmail,
  refundEmail,
  refundFailedEmail,
  shippingEmail,
  type RenderedEmail,
} from '../domain/email-templates';
import { toSendableAddress } from '../domain/email-address';
import { emailOutboxId } from '../domain/keys';
import type { Order } from '../domain/order';
import { petalsForAmount, petalsToDeduct, type PetalRates } from '../domain/petals';
import type { QuotaPace } from '../domain/rate-slots';
import type { Signal } from '../domain/signals';
import type { EmailOutboxPort } from '../ports/email-outbox';
import type { Mailer } from '../ports/mailer';
import type { OrdersPort } from '../ports/orders';
import { MAX_IN_TASK_WAIT_MS, sleepUntil, waitForSlotWithin, type PacingDeps } from '../shared/pacing';

/** What sendOrderEmail depends on: the order (recipient and content), the outbox, the mailer, the petal rates. */
export interface EmailDeps {
  orders: Pick<OrdersPort, 'require'>;
  outbox: EmailOutboxPort;
  mailer: Mailer;
  rates: PetalRates;
}

export type EmailRequest =
  | { template: 'order-confirmation'; orderId: string }
  | { template: 'payment-failed'; orderId: string; eventId: string; reason: string }
  /** `emailKey` (from recordRefund) tells apart a refund of the same amount made again after one failed */
  | { template: 'refund'; orderId: string; amountRefunded: number; emailKey?: string | undefined }
  /** a counted refund failed: `refundedBefore` is what the customer was told, `amountRefunded` what is refunded now (minor units) */
  | { template: 'refund-failed'; orderId: string; amountRefunded: number; refundedBefore: number; emailKey: string }
  /** one per parcel: a second shipment of the same order is another email */
  | { template: 'shipping'; orderId: string; carrier: string; trackingNumber: string; trackingUrl?: string };

/**
 * What sendOrderEmail did; `signals` has email-sent when this call sent it, email-undeliverable
 * when this call recorded the address as one that can never be sent to.
 */
export type EmailOutcome = (
  | { outcome: 'sent'; messageId: string }
  | { outcome: 'already-sent' | 'no-recipient' | 'nothing-to-tell' }
  | { outcome: 'undeliverable'; reason: string }
) & { signals: Signal[] };

function render(request: EmailRequest, order: Order, rates: PetalRates): RenderedEmail {
  switch (request.template) {
    case 'order-confirmation':
      return orderConfirmationEmail(order, order.petalsAwarded ?? petalsForAmount(order.amountTotal, order.currency, rates));
    case 'payment-failed':
      return paymentFailedEmail(order, request.reason);
    case 'refund': {
      const awarded = order.petalsAwarded ?? petalsForAmount(order.amountTotal, order.currency, rates);
      // petals go by the refunded fraction of the charge (recordRefund keeps it), else of the order
      const ofCharge = order.refundedOfCharge;
      const deducted = ofCharge
        ? petalsToDeduct(awarded, ofCharge.amount, ofCharge.of)
        : petalsToDeduct(awarded, request.amountRefunded, order.amountTotal);
      return refundEmail(order, request.amountRefunded, deducted);
    }
    case 'refund-failed':
      return refundFailedEmail(order, request.refundedBefore, request.amountRefunded);
    case 'shipping':
      return shippingEmail(order, request);
  }
}

/**
 * Sends one customer email at most once: claims it in the outbox (its id from emailOutboxId),
 * sends it through the mailer, records it as sent. The recipient is the order's address checked
 * and put in SES's form by toSendableAddress (one mailbox, its domain in punycode).
 *
 * - `sent` with the mailer's message id; `already-sent` when an earlier call sent it;
 *   `no-recipient` when the order has no email address (nothing to do); `nothing-to-tell` for a
 *   refund email of nothing refunded, or a refund-failed email of a refund never told;
 *   `undeliverable` when the address can never be sent to (a list, a display name, a line break,
 *   not an address): recorded on the outbox item as a permanent failure, nothing sent, and not an
 *   error, so that the workflow's other steps (the Printify order) are never held up by it.
 * - Throws TransientError while another task holds the claim (retry later), the mailer's error
 *   after giving the claim back (retry), OrderNotFoundError for an unknown order.
 */
export async function sendOrderEmail(deps: EmailDeps, request: EmailRequest): Promise<EmailOutcome> {
  const order = await deps.orders.require(request.orderId);
  if (!order.email) return { outcome: 'no-recipient', signals: [] };
  if (request.template === 'refund' && request.amountRefunded <= 0) return { outcome: 'nothing-to-tell', signals: [] };
  if (request.template === 'refund-failed' && request.refundedBefore <= request.amountRefunded)
    return { outcome: 'nothing-to-tell', signals: [] };
  const id = emailOutboxId(request);
  const recipient = toSendableAddress(order.email);
  if (!recipient.ok) {
    const recorded = await deps.outbox.markUndeliverable(
      order.orderId,
      id,
      { template: request.template, to: order.email.slice(0, 1000) },
      `recipient ${recipient.reason}`,
    );
    return { outcome: 'undeliverable', reason: recipient.reason, signals: recorded ? [{ kind: 'email-undeliverable' }] : [] };
  }
  const message = { ...render(request, order, deps.rates), to: recipient.address };
  const claim = await deps.outbox.claim(order.orderId, id, { template: request.template, to: recipient.address, subject: message.subject });
  if (claim === 'already-sent') return { outcome: 'already-sent', signals: [] };
  if (claim === 'in-progress') throw new TransientError(`email ${id} for order ${order.orderId} is being sent by another task`);
  try {
    const messageId = await deps.mailer.send(message);
    await deps.outbox.markSent(order.orderId, id, messageId);
    return { outcome: 'sent', messageId, signals: [{ kind: 'email-sent' }] };
  } catch (error) {
    await deps.outbox.release(order.orderId, id, error instanceof Error ? error.message : String(error));
    throw error;
  }
}

/** SES's refusal for the sending rate (v1 `Throttling`, v2 `TooManyRequestsException`). */
const isThrottling = (error: unknown) =>
  error instanceof Error &&
  (error.name === 'Throttling' || error.name === 'TooManyRequestsException' || /maximum sending rate/i.test(error.message));

/**
 * sendOrderEmail inside SES's sending rate (the shared `ses` quota).
 *
 * - With `notBefore` (ISO: the slot the fulfilment workflow reserved and waited for in a Wait
 *   state) it sleeps the sub-second rest (a task that starts late sends at once).
 * - Without (refund and payment-failed emails, the shipping email) it reserves its own slot when one
 *   is free within MAX_IN_TASK_WAIT_MS and sleeps until it; otherwise throws TransientError
 *   (nothing sent, nothing reserved: the workflow retries it with backoff; the Printify webhook
 *   answers 5xx and Printify delivers again).
 * - SES's own `Throttling` pushes the shared quota back a window (every sender waits it out) and the
 *   email is sent again after that window, in the task (twice at most), then rethrown as it came
 *   (transient: retried). The outbox still sends each email once.
 */
export async function pacedOrderEmail(
  deps: EmailDeps & PacingDeps & { quota: QuotaPace },
  request: EmailRequest,
  notBefore?: string,
): Promise<EmailOutcome> {
  const now = () => (deps.now ?? (() => new Date()))();
  if (notBefore) await sleepUntil(deps, notBefore);
  else if (!(await waitForSlotWithin(deps, deps.quota, 1, 0))) {
    throw new TransientError(
      `SES quota booked more than ${MAX_IN_TASK_WAIT_MS} ms ahead: email for order ${request.orderId} retried later`,
    );
  }
  for (let attempt = 1; ; attempt++) {
    try {
      return await sendOrderEmail(deps, request);
    } catch (error) {
      if (!isThrottling(error) || attempt >= 3) throw error;
      // SES counts a second: wait one window (and make every other sender wait it too), send again
      await deps.rateSlots.pushBack(deps.quota.name, new Date(now().getTime() + deps.quota.windowMs));
      await (deps.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))))(deps.quota.windowMs);
    }
  }
}
