// The orders: a list, and one order with everything that happened to it. The order's report is
// the one `npm run ops -- order` prints (scripts/ops/commands.ts: ledger, outbox, events and every
// execution); the emails as sent (local SES) and the Printify order (the stand-in) are added here.
import type { Order } from '../../../lambdas/domain/order';
import { orderReport } from '../../../scripts/ops/commands';
import { RETRYABLE_STATUSES } from '../../../scripts/lib/retry-mapping';
import type { ConsoleContext } from '../context';
import { duration, html, money, query, time, type Html } from '../html';
import { actionForm, badge, page, type Flash } from '../layout';
import { emailsAbout, listOrders, printifyView } from '../reads';

type Item = Record<string, unknown>;

/** The list of orders, newest first. */
export async function ordersPage(context: ConsoleContext, flash: Flash): Promise<Html> {
  const orders = await listOrders(context.db, context.tableName);
  return page(
    'Orders',
    '/orders',
    html`<table id="orders">
<thead><tr><th>Order</th><th>Status</th><th>Amount</th><th>Customer</th><th>Items</th><th>Created</th><th>Updated</th></tr></thead>
<tbody>${
      orders.length === 0
        ? html`<tr><td colspan="7" class="muted">No orders yet.</td></tr>`
        : orders.map(
            (o) => html`<tr data-order="${o.orderId}">
  <td><a class="mono" href="/orders/${encodeURIComponent(o.orderId)}">${o.orderId}</a></td>
  <td>${badge(o.status)}</td>
  <td class="num">${money(o.amountTotal, o.currency)}</td>
  <td>${o.email ?? ''} <span class="muted mono">${o.userId}</span></td>
  <td class="num">${o.items?.reduce((n, i) => n + i.quantity, 0) ?? 0}</td>
  <td>${time(o.createdAt)}</td>
  <td>${time(o.updatedAt)}</td>
</tr>`,
          )
    }</tbody>
</table>`,
    flash,
  );
}

// The moments an order records, in the order they happen: its status history as far as the item keeps it.
const MILESTONES: [string, string][] = [
  ['createdAt', 'created (pending)'],
  ['paidAt', 'paid'],
  ['printifyAttemptedAt', 'Printify order first attempted'],
  ['printifySentToProductionAt', 'sent to production (Printify)'],
  ['shippedAt', 'shipped'],
  ['deliveredAt', 'delivered'],
  ['printifyStatusAt', 'Printify status'],
  ['updatedAt', 'last change'],
];

function address(order: Item): Html {
  const a = order.shippingAddress as Record<string, unknown> | undefined;
  if (!a) return html`<span class="muted">none yet (Checkout records it)</span>`;
  return html`<address>${Object.entries(a)
    .filter(([, v]) => v !== undefined && v !== null && v !== '')
    .map(([k, v]) => html`<span class="muted">${k}</span> ${typeof v === 'object' ? JSON.stringify(v) : String(v)}<br>`)}</address>`;
}

/** One order: facts, items, address, Printify, petals, emails and executions. Throws OpsError for an unknown order. */
export async function orderPage(context: ConsoleContext, orderId: string, flash: Flash): Promise<Html> {
  const report = await orderReport(context.target, orderId);
  const order = report.order as Item & Order;
  const emails = await emailsAbout(context.ses, orderId);
  const printify = printifyView(context.printify, order);
  const currency = order.currency;
  const retryable = RETRYABLE_STATUSES.includes(order.status);
  return page(
    `Order ${orderId}`,
    '/orders',
    html`<div class="actions">
  ${retryable ? actionForm('/actions/retry-mapping', 'Retry the Printify order (retry mapping)', { orderId }) : ''}
  <a href="/executions${query({ order: orderId })}">its executions</a>
</div>
<div class="columns">
<section>
<dl class="facts" id="order-facts">
  <dt>Status</dt><dd id="order-status">${badge(order.status)}</dd>
  <dt>Customer</dt><dd>${order.email ?? ''} ${order.customerName ?? ''} <span class="mono muted">${order.userId}</span></dd>
  <dt>Total</dt><dd>${money(order.amountTotal, currency)}</dd>
  ${order.amountRefunded ? html`<dt>Refunded</dt><dd>${money(order.amountRefunded, currency)}</dd>` : ''}
  ${(
    [
      'paymentIntentId',
      'stripeSessionId',
      'paidByEventId',
      'missingMappings',
      'failureReason',
      'disputeId',
      'disputeStatus',
      'petalsAwarded',
      'petalsDeducted',
    ] as const
  )
    .filter((k) => order[k] !== undefined && order[k] !== null)
    .map((k) => html`<dt>${k}</dt><dd class="mono">${Array.isArray(order[k]) ? (order[k] as string[]).join(', ') : String(order[k])}</dd>`)}
  <dt>Ship to</dt><dd>${address(order)}</dd>
</dl>
<h2>Items</h2>
<table id="items"><thead><tr><th>Product</th><th>Variant</th><th>Qty</th><th>Unit</th><th>Line</th></tr></thead>
<tbody>${(order.items ?? []).map(
      (i) =>
        html`<tr><td>${i.title ?? ''} <span class="mono muted">${i.productId}</span></td><td>${i.variantId}</td><td class="num">${i.quantity}</td><td class="num">${money(i.unitAmount, currency)}</td><td class="num">${money(i.unitAmount * i.quantity, currency)}</td></tr>`,
    )}</tbody></table>
<h2>Status history</h2>
<table id="history"><tbody>${MILESTONES.filter(([k]) => order[k]).map(
      ([k, label]) =>
        html`<tr><td>${time(order[k] as string)}</td><td>${label}${k === 'printifyStatusAt' ? html`: ${String(order.printifyStatus ?? '')}` : ''}</td></tr>`,
    )}</tbody></table>
</section>
<section>
<h2>Printify</h2>
<dl class="facts" id="printify">
  <dt>Printify order</dt><dd class="mono">${order.printifyOrderId ?? html`<span class="muted">none</span>`}${printify.printifyOrder ? html` (${printify.printifyOrder.status} at the stand-in)` : ''}</dd>
  ${(['printifyStatus', 'carrier', 'trackingNumber', 'trackingUrl'] as const)
    .filter((k) => order[k as keyof typeof order] !== undefined)
    .map((k) => html`<dt>${k}</dt><dd class="mono">${String(order[k as keyof typeof order])}</dd>`)}
</dl>
<table id="printify-webhooks"><thead><tr><th>Printify webhook event</th><th>Topic</th><th>Our answer</th></tr></thead>
<tbody>${
      printify.deliveries.length
        ? printify.deliveries.map(
            (d) =>
              html`<tr><td class="mono">${d.eventId}</td><td>${d.topic}</td><td>${d.status} <span class="mono muted">${d.body.slice(0, 120)}</span></td></tr>`,
          )
        : html`<tr><td colspan="3" class="muted">none</td></tr>`
    }</tbody></table>
<h2>Petals</h2>
<p>Balance of ${order.userId}: <strong id="petal-balance">${report.petalBalance ?? 0}</strong></p>
<table id="ledger"><thead><tr><th>Entry</th><th>Amount</th><th>Reason</th><th>When</th></tr></thead>
<tbody>${
      report.ledger.length
        ? report.ledger.map(
            (e) =>
              html`<tr><td class="mono">${String(e.sk).replace(/^LEDGER#/, '')}</td><td class="num">${String(e.amount)}</td><td>${String(e.reason ?? '')}</td><td>${time(e.createdAt as string)}</td></tr>`,
          )
        : html`<tr><td colspan="4" class="muted">no entries for this order</td></tr>`
    }</tbody></table>
</section>
</div>
<h2>Executions</h2>
<table id="order-executions"><thead><tr><th>Execution</th><th>Event type</th><th>Workflow</th><th>Status</th><th>Started</th><th>Took</th><th></th></tr></thead>
<tbody>${
      report.executions.length
        ? report.executions.map(
            (e) => html`<tr data-execution="${e.name}">
  <td><a class="mono" href="/executions/view${query({ arn: e.executionArn })}">${e.name}</a></td>
  <td>${e.eventType ?? ''}</td><td>${e.workflow}</td><td>${badge(e.status)}</td><td>${time(e.startDate)}</td><td class="num">${duration(e.durationMs)}</td>
  <td>${e.eventId ? actionForm('/actions/replay', 'Replay', { eventId: e.eventId }) : ''}</td>
</tr>`,
          )
        : html`<tr><td colspan="7" class="muted">none</td></tr>`
    }</tbody></table>
<h2>Emails</h2>
<p class="muted">Outbox: ${report.emails.map((e) => html`<span class="mono">${String(e.sk).replace(/^EMAIL#/, '')}</span> ${badge(String(e.status ?? ''))} `)}${report.emails.length ? '' : 'nothing claimed'}</p>
<div id="emails">${
      emails.length
        ? emails.map(
            (
              m,
            ) => html`<article class="email-message"><h3>${m.subject}</h3><p class="muted">to ${m.to.join(', ')} · from ${m.from} · ${time(m.at)}</p>
<iframe class="email" sandbox="" title="${m.subject}" srcdoc="${m.html ?? html`<pre>${m.text ?? ''}</pre>`.text}"></iframe></article>`,
          )
        : html`<p class="muted">No email sent about this order (local SES).</p>`
    }</div>`,
    flash,
  );
}
