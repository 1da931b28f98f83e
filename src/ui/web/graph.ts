// The dashboard's graph and family-tree pages.
import { api, apiText, el, go, main, runsQuery } from './dom.ts';

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
  // a stage of 2,000 sweep results is not one column 100,000 px tall: at most ROWS a column,
  // the rest in the columns beside it
  const ROWS = 24;
  const pos = new Map<string, { x: number; y: number }>();
  let x = 20;
  let tallest = 1;
  for (const col of columns) {
    const list = col ?? [];
    const parts = Math.max(1, Math.ceil(list.length / ROWS));
    for (const [r, n] of list.entries())
      pos.set(n, { x: x + Math.floor(r / ROWS) * (W + 20), y: 20 + (r % ROWS) * (H + 16) });
    tallest = Math.max(tallest, Math.min(ROWS, list.length));
    x += parts * (W + 20) + 50;
  }
  const ns = 'http://www.w3.org/2000/svg';
  const svg = document.createElementNS(ns, 'svg');
  const width = x + 20;
  const height = 40 + tallest * (H + 16);
  svg.setAttribute('viewBox', `0 0 ${width} ${height}`);
  let zoom = 1;
  const size = () => {
    svg.setAttribute('width', String(Math.round(width * zoom)));
    svg.setAttribute('height', String(Math.round(height * zoom)));
  };
  size();
  // arrowheads: which way the data flows
  const defs = document.createElementNS(ns, 'defs');
  const marker = document.createElementNS(ns, 'marker');
  for (const [k, v] of Object.entries({
    id: 'arrow',
    viewBox: '0 0 10 10',
    refX: '10',
    refY: '5',
    markerWidth: '7',
    markerHeight: '7',
    orient: 'auto-start-reverse',
  }))
    marker.setAttribute(k, v);
  const tip = document.createElementNS(ns, 'path');
  tip.setAttribute('d', 'M0,0 L10,5 L0,10 z');
  tip.setAttribute('fill', '#999');
  marker.append(tip);
  defs.append(marker);
  svg.append(defs);
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
    path.setAttribute('marker-end', 'url(#arrow)');
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
  // zoom, find a config, and what the colours mean
  const box = el('div', { className: 'canvas' }, svg);
  const zoomBy = (f: number) => {
    zoom = Math.min(4, Math.max(0.1, zoom * f));
    size();
  };
  const zoomIn = el('button', { textContent: '+', title: 'zoom in' });
  zoomIn.onclick = () => zoomBy(1.25);
  const zoomOut = el('button', { textContent: '−', title: 'zoom out' });
  zoomOut.onclick = () => zoomBy(0.8);
  const fit = el('button', { textContent: 'fit', title: 'the whole graph in view' });
  fit.onclick = () => {
    zoom = Math.min(1, (box.clientWidth - 10) / width);
    size();
  };
  const find = el('input', { type: 'search', placeholder: 'find a config', id: 'filter' });
  find.oninput = () => {
    const q = find.value.trim().toLowerCase();
    for (const g of svg.querySelectorAll('g[data-name]'))
      g.classList.toggle(
        'found',
        Boolean(q) && (g.getAttribute('data-name') ?? '').toLowerCase().includes(q),
      );
    const hit = svg.querySelector('g.found') as SVGGElement | null;
    if (hit) {
      const p = pos.get(hit.getAttribute('data-name') ?? '');
      if (p) box.scrollTo({ left: p.x * zoom - 40, top: p.y * zoom - 40 });
    }
  };
  const legend = el(
    'span',
    { className: 'legend' },
    ...Object.entries(STATUS_COLOR).map(([k, c]) => el('span', {}, el('i', { style: `background:${c}` }), k)),
  );
  main().replaceChildren(
    el('h2', { textContent: `${g.nodes.length} configs` }),
    el('div', { className: 'toolbar' }, find, zoomOut, zoomIn, fit, legend),
    box,
  );
}

export async function treePage(params: URLSearchParams): Promise<void> {
  const sel = params.getAll('sel');
  let failed = '';
  const text = await apiText(`/api/tree.svg${sel.length ? `?${runsQuery(sel)}` : ''}`).catch((e: Error) => {
    failed = e.message;
    return '';
  });
  const doc = new DOMParser().parseFromString(text, 'image/svg+xml');
  const svg = doc.documentElement;
  const shown =
    !failed && svg.nodeName === 'svg' ? (document.importNode(svg, true) as unknown as SVGSVGElement) : null;
  // a leaf is a result: click it to open it
  for (const t of shown?.querySelectorAll('text') ?? []) {
    const name = t.textContent ?? '';
    if (!/^[A-Za-z0-9_][A-Za-z0-9._~=,+@-]*$/.test(name) || /^[\d.]+$/.test(name)) continue;
    t.style.cursor = 'pointer';
    t.addEventListener('click', () => go('run', {}, name));
  }
  main().replaceChildren(
    el('h2', {
      textContent: sel.length ? 'Family tree of the selected results' : 'Family tree of all results',
    }),
    shown
      ? el('div', { className: 'canvas' }, shown)
      : el('p', { className: 'muted', textContent: failed || text }),
  );
}
