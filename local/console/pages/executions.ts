// The executions page: every execution of every workflow, filtered by status, workflow and order.
import { WORKFLOWS } from '../../../lambdas/domain/stripe-events';
import type { ConsoleContext } from '../context';
import { workflowOf } from '../context';
import { duration, html, query, time, type Html } from '../html';
import { badge, page, type Flash } from '../layout';
import { listExecutionRows, type ExecutionFilter } from '../reads';

const STATUSES = ['RUNNING', 'SUCCEEDED', 'FAILED', 'TIMED_OUT', 'ABORTED'] as const;

/** The filter from the query string (unknown values are ignored, not errors: it is a filter). */
export function executionFilter(params: URLSearchParams): ExecutionFilter {
  const status = params.get('status') ?? '';
  const workflow = params.get('workflow') ?? '';
  const order = (params.get('order') ?? '').trim();
  return {
    ...((STATUSES as readonly string[]).includes(status) ? { status } : {}),
    ...((WORKFLOWS as readonly string[]).includes(workflow) ? { workflow } : {}),
    ...(order ? { order } : {}),
  };
}

/** The table's rows alone, for htmx's polling. */
export function executionRows(context: ConsoleContext, filter: ExecutionFilter): Html {
  const rows = listExecutionRows(context.stepFunctions, (arn) => workflowOf(context, arn), filter);
  if (rows.length === 0) return html`<tr><td colspan="7" class="muted">No executions match.</td></tr>`;
  return html`${rows.map(
    (e) => html`<tr data-execution="${e.name}">
  <td><a class="mono" href="/executions/view${query({ arn: e.executionArn })}">${e.name}</a></td>
  <td>${e.eventType ?? ''}</td>
  <td>${e.workflow}</td>
  <td>${badge(e.status)}${e.redriveCount ? html` <span class="muted">redriven ${e.redriveCount}×</span>` : ''}</td>
  <td>${e.orderId ? html`<a class="mono" href="/orders/${encodeURIComponent(e.orderId)}">${e.orderId}</a>` : ''}</td>
  <td>${time(e.startDate)}</td>
  <td class="num">${duration(e.stopDate ? e.stopDate.getTime() - e.startDate.getTime() : undefined)}</td>
</tr>`,
  )}`;
}

const select = (name: string, values: readonly string[], selected: string | undefined) =>
  html`<select name="${name}"><option value="">any</option>${values.map((v) => html`<option${v === selected ? html` selected` : ''}>${v}</option>`)}</select>`;

/** The whole page. */
export function executionsPage(context: ConsoleContext, filter: ExecutionFilter, flash: Flash): Html {
  const rowsUrl = `/executions/rows${query({ status: filter.status, workflow: filter.workflow, order: filter.order })}`;
  return page(
    'Executions',
    '/executions',
    html`<form class="filters" method="get" action="/executions">
  <label>Status ${select('status', STATUSES, filter.status)}</label>
  <label>Workflow ${select('workflow', WORKFLOWS, filter.workflow)}</label>
  <label>Order <input name="order" value="${filter.order ?? ''}" placeholder="ord_…"></label>
  <button type="submit">Filter</button>
</form>
<table id="executions">
<thead><tr><th>Execution (event id)</th><th>Event type</th><th>Workflow</th><th>Status</th><th>Order</th><th>Started</th><th>Took</th></tr></thead>
<tbody hx-get="${rowsUrl}" hx-trigger="every 2s" hx-swap="innerHTML">${executionRows(context, filter)}</tbody>
</table>`,
    flash,
  );
}
