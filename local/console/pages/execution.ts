// One execution: its state machine drawn from the ASL definition the local stack runs, each state
// coloured by what happened to it, and the state-by-state timeline the ops command prints (the
// same scripts/ops code reads it), with each state's input, output, error, attempts and timing.
import { DescribeStateMachineCommand } from '@aws-sdk/client-sfn';
import { executionReport, type ExecutionReport } from '../../../scripts/ops/commands';
import type { Step } from '../../../scripts/ops/timeline';
import { eventIdOf, workflowOf, type ConsoleContext } from '../context';
import { layoutDefinition, renderGraph, type AslDefinition, type LaidOutGraph, type StateOutcome } from '../graph';
import { duration, html, prettyJson, query, raw, time, type Html } from '../html';
import { actionForm, badge, page, type Flash } from '../layout';
import { orderIdOf } from '../reads';

const REDRIVABLE = ['FAILED', 'TIMED_OUT', 'ABORTED'];

/** What colour a step's state gets: a succeeded Task that needed more than one attempt was retried. */
export function outcomeOf(step: Step): StateOutcome {
  switch (step.status) {
    case 'succeeded':
      return (step.attempts ?? 1) > 1 ? 'retried' : 'succeeded';
    case 'caught':
      return 'caught';
    case 'running':
      return 'running';
    default:
      return 'failed'; // failed, or left unfinished when the execution stopped
  }
}

/** Each state's outcome in its latest run (a redrive runs a state again). */
export function outcomesOf(steps: readonly Step[]): Map<string, StateOutcome> {
  return new Map(steps.map((s) => [s.name, outcomeOf(s)]));
}

/** The layout of a state machine's definition, as DescribeStateMachine returns it; computed once. Rejects with what the API or ELK rejects. */
export function graphOf(context: ConsoleContext, stateMachineArn: string): Promise<LaidOutGraph> {
  let graph = context.graphs.get(stateMachineArn);
  if (!graph) {
    graph = context.target.sfn
      .send(new DescribeStateMachineCommand({ stateMachineArn }))
      .then((described) => layoutDefinition(JSON.parse(described.definition ?? '{}') as AslDefinition));
    graph.catch(() => context.graphs.delete(stateMachineArn)); // try again on the next view
    context.graphs.set(stateMachineArn, graph);
  }
  return graph;
}

const LEGEND: [StateOutcome, string][] = [
  ['succeeded', 'succeeded'],
  ['retried', 'succeeded after retries'],
  ['caught', 'failed, caught'],
  ['failed', 'failed'],
  ['running', 'running'],
  ['not-reached', 'not reached'],
];

function timeline(report: ExecutionReport): Html {
  return html`<table id="timeline">
<thead><tr><th>State</th><th>Type</th><th>Outcome</th><th>Attempts</th><th>Entered</th><th>Took</th><th>Error</th><th>Input / output</th></tr></thead>
<tbody>${report.steps.map(
    (s) => html`<tr class="step-${s.status.replace(' ', '-')}" data-step="${s.name}">
  <td style="padding-left: ${0.5 + s.depth * 1.4}rem">${s.name}${s.redrive ? html` <span class="muted">(redrive ${s.redrive})</span>` : ''}</td>
  <td>${s.type}</td>
  <td>${badge(outcomeOf(s))}</td>
  <td class="num">${s.attempts ?? ''}${s.retriedAfter ? html`<br><span class="muted">after ${s.retriedAfter}</span>` : ''}</td>
  <td>${time(s.enteredAt)}</td>
  <td class="num">${duration(s.durationMs)}</td>
  <td>${s.error ? html`<strong>${s.error}</strong>${s.cause ? html`<pre>${s.cause}</pre>` : ''}` : ''}</td>
  <td>${s.input !== undefined ? html`<details><summary>input</summary><pre>${prettyJson(s.input)}</pre></details>` : ''}${
    s.output !== undefined ? html`<details><summary>output</summary><pre>${prettyJson(s.output)}</pre></details>` : ''
  }</td>
</tr>`,
  )}</tbody>
</table>`;
}

/**
 * The live part of the page (graph, timeline, status): polls itself every second while the
 * execution runs, and stops once it has stopped. Throws OpsError for an unknown execution.
 */
export async function executionDetail(context: ConsoleContext, executionArn: string): Promise<Html> {
  const report = await executionReport(context.target, executionArn, undefined, { data: true });
  const execution = context.stepFunctions.describeExecution(executionArn);
  const graph = await graphOf(context, execution.stateMachineArn);
  const live =
    report.status === 'RUNNING'
      ? html` hx-get="/executions/detail${query({ arn: executionArn })}" hx-trigger="every 1s" hx-swap="outerHTML"`
      : '';
  return html`<div id="execution-detail" data-status="${report.status}"${live}>
<dl class="facts">
  <dt>Status</dt><dd id="execution-status">${badge(report.status)}${report.redriveCount ? html` <span class="muted">redriven ${report.redriveCount}×, last ${time(report.redriveDate)}</span>` : ''}</dd>
  <dt>Started</dt><dd>${time(report.startDate)}${report.durationMs !== undefined ? html`, took ${duration(report.durationMs)}` : ''}</dd>
  ${report.error ? html`<dt>Error</dt><dd><strong>${report.error}</strong>${report.cause ? html`<pre>${report.cause}</pre>` : ''}</dd>` : ''}
  <dt>Input</dt><dd><details><summary>execution input</summary><pre>${prettyJson(execution.input)}</pre></details></dd>
  ${execution.output !== undefined ? html`<dt>Output</dt><dd><details><summary>execution output</summary><pre>${prettyJson(execution.output)}</pre></details></dd>` : ''}
</dl>
<h2>State machine</h2>
<div class="legend">${LEGEND.map(([outcome, label]) => html`<span style="--c: var(--${colourVar(outcome)})">${label}</span>`)}</div>
<div class="graph">${raw(renderGraph(graph, outcomesOf(report.steps)))}</div>
<h2>Timeline</h2>
${timeline(report)}
</div>`;
}

function colourVar(outcome: StateOutcome): string {
  return { succeeded: 'ok', retried: 'warn', caught: 'caught', failed: 'bad', running: 'run', 'not-reached': 'line' }[outcome];
}

/** The whole page: who started it, the actions that apply, and the live detail. */
export async function executionPage(context: ConsoleContext, executionArn: string, flash: Flash): Promise<Html> {
  const execution = context.stepFunctions.describeExecution(executionArn);
  const eventId = eventIdOf(execution.name);
  const orderId = orderIdOf(execution);
  const actions = [
    actionForm('/actions/replay', 'Replay the event', { eventId }),
    REDRIVABLE.includes(execution.status)
      ? actionForm(
          '/actions/redrive',
          'Redrive',
          { executionArn },
          html`<label class="muted"><input type="checkbox" name="force" value="1"> even from a Fail state</label> `,
        )
      : '',
  ];
  return page(
    `Execution ${execution.name}`,
    '/executions',
    html`<p>Workflow <strong>${workflowOf(context, execution.stateMachineArn)}</strong> · event <span class="mono">${eventId}</span>${
      orderId ? html` · order <a class="mono" href="/orders/${encodeURIComponent(orderId)}">${orderId}</a>` : ''
    }</p>
<div class="actions">${actions}</div>
${await executionDetail(context, executionArn)}`,
    flash,
  );
}
