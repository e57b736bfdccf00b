import type { EmailOutbox } from '../adapters/email-outbox';
import type { Mailer } from '../adapters/ses-mailer';
import type { OrderRepository } from '../adapters/order-repository';
import { TransientError } from '../domain/errors';
import { orderConfirmationEmail, paymentFailedEmail, refundEmail, shippingEmail, type RenderedEmail } from '../domain/email-templates';
import type { Order } from '../domain/order';
import { petalsForAmount, petalsToDeduct, type PetalRates } from '../domain/petals';

export interface EmailDeps {
  orders: OrderRepository;
  outbox: EmailOutbox;
  mailer: Mailer;
  rates: PetalRates;
}

export type EmailRequest =
  | { template: 'order-confirmation'; orderId: string }
  | { template: 'payment-failed'; orderId: string; eventId: string; reason: string }
  | { template: 'refund'; orderId: string; amountRefunded: number }
  /** one per parcel: a second shipment of the same order is another email */
  | { template: 'shipping'; orderId: string; carrier: string; trackingNumber: string; trackingUrl?: string };

export type EmailOutcome = { outcome: 'sent'; messageId: string } | { outcome: 'already-sent' | 'no-recipient' };

/** Which email this is: the outbox key, so that the same email is never sent twice. */
function emailId(request: EmailRequest): string {
  switch (request.template) {
    case 'order-confirmation':
      return 'order-confirmation';
    case 'payment-failed':
      return `payment-failed#${request.eventId}`;
    case 'refund':
      return `refund#${request.amountRefunded}`;
    case 'shipping':
      return `shipping#${request.trackingNumber}`;
  }
}

function render(request: EmailRequest, order: Order, rates: PetalRates): RenderedEmail {
  switch (request.template) {
    case 'order-confirmation':
      return orderConfirmationEmail(order, order.petalsAwarded ?? petalsForAmount(order.amountTotal, order.currency, rates));
    case 'payment-failed':
      return paymentFailedEmail(order, request.reason);
    case 'refund': {
      const awarded = order.petalsAwarded ?? petalsForAmount(order.amountTotal, order.currency, rates);
      return refundEmail(order, request.amountRefunded, petalsToDeduct(awarded, request.amountRefunded, order.amountTotal));
    }
    case 'shipping':
      return shippingEmail(order, request);
  }
}

/** Claims the email in the outbox, sends it through SES, records it as sent. */
export async function sendOrderEmail(deps: EmailDeps, request: EmailRequest): Promise<EmailOutcome> {
  const order = await deps.orders.require(request.orderId);
  if (!order.email) return { outcome: 'no-recipient' };
  const id = emailId(request);
  const message = { ...render(request, order, deps.rates), to: order.email };
  const claim = await deps.outbox.claim(order.orderId, id, { template: request.template, to: order.email, subject: message.subject });
  if (claim === 'already-sent') return { outcome: 'already-sent' };
  if (claim === 'in-progress') throw new TransientError(`email ${id} for order ${order.orderId} is being sent by another task`);
  try {
    const messageId = await deps.mailer.send(message);
    await deps.outbox.markSent(order.orderId, id, messageId);
    return { outcome: 'sent', messageId };
  } catch (error) {
    await deps.outbox.release(order.orderId, id, error instanceof Error ? error.message : String(error));
    throw error;
  }
}
