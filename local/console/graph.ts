// The state machine graph of the console: the ASL definition the local stack runs (as Step
// Functions' DescribeStateMachine returns it) laid out by elkjs (the Eclipse Layout Kernel), and
// drawn as SVG from the coordinates ELK computes. Parallel and Map states are compound nodes whose
// branches ELK lays out inside them; nothing here places a node by hand.
import ELK from 'elkjs/lib/elk.bundled.js';
import type { ElkExtendedEdge, ElkNode } from 'elkjs/lib/elk-api';
import { escapeHtml } from './html';

/** The part of an ASL definition the graph reads. */
export interface AslDefinition {
  StartAt: string;
  States: Record<string, AslState>;
}

interface AslState {
  Type: string;
  Next?: string;
  End?: boolean;
  Default?: string;
  Choices?: { Next?: string }[];
  Catch?: { Next?: string; ErrorEquals?: string[] }[];
  Branches?: AslDefinition[];
  ItemProcessor?: AslDefinition;
  Iterator?: AslDefinition;
}

/** How a state is coloured: what happened to it in one execution. */
export type StateOutcome = 'succeeded' | 'retried' | 'caught' | 'failed' | 'running' | 'not-reached';

/** A laid-out graph: ELK's result, kept per state machine (its definition never changes while running). */
export interface LaidOutGraph {
  root: ElkNode;
  /** the state name of every node id that is a state */
  states: Map<string, { name: string; type: string }>;
}

const elk = new ELK();
const NODE_HEIGHT = 34;
const LABEL_HEIGHT = 24;
const START = '__start';
const END = '__end';
const nodeId = (path: string, name: string) => `${path}${name}`;
const nodeWidth = (label: string) => Math.max(90, Math.round(label.length * 7.2) + 28);

interface EdgeKind {
  kind: 'next' | 'choice' | 'catch';
}

/**
 * Builds ELK's input for one (sub)definition: its states as children of `parent`, the edges between
 * them on `parent` (so that their coordinates are relative to it), and Start/End markers at the top.
 */
function addDefinition(parent: ElkNode, definition: AslDefinition, path: string, states: LaidOutGraph['states'], topLevel: boolean): void {
  parent.children ??= [];
  parent.edges ??= [];
  const children = parent.children;
  const edges = parent.edges as (ElkExtendedEdge & EdgeKind)[];
  const edge = (from: string, to: string, kind: EdgeKind['kind']) =>
    edges.push({ id: `${from}->${to}#${edges.length}`, sources: [from], targets: [to], kind });
  const start = nodeId(path, START);
  const end = nodeId(path, END);
  children.push({ id: start, width: topLevel ? 60 : 14, height: topLevel ? 26 : 14, labels: [{ text: topLevel ? 'Start' : '' }] });
  children.push({ id: end, width: topLevel ? 60 : 14, height: topLevel ? 26 : 14, labels: [{ text: topLevel ? 'End' : '' }] });
  edge(start, nodeId(path, definition.StartAt), 'next');
  for (const [name, state] of Object.entries(definition.States)) {
    const id = nodeId(path, name);
    states.set(id, { name, type: state.Type });
    const node: ElkNode = { id, width: nodeWidth(name), height: NODE_HEIGHT, labels: [{ text: name }] };
    const branches = state.Branches ?? ((state.ItemProcessor ?? state.Iterator) ? [(state.ItemProcessor ?? state.Iterator)!] : []);
    if (branches.length) {
      // a compound node: one box per branch, the state's name above them
      node.layoutOptions = { 'elk.padding': `[top=${LABEL_HEIGHT + 6},left=10,bottom=10,right=10]`, 'elk.direction': 'RIGHT' };
      delete node.width;
      delete node.height;
      node.children = branches.map((branch, i) => {
        const box: ElkNode = {
          id: `${id}/branch${i}`,
          layoutOptions: { 'elk.padding': '[top=10,left=10,bottom=10,right=10]', 'elk.direction': 'DOWN' },
        };
        addDefinition(box, branch, `${id}/${i}/`, states, false);
        return box;
      });
    }
    children.push(node);
    if (state.Next) edge(id, nodeId(path, state.Next), 'next');
    if (state.End || state.Type === 'Succeed' || state.Type === 'Fail') edge(id, end, 'next');
    for (const choice of state.Choices ?? []) if (choice.Next) edge(id, nodeId(path, choice.Next), 'choice');
    if (state.Default) edge(id, nodeId(path, state.Default), 'choice');
    for (const handler of state.Catch ?? []) if (handler.Next) edge(id, nodeId(path, handler.Next), 'catch');
  }
}

/** Lays out a definition with ELK (layered, top to bottom). Rejects when ELK does. */
export async function layoutDefinition(definition: AslDefinition): Promise<LaidOutGraph> {
  const states: LaidOutGraph['states'] = new Map();
  const root: ElkNode = {
    id: 'root',
    layoutOptions: {
      'elk.algorithm': 'layered',
      'elk.direction': 'DOWN',
      'elk.hierarchyHandling': 'INCLUDE_CHILDREN',
      'elk.layered.spacing.nodeNodeBetweenLayers': '28',
      'elk.spacing.nodeNode': '22',
      'elk.padding': '[top=12,left=12,bottom=12,right=12]',
    },
  };
  addDefinition(root, definition, '', states, true);
  return { root: await elk.layout(root), states };
}

/**
 * The SVG of a laid-out graph, each state coloured by its outcome (states absent from `outcomes`
 * were not reached). Every node is a `<g class="state outcome-…" data-state="<name>">` so that the
 * page (and its tests) can find a state by name.
 */
export function renderGraph(graph: LaidOutGraph, outcomes: ReadonlyMap<string, StateOutcome>): string {
  const offsets = new Map<string, { x: number; y: number }>([['root', { x: 0, y: 0 }]]);
  const nodes: string[] = [];
  const edges: string[] = [];
  const visit = (node: ElkNode, origin: { x: number; y: number }) => {
    for (const child of node.children ?? []) {
      const at = { x: origin.x + (child.x ?? 0), y: origin.y + (child.y ?? 0) };
      offsets.set(child.id, at);
      nodes.push(renderNode(child, at, graph, outcomes));
      visit(child, at);
    }
  };
  visit(graph.root, { x: 0, y: 0 });
  const drawEdges = (node: ElkNode) => {
    for (const edge of (node.edges ?? []) as (ElkExtendedEdge & EdgeKind)[]) {
      // ELK gives an edge's points relative to its container (here: the node that holds it)
      const origin = offsets.get(edge.container ?? node.id) ?? offsets.get(node.id)!;
      for (const section of edge.sections ?? []) {
        const points = [section.startPoint, ...(section.bendPoints ?? []), section.endPoint];
        const d = points.map((p, i) => `${i ? 'L' : 'M'}${(p.x + origin.x).toFixed(1)} ${(p.y + origin.y).toFixed(1)}`).join(' ');
        edges.push(`<path class="edge edge-${edge.kind}" d="${d}" marker-end="url(#arrow)"/>`);
      }
    }
    for (const child of node.children ?? []) drawEdges(child);
  };
  drawEdges(graph.root);
  const width = Math.ceil(graph.root.width ?? 0);
  const height = Math.ceil(graph.root.height ?? 0);
  return [
    `<svg class="state-machine" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" aria-label="state machine">`,
    '<defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M 0 0 L 10 5 L 0 10 z"/></marker></defs>',
    ...nodes,
    ...edges,
    '</svg>',
  ].join('\n');
}

function renderNode(node: ElkNode, at: { x: number; y: number }, graph: LaidOutGraph, outcomes: ReadonlyMap<string, StateOutcome>): string {
  const width = node.width ?? 0;
  const height = node.height ?? 0;
  const box = `x="${at.x.toFixed(1)}" y="${at.y.toFixed(1)}" width="${width.toFixed(1)}" height="${height.toFixed(1)}"`;
  const state = graph.states.get(node.id);
  if (!state) {
    if (node.id.endsWith(START) || node.id.endsWith(END)) {
      const label = node.labels?.[0]?.text ?? '';
      return `<g class="marker"><rect ${box} rx="${height / 2}"/>${label ? `<text x="${(at.x + width / 2).toFixed(1)}" y="${(at.y + height / 2 + 4).toFixed(1)}" text-anchor="middle">${label}</text>` : ''}</g>`;
    }
    return `<g class="branch"><rect ${box} rx="4"/></g>`; // a branch of a Parallel or Map state
  }
  const outcome = outcomes.get(state.name) ?? 'not-reached';
  const compound = Boolean(node.children?.length);
  const name = escapeHtml(state.name);
  const label = compound
    ? `<text x="${(at.x + 10).toFixed(1)}" y="${(at.y + 17).toFixed(1)}">${name} <tspan class="type">${escapeHtml(state.type)}</tspan></text>`
    : `<text x="${(at.x + width / 2).toFixed(1)}" y="${(at.y + height / 2 + 4).toFixed(1)}" text-anchor="middle">${name}</text>`;
  return `<g class="state outcome-${outcome}${compound ? ' compound' : ''}" data-state="${name}" data-outcome="${outcome}"><title>${name} (${escapeHtml(state.type)}): ${outcome}</title><rect ${box} rx="6"/>${label}</g>`;
}
