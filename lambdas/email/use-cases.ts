import { SesSlotMissedError, TransientError } from '../domain/errors';
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
import { slotMessage, type QuotaPace } from '../domain/rate-slots';
import type { Signal } from '../domain/signals';
import type { EmailOutboxPort } from '../ports/email-outbox';
import type { Mailer } from '../ports/mailer';
import type { OrdersPort } from '../ports/orders';
import { MAX_IN_TASK_WAIT_MS, reserveSlot, SlotGate, waitForSlotWithin, type PacingDeps } from '../shared/pacing';

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

/** Whether the order's payment is held, or was (an operator refunded it): its refunds are the held payment's. */
const isHeldPayment = (order: Order) => order.status === 'payment_mismatch' || order.holdResolution?.action === 'refunded';

/**
 * Sends one customer email at most once: claims it in the outbox (its id from emailOutboxId),
 * sends it through the mailer, records it as sent. The recipient is the order's address checked
 * and put in SES's form by toSendableAddress (one mailbox, its domain in punycode).
 *
 * - `sent` with the mailer's message id; `already-sent` when an earlier call sent it;
 *   `no-recipient` when the order has no email address (nothing to do); `nothing-to-tell` for a
 *   refund email of nothing refunded, a refund-failed email of a refund never told, or either
 *   for a held payment (payment_mismatch, or one an operator refunded);
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
  // a held payment (payment_mismatch) that an operator refunded, or whose refund failed: the order
  // was never confirmed, and the money was the held payment's, in its own amount and currency, not
  // the order's that these emails state; Stripe's refund receipt is the customer's notice
  if ((request.template === 'refund' || request.template === 'refund-failed') && isHeldPayment(order))
    return { outcome: 'nothing-to-tell', signals: [] };
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
 * sendOrderEmail inside SES's sending rate (the shared `ses` quota): the SES call takes a slot
 * through a SlotGate (an email already sent, or not sendable, spends none).
 *
 * - With `notBefore` (ISO: the slot the fulfilment workflow reserved and waited for in a Wait
 *   state) it sleeps the sub-second rest. A task that starts later than the quota's late tolerance
 *   after its slot, or that SES throttles (the shared quota is then pushed back a window, so that
 *   every sender waits it out), sends nothing: it reserves a fresh slot and throws SesSlotMissed
 *   carrying it, and the workflow waits for it in its Wait state and runs the task again.
 * - Without (refund and payment-failed emails, the shipping email) it reserves its own slot when one
 *   is free within MAX_IN_TASK_WAIT_MS and sleeps until it; otherwise throws TransientError
 *   (nothing sent, nothing reserved: the workflow retries it with backoff; the Printify webhook
 *   answers 5xx and Printify delivers again). Throttled, it pushes the quota back and takes a fresh
 *   slot the same way (three sends at most), then rethrows (transient: retried).
 * The outbox still sends each email once.
 */
export async function pacedOrderEmail(
  deps: EmailDeps & PacingDeps & { quota: QuotaPace },
  request: EmailRequest,
  notBefore?: string,
): Promise<EmailOutcome> {
  const now = () => (deps.now ?? (() => new Date()))();
  let gate = notBefore ? new SlotGate(deps, deps.quota, { at: notBefore, n: 1 }) : undefined;
  if (gate && (await gate.startedLate())) {
    // late from the start: a fresh slot before any read (one write in all)
    const slot = await reserveSlot(deps, deps.quota, 1);
    throw new SesSlotMissedError(slotMessage(slot, `email for order ${request.orderId} not sent, ${gate.missed!.reason}`));
  }
  for (let attempt = 1; ; attempt++) {
    if (!gate) {
      const at = await waitForSlotWithin(deps, deps.quota, 1, 0);
      if (!at) {
        throw new TransientError(
          `SES quota booked more than ${MAX_IN_TASK_WAIT_MS} ms ahead: email for order ${request.orderId} retried later`,
        );
      }
      gate = new SlotGate(deps, deps.quota, { at: at.toISOString(), n: 1 });
    }
    const current = gate;
    const mailer: Mailer = {
      send: async (message) => {
        await current.take('SendEmail');
        return deps.mailer.send(message);
      },
    };
    try {
      return await sendOrderEmail({ ...deps, mailer }, request);
    } catch (error) {
      const throttled = isThrottling(error);
      // SES counts a second: every sender waits one window
      if (throttled) await deps.rateSlots.pushBack(deps.quota.name, new Date(now().getTime() + deps.quota.windowMs));
      if (notBefore && (current.missed || throttled)) {
        const slot = await reserveSlot(deps, deps.quota, 1);
        const why = current.missed?.reason ?? 'SES throttled it';
        throw new SesSlotMissedError(slotMessage(slot, `email for order ${request.orderId} not sent, ${why}`));
      }
      if (!(current.missed || throttled) || attempt >= 3) throw error;
      gate = undefined;
    }
  }
}
