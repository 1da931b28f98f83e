// The dashboard's graph and family-tree pages.
import dagre from '@dagrejs/dagre';
import { foldGraph, type GraphNode, stateOf } from '../../graph/groups.ts';
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

const SVG = 'http://www.w3.org/2000/svg';

function svgEl<K extends keyof SVGElementTagNameMap>(
  tag: K,
  attrs: Record<string, string | number> = {},
  ...kids: (Node | string)[]
): SVGElementTagNameMap[K] {
  const node = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
  for (const k of kids) node.append(k);
  return node;
}

/**
 * The pipeline: a box per config, laid out by dagre (left to right, in ranks by depth, with few
 * crossings), arrows along the data's flow. A sweep's family of configs is one box that counts
 * its states (click to open it: `open=` in the URL); zoom with the buttons or Ctrl+wheel, pan by
 * dragging, find a config by name.
 */
export async function graphPage(params: URLSearchParams): Promise<void> {
  const g = await api<{ nodes: GraphNode[]; edges: { from: string; to: string }[] }>('/api/graph');
  const open = new Set(params.getAll('open'));
  const folded = foldGraph(g.nodes, g.edges, open);
  const W = 180;
  const H = 46;
  const layout = new dagre.graphlib.Graph();
  layout.setGraph({ rankdir: 'LR', nodesep: 14, ranksep: 70, marginx: 20, marginy: 20 });
  layout.setDefaultEdgeLabel(() => ({}));
  for (const box of folded.boxes)
    layout.setNode(box.id, { width: W, height: box.kind === 'family' ? H + 12 : H });
  for (const e of folded.edges) layout.setEdge(e.from, e.to);
  dagre.layout(layout);
  const { width = 200, height = 100 } = layout.graph();

  const svg = svgEl('svg', { viewBox: `0 0 ${width} ${height}` });
  let zoom = 1;
  const size = () => {
    svg.setAttribute('width', String(Math.round(width * zoom)));
    svg.setAttribute('height', String(Math.round(height * zoom)));
  };
  size();
  // arrowheads: which way the data flows
  svg.append(
    svgEl(
      'defs',
      {},
      svgEl(
        'marker',
        {
          id: 'arrow',
          viewBox: '0 0 10 10',
          refX: 10,
          refY: 5,
          markerWidth: 7,
          markerHeight: 7,
          orient: 'auto-start-reverse',
        },
        svgEl('path', { d: 'M0,0 L10,5 L0,10 z', fill: '#999' }),
      ),
    ),
  );
  for (const e of layout.edges()) {
    const points = layout.edge(e).points ?? [];
    if (points.length < 2) continue;
    const [first, ...rest] = points;
    const d = `M${first?.x},${first?.y} ${rest.map((p: { x: number; y: number }) => `L${p.x},${p.y}`).join(' ')}`;
    svg.append(svgEl('path', { d, fill: 'none', stroke: '#999', 'marker-end': 'url(#arrow)' }));
  }
  const boxAt = new Map<string, { x: number; y: number }>();
  for (const box of folded.boxes) {
    const at = layout.node(box.id);
    const x = at.x - at.width / 2;
    const y = at.y - at.height / 2;
    boxAt.set(box.id, { x, y });
    const group = svgEl('g', { transform: `translate(${x},${y})` });
    if (box.kind === 'config') {
      const n = box.node;
      const state = stateOf(n);
      group.setAttribute('data-name', n.name);
      group.append(
        svgEl('rect', {
          width: W,
          height: H,
          rx: 6,
          fill: STATUS_COLOR[state] ?? '#ccc',
          'fill-opacity': '0.25',
          stroke: STATUS_COLOR[state] ?? '#999',
        }),
        svgEl('text', { x: 10, y: 19 }, n.name.length > 24 ? `${n.name.slice(0, 23)}…` : n.name),
        svgEl('text', { x: 10, y: 36, fill: '#555' }, state),
        svgEl('title', {}, [n.name, ...(n.stale.length ? n.stale : [state])].join('\n')),
      );
      if (n.result) {
        group.style.cursor = 'pointer';
        group.addEventListener('click', () => go('run', {}, n.name));
      }
    } else {
      // a family: its name, how many, and a bar of its states
      group.setAttribute('data-family', box.family);
      const total = box.members.length;
      const bar: SVGElement[] = [];
      let at = 10;
      for (const [state, count] of Object.entries(box.states)) {
        const w = ((W - 20) * count) / total;
        bar.push(
          svgEl(
            'rect',
            { x: at, y: 40, width: w, height: 8, fill: STATUS_COLOR[state] ?? '#ccc' },
            svgEl('title', {}, `${count} ${state}`),
          ),
        );
        at += w;
      }
      const summary = Object.entries(box.states)
        .map(([s, c]) => `${c} ${s}`)
        .join(', ');
      const fitted = { textLength: W - 20, lengthAdjust: 'spacingAndGlyphs' };
      group.append(
        svgEl('rect', {
          width: W,
          height: H + 12,
          rx: 6,
          fill: '#fff',
          stroke: '#888',
          'stroke-dasharray': '4 3',
        }),
        svgEl('text', { x: 10, y: 19, 'font-weight': 600 }, `${box.family}… (${total})`),
        svgEl(
          'text',
          // a long count (100,000 results: "90267 done, 4764 stale, 4969 failed") is fitted
          // into the box, not cut at its edge
          { x: 10, y: 34, fill: '#555', 'font-size': 11, ...(summary.length > 28 ? fitted : {}) },
          summary,
        ),
        ...bar,
        svgEl(
          'title',
          {},
          `${total} configs of the family ${box.family} (${summary}): click to show each one`,
        ),
      );
      group.style.cursor = 'pointer';
      group.addEventListener('click', () => go('graph', { open: [...open, box.family] }));
    }
    svg.append(group);
  }
  // zoom, pan, find a config, and what the colours mean
  const box = el('div', { className: 'canvas' }, svg);
  const zoomTo = (next: number) => {
    zoom = Math.min(4, Math.max(0.05, next));
    size();
  };
  const zoomIn = el('button', { textContent: '+', title: 'zoom in (or Ctrl + wheel)' });
  zoomIn.onclick = () => zoomTo(zoom * 1.25);
  const zoomOut = el('button', { textContent: '−', title: 'zoom out (or Ctrl + wheel)' });
  zoomOut.onclick = () => zoomTo(zoom * 0.8);
  const fit = el('button', { textContent: 'fit', title: 'the whole graph in view' });
  fit.onclick = () => zoomTo(Math.min(1, (box.clientWidth - 10) / width, (box.clientHeight - 10) / height));
  box.addEventListener(
    'wheel',
    (event) => {
      if (!event.ctrlKey) return;
      event.preventDefault();
      zoomTo(zoom * (event.deltaY < 0 ? 1.1 : 0.9));
    },
    { passive: false },
  );
  // drag the background to pan
  let drag: { x: number; y: number; left: number; top: number } | null = null;
  box.addEventListener('pointerdown', (event) => {
    if ((event.target as Element).closest('g')) return;
    drag = { x: event.clientX, y: event.clientY, left: box.scrollLeft, top: box.scrollTop };
    box.classList.add('panning');
  });
  box.addEventListener('pointermove', (event) => {
    if (!drag) return;
    box.scrollLeft = drag.left - (event.clientX - drag.x);
    box.scrollTop = drag.top - (event.clientY - drag.y);
  });
  const stop = () => {
    drag = null;
    box.classList.remove('panning');
  };
  box.addEventListener('pointerup', stop);
  box.addEventListener('pointerleave', stop);
  const folds = [...new Set(folded.boxes.filter((b) => b.kind === 'family').map((b) => b.family))];
  const foldAll = el('button', {
    textContent: 'fold sweeps',
    title: 'each family of many configs as one box again',
    hidden: open.size === 0,
  });
  foldAll.onclick = () => go('graph', {});
  const find = el('input', { type: 'search', placeholder: 'find a config', id: 'filter' });
  find.oninput = () => {
    const q = find.value.trim().toLowerCase();
    for (const node of svg.querySelectorAll('g[data-name], g[data-family]')) node.classList.remove('found');
    if (!q) return;
    // a config folded in a family lights its family's box
    const hits = new Set(
      g.nodes.filter((n) => n.name.toLowerCase().includes(q)).map((n) => folded.boxOf.get(n.name) as string),
    );
    let firstHit: { x: number; y: number } | undefined;
    for (const id of hits) {
      const selector = id.startsWith('family:')
        ? `g[data-family="${CSS.escape(id.slice(7))}"]`
        : `g[data-name="${CSS.escape(id)}"]`;
      svg.querySelector(selector)?.classList.add('found');
      firstHit ??= boxAt.get(id);
    }
    if (firstHit) box.scrollTo({ left: firstHit.x * zoom - 40, top: firstHit.y * zoom - 40 });
  };
  const legend = el(
    'span',
    { className: 'legend' },
    ...Object.entries(STATUS_COLOR).map(([k, c]) => el('span', {}, el('i', { style: `background:${c}` }), k)),
  );
  main().replaceChildren(
    el('h2', {
      textContent: `${g.nodes.length} configs${folds.length ? ` (${folds.length} ${folds.length === 1 ? 'family' : 'families'} folded: click one to open it)` : ''}`,
    }),
    el('div', { className: 'toolbar' }, find, zoomOut, zoomIn, fit, foldAll, legend),
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
