// The page frame shared by every console page: navigation, the notice an action leaves, styles and
// htmx (both served by the console itself: it works offline).
import { html, type Html, type Renderable } from './html';

/** What an action reports back on the page it redirects to (`?notice=…` or `?error=…`). */
export interface Flash {
  notice?: string;
  error?: string;
}

const NAV = [
  ['/', 'Events'],
  ['/executions', 'Executions'],
  ['/orders', 'Orders'],
  ['/send', 'Send a test event'],
] as const;

/** A whole page. `active` is the path of the navigation entry to highlight. */
export function page(title: string, active: string, body: Renderable, flash: Flash = {}): Html {
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title} · Otaku-mori console</title>
<link rel="stylesheet" href="/assets/console.css">
<script src="/assets/htmx.min.js"></script>
</head>
<body>
<header>
  <a class="brand" href="/">Otaku-mori <span>local console</span></a>
  <nav>${NAV.map(([href, label]) => html`<a href="${href}"${active === href ? html` aria-current="page"` : ''}>${label}</a>`)}</nav>
</header>
<main>
${flash.notice ? html`<p class="flash notice" role="status">${flash.notice}</p>` : ''}
${flash.error ? html`<p class="flash error" role="alert">${flash.error}</p>` : ''}
<h1>${title}</h1>
${body}
</main>
</body>
</html>`;
}

/** A status word as a coloured badge (execution statuses, order statuses, step outcomes). */
export function badge(status: string | undefined): Html {
  if (!status) return html`<span class="badge none">—</span>`;
  return html`<span class="badge status-${status.toLowerCase().replace(/[^a-z0-9]+/g, '-')}">${status}</span>`;
}

/** A POST form with one button: the console's actions. `fields` become hidden inputs. */
export function actionForm(action: string, label: string, fields: Record<string, string>, extra: Renderable = ''): Html {
  return html`<form class="action" method="post" action="${action}">${Object.entries(fields).map(
    ([name, value]) => html`<input type="hidden" name="${name}" value="${value}">`,
  )}${extra}<button type="submit">${label}</button></form>`;
}
