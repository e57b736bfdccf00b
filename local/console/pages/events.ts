// The events page (the console's home): the Stripe event inbox, newest first, refreshed by htmx.
import type { ConsoleContext } from '../context';
import { html, query, time, type Html } from '../html';
import { reconcileCommand } from '../actions';
import { actionForm, badge, page, type Flash } from '../layout';
import { listInbox } from '../reads';

/** The table's rows alone: what htmx fetches every two seconds. */
export async function eventRows(context: ConsoleContext): Promise<Html> {
  const events = await listInbox(context.db, context.tableName, context.stepFunctions);
  if (events.length === 0)
    return html`<tr><td colspan="7" class="muted">No events yet: send a test event, or point <code>stripe listen</code> at the webhook.</td></tr>`;
  return html`${events.map((e) => {
    const newest = e.executionArns[e.executionArns.length - 1];
    return html`<tr data-event="${e.eventId}">
  <td>${newest ? html`<a class="mono" href="/executions/view${query({ arn: newest })}">${e.eventId}</a>` : html`<span class="mono">${e.eventId}</span>`}</td>
  <td>${e.type}</td>
  <td>${e.orderId ? html`<a class="mono" href="/orders/${encodeURIComponent(e.orderId)}">${e.orderId}</a>` : html`<span class="muted">—</span>`}</td>
  <td>${time(e.receivedAt)}</td>
  <td>${badge(e.outcome === 'started' ? 'started' : 'not started')}${e.executionArns.length > 1 ? html` <span class="muted">${e.executionArns.length - 1} replay(s)</span>` : ''}</td>
  <td class="execution-status">${badge(e.executionStatus)}</td>
  <td>${e.workflow}</td>
</tr>`;
  })}`;
}

/** The whole page. */
export async function eventsPage(context: ConsoleContext, flash: Flash): Promise<Html> {
  return page(
    'Events',
    '/',
    html`<p class="muted">Every Stripe event the webhook accepted (the inbox), newest first. Updates live.</p>
<div class="actions" id="reconcile">${
      reconcileCommand()
        ? actionForm(
            '/actions/reconcile',
            'Reconcile: finish every unfinished event',
            {},
            html`<label class="muted"><input type="checkbox" name="dryRun" value="1"> dry run</label> `,
          )
        : html`<p class="muted">Reconcile is not offered: <code>npm run ops</code> has no <code>reconcile</code> command in this checkout.</p>`
    }</div>
<table id="events">
<thead><tr><th>Event</th><th>Type</th><th>Order</th><th>Received</th><th>Outcome</th><th>Execution</th><th>Workflow</th></tr></thead>
<tbody hx-get="/events/rows" hx-trigger="every 2s" hx-swap="innerHTML">${await eventRows(context)}</tbody>
</table>`,
    flash,
  );
}
