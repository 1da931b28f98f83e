// The dashboard's graph and family-tree pages.
import { api, el, go, main } from './dom.ts';

// --- graph and tree -----------------------------------------------------------------------

export const STATUS_COLOR: Record<string, string> = {
  done: '#59a14f',
  missing: '#bab0ac',
  failed: '#e15759',
  crashed: '#e15759',
  running: '#4e79a7',
  interrupted: '#f28e2b',
  stale: '#edc948',
};

export async function graphPage(): Promise<void> {
  const g = await api<{
    nodes: {
      name: string;
      state: string | null;
      stale: string[];
      sources: string[];
      result: string | null;
    }[];
    edges: { from: string; to: string }[];
  }>('/api/graph');
  // columns by depth (longest path from a root), rows in order
  const depth = new Map<string, number>();
  const byName = new Map(g.nodes.map((n) => [n.name, n]));
  const depthOf = (name: string, seen = new Set<string>()): number => {
    if (depth.has(name)) return depth.get(name) as number;
    if (seen.has(name)) return 0;
    seen.add(name);
    const d =
      Math.max(
        -1,
        ...(byName.get(name)?.sources ?? []).filter((s) => byName.has(s)).map((s) => depthOf(s, seen)),
      ) + 1;
    depth.set(name, d);
    return d;
  };
  for (const n of g.nodes) depthOf(n.name);
  const columns: string[][] = [];
  for (const n of g.nodes) {
    const d = depth.get(n.name) as number;
    columns[d] = [...(columns[d] ?? []), n.name];
  }
  const W = 170;
  const H = 46;
  const pos = new Map<string, { x: number; y: number }>();
  for (const [c, col] of columns.entries()) {
    for (const [r, n] of (col ?? []).entries()) pos.set(n, { x: 20 + c * (W + 60), y: 20 + r * (H + 16) });
  }
  const ns = 'http://www.w3.org/2000/svg';
  const svg = document.createElementNS(ns, 'svg');
  const width = 40 + columns.length * (W + 60);
  const height = 40 + Math.max(1, ...columns.map((c) => c.length)) * (H + 16);
  svg.setAttribute('width', String(width));
  svg.setAttribute('height', String(height));
  for (const e of g.edges) {
    const a = pos.get(e.from);
    const b = pos.get(e.to);
    if (!a || !b) continue;
    const path = document.createElementNS(ns, 'path');
    path.setAttribute(
      'd',
      `M${a.x + W},${a.y + H / 2} C${a.x + W + 30},${a.y + H / 2} ${b.x - 30},${b.y + H / 2} ${b.x},${b.y + H / 2}`,
    );
    path.setAttribute('fill', 'none');
    path.setAttribute('stroke', '#999');
    svg.append(path);
  }
  for (const n of g.nodes) {
    const p = pos.get(n.name) as { x: number; y: number };
    const state = n.stale.length ? 'stale' : (n.state ?? 'missing');
    const group = document.createElementNS(ns, 'g');
    group.setAttribute('transform', `translate(${p.x},${p.y})`);
    group.setAttribute('data-name', n.name);
    const rect = document.createElementNS(ns, 'rect');
    for (const [k, v] of Object.entries({
      width: W,
      height: H,
      rx: 6,
      fill: STATUS_COLOR[state] ?? '#ccc',
      'fill-opacity': '0.25',
      stroke: STATUS_COLOR[state] ?? '#999',
    }))
      rect.setAttribute(k, String(v));
    const label = document.createElementNS(ns, 'text');
    label.setAttribute('x', '10');
    label.setAttribute('y', '19');
    label.textContent = n.name;
    const sub = document.createElementNS(ns, 'text');
    sub.setAttribute('x', '10');
    sub.setAttribute('y', '36');
    sub.setAttribute('fill', '#555');
    sub.textContent = state;
    const title = document.createElementNS(ns, 'title');
    title.textContent = n.stale.join('\n') || state;
    group.append(rect, label, sub, title);
    if (n.result) {
      group.style.cursor = 'pointer';
      group.addEventListener('click', () => go('run', {}, n.name));
    }
    svg.append(group);
  }
  main().replaceChildren(el('h2', { textContent: `${g.nodes.length} configs` }), svg);
}

export async function treePage(params: URLSearchParams): Promise<void> {
  const sel = params.get('sel') ?? '';
  const text = await api<string>(`/api/tree.svg${sel ? `?runs=${sel}` : ''}`).catch((e: Error) => e.message);
  const doc = new DOMParser().parseFromString(text, 'image/svg+xml');
  const svg = doc.documentElement;
  main().replaceChildren(
    el('h2', { textContent: sel ? 'Family tree of the selected results' : 'Family tree of all results' }),
    svg.nodeName === 'svg' ? document.importNode(svg, true) : el('p', { textContent: text }),
  );
}
