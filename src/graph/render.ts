import { childrenOf, type GraphNode, type ProjectGraph } from './graph.ts';
import type { NodeStatus } from './status.ts';

const label = (s: NodeStatus | undefined) => (s ? (s.stale.length ? `${s.state}, stale` : s.state) : '?');

/**
 * The graph as a tree from its roots (configs without sources) down through the configs that
 * read them. A config with several sources shows under each; after the first time its branch
 * is not repeated.
 */
export function renderGraphText(
  graph: ProjectGraph,
  names: Set<string>,
  status: Map<string, NodeStatus>,
): string {
  const children = childrenOf(graph, names);
  const roots = [...names]
    .filter((n) => !(graph.nodes.get(n)?.sources ?? []).some((s) => names.has(s)))
    .sort();
  const shown = new Set<string>();
  const lines: string[] = [];
  const walk = (name: string, prefix: string, head: string) => {
    const again = shown.has(name);
    shown.add(name);
    lines.push(
      `${head}${name}  ${label(status.get(name))}${again && children.get(name)?.length ? '  (see above)' : ''}`,
    );
    if (again) return;
    const kids = (children.get(name) ?? []).sort();
    kids.forEach((k, i) => {
      const last = i === kids.length - 1;
      walk(k, `${prefix}${last ? '   ' : '│  '}`, `${prefix}${last ? '└─ ' : '├─ '}`);
    });
  };
  for (const r of roots) walk(r, '', '');
  return lines.join('\n');
}

const COLORS: Record<string, string> = {
  done: '#59a14f',
  missing: '#bab0ac',
  stale: '#edc948',
  failed: '#e15759',
  crashed: '#e15759',
  interrupted: '#f28e2b',
  running: '#4e79a7',
};

const colorOf = (s: NodeStatus | undefined) =>
  COLORS[s?.stale.length ? 'stale' : (s?.state ?? 'missing')] ?? '#bab0ac';

function edges(graph: ProjectGraph, names: Set<string>): [string, string][] {
  const out: [string, string][] = [];
  for (const node of graph.nodes.values()) {
    if (!names.has(node.name)) continue;
    for (const s of node.sources) if (names.has(s)) out.push([s, node.name]);
  }
  return out;
}

/** Mermaid flowchart, nodes coloured by status. */
export function renderMermaid(
  graph: ProjectGraph,
  names: Set<string>,
  status: Map<string, NodeStatus>,
): string {
  // ids by position: names such as m.1, m-1 and m_1 would collide once made safe for Mermaid
  const ids = new Map([...names].sort().map((n, i) => [n, `n${i}`]));
  const id = (n: string) => ids.get(n) ?? `n_${ids.size}`;
  const lines = ['flowchart LR'];
  for (const n of [...names].sort()) lines.push(`  ${id(n)}["${n}<br/>${label(status.get(n))}"]`);
  for (const [a, b] of edges(graph, names)) lines.push(`  ${id(a)} --> ${id(b)}`);
  for (const n of [...names].sort()) lines.push(`  style ${id(n)} fill:${colorOf(status.get(n))}`);
  return lines.join('\n');
}

/** Graphviz dot, nodes coloured by status. */
export function renderDot(graph: ProjectGraph, names: Set<string>, status: Map<string, NodeStatus>): string {
  const q = (s: string) => JSON.stringify(s);
  const lines = [
    'digraph repro {',
    '  rankdir=LR;',
    '  node [shape=box, style="rounded,filled", fontname="Helvetica"];',
  ];
  for (const n of [...names].sort())
    lines.push(
      `  ${q(n)} [label=${q(`${n}\n${label(status.get(n))}`)}, fillcolor=${q(colorOf(status.get(n)))}];`,
    );
  for (const [a, b] of edges(graph, names)) lines.push(`  ${q(a)} -> ${q(b)};`);
  lines.push('}');
  return lines.join('\n');
}

/** The graph as JSON: nodes with their state, and edges from source to reader. */
export function renderGraphJson(
  graph: ProjectGraph,
  names: Set<string>,
  status: Map<string, NodeStatus>,
): object {
  return {
    nodes: [...names].sort().map((n) => {
      const node = graph.nodes.get(n) as GraphNode;
      const s = status.get(n);
      return {
        name: n,
        file: node.file,
        result: node.result,
        sources: node.sources,
        state: s?.state ?? null,
        stale: s?.stale ?? [],
      };
    }),
    edges: edges(graph, names).map(([from, to]) => ({ from, to })),
  };
}
