import { formatAmount } from './money';
import type { Order } from './order';

export interface RenderedEmail {
  subject: string;
  html: string;
  text: string;
}

const SHOP = 'Otaku-mori';

/** Customer data goes into HTML only through this. */
export function escapeHtml(value: string): string {
  return value.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}

// Subjects and text bodies are plain text: strip line breaks so that no header can be injected.
const oneLine = (value: string) => value.replace(/[\r\n]+/g, ' ').trim();

/** `trustedHtml` is markup built here from escaped values (a link), placed after the table. */
function layout(title: string, paragraphs: string[], rows: [string, string][] = [], trustedHtml = ''): string {
  const table = rows.length
    ? `<table>${rows.map(([k, v]) => `<tr><th align="left">${escapeHtml(k)}</th><td>${escapeHtml(v)}</td></tr>`).join('')}</table>`
    : '';
  return `<!doctype html><html><body style="font-family:sans-serif"><h1>${escapeHtml(title)}</h1>${paragraphs
    .map((p) => `<p>${escapeHtml(p)}</p>`)
    .join('')}${table}${trustedHtml}<p>— ${SHOP}</p></body></html>`;
}

const greeting = (order: Order) => `Hi ${oneLine(order.customerName || order.shippingAddress?.name || 'there')},`;

function itemRows(order: Order): [string, string][] {
  return order.items.map((item) => [
    `${oneLine(item.title ?? item.productId)} × ${item.quantity}`,
    formatAmount(item.unitAmount * item.quantity, order.currency),
  ]);
}

/**
 * Sent once the order is paid, before (or whatever) Printify does with it: it promises nothing
 * about printing (the Printify order may yet fail: fulfillment_failed), only what is true now.
 */
export function orderConfirmationEmail(order: Order, petals: number): RenderedEmail {
  const total = formatAmount(order.amountTotal, order.currency);
  const lines = [
    greeting(order),
    `thank you for your order ${order.orderId}. We have received your payment of ${total}; we will email you when your items ship.`,
    ...(petals > 0 ? [`You earned ${petals} petals with this order.`] : []),
  ];
  const rows: [string, string][] = [...itemRows(order), ['Total', total]];
  return {
    subject: oneLine(`${SHOP}: order ${order.orderId} confirmed`),
    html: layout('Thank you for your order', lines, rows),
    text: [...lines, '', ...rows.map(([k, v]) => `${k}: ${v}`), '', `— ${SHOP}`].join('\n'),
  };
}

export function paymentFailedEmail(order: Order, reason: string): RenderedEmail {
  const lines = [
    greeting(order),
    `your payment for order ${order.orderId} did not go through: ${oneLine(reason)}`,
    'Nothing was charged. You can try again with another payment method from your cart.',
  ];
  return {
    subject: oneLine(`${SHOP}: payment for order ${order.orderId} failed`),
    html: layout('Your payment did not go through', lines),
    text: [...lines, '', `— ${SHOP}`].join('\n'),
  };
}

export function refundEmail(order: Order, amountRefunded: number, petalsDeducted: number): RenderedEmail {
  const refunded = formatAmount(amountRefunded, order.currency);
  const full = amountRefunded >= order.amountTotal;
  const lines = [
    greeting(order),
    full
      ? `your order ${order.orderId} has been fully refunded (${refunded}).`
      : `we have refunded ${refunded} of your order ${order.orderId} so far.`,
    'The money should reach your account within 5–10 business days.',
    ...(petalsDeducted > 0 ? [`${petalsDeducted} petals earned with this order have been deducted.`] : []),
  ];
  return {
    subject: oneLine(`${SHOP}: refund for order ${order.orderId}`),
    html: layout('Your refund', lines),
    text: [...lines, '', `— ${SHOP}`].join('\n'),
  };
}

/**
 * A refund the customer was told of failed or was canceled (Stripe: the bank could not return the
 * money): `refundedBefore` is what they were told, `amountRefunded` what is refunded now (minor
 * units). Petals taken for the failed part come back.
 */
export function refundFailedEmail(order: Order, refundedBefore: number, amountRefunded: number): RenderedEmail {
  const failed = formatAmount(Math.max(0, refundedBefore - amountRefunded), order.currency);
  const lines = [
    greeting(order),
    `a refund of ${failed} for your order ${order.orderId} did not go through: the money was not returned to your account.`,
    amountRefunded > 0
      ? `${formatAmount(amountRefunded, order.currency)} of the order remains refunded.`
      : 'Nothing of the order is refunded now; the petals deducted for the refund have been restored.',
    'Please reply to this email so that we can refund you another way.',
  ];
  return {
    subject: oneLine(`${SHOP}: refund for order ${order.orderId} failed`),
    html: layout('Your refund did not go through', lines),
    text: [...lines, '', `— ${SHOP}`].join('\n'),
  };
}

/** One Printify shipment: what the customer needs to follow the parcel. */
export interface ShipmentNotice {
  carrier: string;
  trackingNumber: string;
  trackingUrl?: string;
}

/** Only http(s) links go into an email: anything else is shown as text, never as a link. */
function safeLink(url: string | undefined): string | undefined {
  if (!url) return undefined;
  try {
    const parsed = new URL(url);
    return parsed.protocol === 'https:' || parsed.protocol === 'http:' ? parsed.toString() : undefined;
  } catch {
    return undefined;
  }
}

export function shippingEmail(order: Order, shipment: ShipmentNotice): RenderedEmail {
  const link = safeLink(shipment.trackingUrl);
  const carrier = oneLine(shipment.carrier || 'the carrier');
  const number = oneLine(shipment.trackingNumber);
  const lines = [greeting(order), `good news: your order ${order.orderId} is on its way with ${carrier}.`, `Tracking number: ${number}`];
  const rows = itemRows(order);
  const track = link ? `<p><a href="${escapeHtml(link)}">Track your parcel</a></p>` : '';
  return {
    subject: oneLine(`${SHOP}: order ${order.orderId} has shipped`),
    html: layout('Your order has shipped', lines, rows, track),
    text: [...lines, ...(link ? [`Track it: ${link}`] : []), '', ...rows.map(([k, v]) => `${k}: ${v}`), '', `— ${SHOP}`].join('\n'),
  };
}
