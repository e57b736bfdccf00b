// The "send a test event" form: every scenario `npm run trigger` offers, with the same options.
import { HANDLED_EVENT_TYPES } from '../../../lambdas/domain/stripe-events';
import { SCENARIOS } from '../../../scripts/lib/trigger-scenarios';
import { html, type Html } from '../html';
import { page, type Flash } from '../layout';

const CHECKS: [string, string][] = [
  ['unmapped', 'a product without a Printify mapping'],
  ['unpaid', 'unpaid session (delayed payment)'],
  ['ship', 'then ship it at Printify'],
  ['deliver', 'then ship and deliver it'],
];

/** The form alone (the events page shows it too). `order` prefills the order to continue. */
export function sendForm(order = ''): Html {
  return html`<form class="send" id="send-event" method="post" action="/actions/trigger">
  <label>Event type <select name="type">${HANDLED_EVENT_TYPES.map((t) => html`<option title="${SCENARIOS[t].describe}">${t}</option>`)}</select></label>
  <label>Existing order (optional) <input name="order" value="${order}" placeholder="ord_… (default: a new pending order)"></label>
  <label>Amount, minor units (optional) <input name="amount" inputmode="numeric" size="8"></label>
  <label>User (invoice) <input name="user" size="12" placeholder="user_…"></label>
  ${CHECKS.map(([name, label]) => html`<label class="check"><input type="checkbox" name="${name}" value="1"> ${label}</label>`)}
  <button type="submit">Send</button>
</form>`;
}

/** The whole page. */
export function sendPage(params: URLSearchParams, flash: Flash): Html {
  return page(
    'Send a test event',
    '/send',
    html`<p class="muted">Sets the scene as the storefront would (a pending order, its cart and product mappings), then sends a
signed Stripe event to the webhook and waits for its execution: the same scenarios as <code>npm run trigger</code>.</p>
${sendForm(params.get('order') ?? '')}`,
    flash,
  );
}
