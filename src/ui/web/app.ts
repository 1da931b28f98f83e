// The dashboard's single-page app: plain DOM, uPlot for charts, state in the address.
// Every value from a config or a file goes into the page as text (textContent), never as HTML.
import uPlot from 'uplot';
import { COLORS, movingAverage } from '../../plot/svg.ts';

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
interface Metric {
  last: number | string;
  best: number | string;
  count: number;
}
interface Run {
  name: string;
  status: string;
  /** Why a done result is stale; empty when it is not. */
  stale?: string[];
  started_at: string | null;
  duration_s: number | null;
  config: Record<string, Json>;
  defaults: Record<string, Json>;
  metrics: Record<string, Metric>;
}

// --- plumbing -----------------------------------------------------------------------------

const token =
  new URLSearchParams(location.search).get('token') ?? sessionStorage.getItem('repro-token') ?? '';
if (token) sessionStorage.setItem('repro-token', token);
const api = async <T>(path: string): Promise<T> => {
  const r = await fetch(path, { headers: token ? { authorization: `Bearer ${token}` } : {} });
  if (!r.ok) throw new Error(`${path}: ${r.status} ${await r.text()}`);
  return (path.endsWith('.svg') ? r.text() : r.json()) as Promise<T>;
};

/** An element with properties (`style` as CSS text) and children; text goes in as text. */
function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  props: Record<string, unknown> = {},
  ...kids: (Node | string)[]
): HTMLElementTagNameMap[K] {
  const { style, ...rest } = props;
  const node = Object.assign(document.createElement(tag), rest);
  if (typeof style === 'string') node.style.cssText = style;
  for (const k of kids) node.append(k);
  return node;
}

/** The route and its parameters, from `#/page?key=value`. */
function route(): { page: string; arg: string; params: URLSearchParams } {
  const [path = '', query = ''] = location.hash.slice(1).split('?');
  const [, page = 'runs', arg = ''] = path.split('/');
  return { page, arg: decodeURIComponent(arg), params: new URLSearchParams(query) };
}

function go(page: string, params: Record<string, string | undefined>, arg = ''): void {
  const q = new URLSearchParams(
    Object.entries(params).filter((e): e is [string, string] => Boolean(e[1])),
  ).toString();
  location.hash = `#/${page}${arg ? `/${encodeURIComponent(arg)}` : ''}${q ? `?${q}` : ''}`;
}

const fmt = (v: Json | undefined): string => {
  if (v === undefined) return '—';
  if (typeof v === 'number') return Number.isInteger(v) ? String(v) : String(Number(v.toPrecision(4)));
  if (typeof v === 'string') return v === '' ? '""' : v;
  return JSON.stringify(v);
};
const num = (v: number | string | undefined) =>
  typeof v === 'number' ? v : v === undefined ? Number.NaN : Number(v);
const seconds = (s: number | null) =>
  s === null ? '' : s < 60 ? `${s.toFixed(1)} s` : `${Math.floor(s / 60)} min ${Math.round(s % 60)} s`;
const main = () => document.getElementById('main') as HTMLElement;

// --- runs ---------------------------------------------------------------------------------

interface RunsData {
  runs: Run[];
  keys: string[];
  allKeys: string[];
  metrics: string[];
}

function value(run: Run, column: string): Json | undefined {
  if (column === 'name') return run.name;
  if (column === 'status') return run.stale?.length ? `${run.status}, stale` : run.status;
  if (column === 'started') return run.started_at;
  if (column === 'duration') return run.duration_s;
  if (column.endsWith(' (best)')) {
    const m = run.metrics[column.slice(0, -7)];
    return m ? num(m.best) : undefined;
  }
  if (run.metrics[column]) return num(run.metrics[column]?.last);
  return run.config[column] ?? run.defaults[column];
}

let runsScroll = 0;

async function runsPage(params: URLSearchParams): Promise<void> {
  const data = await api<RunsData>('/api/runs');
  const extra = (params.get('cols') ?? '').split(',').filter(Boolean);
  const columns = [
    'name',
    'status',
    'started',
    'duration',
    ...data.keys,
    ...extra,
    ...data.metrics.flatMap((m) => [m, `${m} (best)`]),
  ];
  const sort = params.get('sort') ?? '';
  const q = params.get('q') ?? '';
  const status = params.get('status') ?? '';
  const sel = new Set((params.get('sel') ?? '').split(',').filter(Boolean));
  const state = () => ({ sort, q, status, sel: [...sel].join(','), cols: extra.join(',') });

  // filter: words match the name; key=value words match config values
  const words = q.split(/\s+/).filter(Boolean);
  let rows = data.runs.filter(
    (r) =>
      (!status || value(r, 'status') === status) &&
      words.every((w) => {
        const eq = w.indexOf('=');
        if (eq > 0) return fmt(value(r, w.slice(0, eq))) === w.slice(eq + 1);
        return r.name.includes(w);
      }),
  );
  if (sort) {
    const desc = sort.startsWith('-');
    const key = desc ? sort.slice(1) : sort;
    rows = [...rows].sort((a, b) => {
      const va = value(a, key);
      const vb = value(b, key);
      if (va === undefined || vb === undefined) return va === vb ? 0 : va === undefined ? 1 : -1;
      const c =
        typeof va === 'number' && typeof vb === 'number' ? va - vb : String(va).localeCompare(String(vb));
      return desc ? -c : c;
    });
  }

  const filter = el('input', { type: 'text', placeholder: 'filter: name words, key=value', value: q });
  filter.onchange = () => go('runs', { ...state(), q: filter.value });
  const statusSelect = el('select', {}, el('option', { value: '', textContent: 'any status' }));
  for (const s of ['done', 'done, stale', 'running', 'failed', 'crashed', 'interrupted', 'damaged'])
    statusSelect.append(el('option', { value: s, textContent: s, selected: s === status }));
  statusSelect.onchange = () => go('runs', { ...state(), status: statusSelect.value });
  const addColumn = el('select', {}, el('option', { value: '', textContent: 'add a column…' }));
  for (const k of data.allKeys.filter((k) => !columns.includes(k)))
    addColumn.append(el('option', { value: k, textContent: k }));
  addColumn.onchange = () => go('runs', { ...state(), cols: [...extra, addColumn.value].join(',') });
  const compare = el('button', { textContent: `Compare ${sel.size} selected`, disabled: sel.size < 1 });
  compare.onclick = () => go('compare', { sel: [...sel].join(','), metric: data.metrics[0] });
  const count = el('span', { textContent: `${rows.length} of ${data.runs.length} results` });

  const widths = columns.map((c) =>
    // status fits "done, stale" and "interrupted"; started a whole date and time
    c === 'name'
      ? 220
      : c === 'started'
        ? 170
        : c === 'status'
          ? 110
          : Math.max(70, Math.min(180, c.length * 8 + 24)),
  );
  const head = el('div', { className: 'row head' }, el('div', { className: 'cell', style: 'width:30px' }));
  columns.forEach((c, i) => {
    const arrow = sort === c ? ' ▲' : sort === `-${c}` ? ' ▼' : '';
    const cell = el('div', { className: 'cell', textContent: c + arrow, title: `sort by ${c}` });
    cell.style.width = `${widths[i]}px`;
    cell.onclick = () => go('runs', { ...state(), sort: sort === c ? `-${c}` : c });
    head.append(cell);
  });

  // virtualised: only the rows in view are in the page
  const ROW = 28;
  const viewport = el('div', { className: 'viewport' });
  const spacer = el('div');
  spacer.style.height = `${rows.length * ROW}px`;
  spacer.style.position = 'relative';
  viewport.append(head, spacer);
  const paint = () => {
    const first = Math.max(0, Math.floor(viewport.scrollTop / ROW) - 10);
    const last = Math.min(rows.length, first + Math.ceil(viewport.clientHeight / ROW) + 20);
    spacer.replaceChildren();
    for (let i = first; i < last; i++) {
      const r = rows[i] as Run;
      const line = el('div', { className: 'row' });
      line.style.position = 'absolute';
      line.style.top = `${i * ROW}px`;
      line.dataset.name = r.name;
      const box = el('input', { type: 'checkbox', checked: sel.has(r.name) });
      box.onchange = () => {
        if (box.checked) sel.add(r.name);
        else sel.delete(r.name);
        history.replaceState(
          null,
          '',
          `#/runs?${new URLSearchParams(Object.entries(state()).filter((e) => e[1])).toString()}`,
        );
        compare.textContent = `Compare ${sel.size} selected`;
        compare.disabled = sel.size < 1;
      };
      line.append(el('div', { className: 'cell', style: 'width:30px' }, box));
      columns.forEach((c, k) => {
        const v = value(r, c);
        const text =
          c === 'duration'
            ? seconds(r.duration_s)
            : c === 'started'
              ? (r.started_at ?? '').replace('T', ' ').slice(0, 19)
              : fmt(v);
        const stale = c === 'status' && Boolean(r.stale?.length);
        const cell = el('div', {
          className: `cell${c === 'status' ? ` status-${stale ? 'stale' : r.status}` : ''}`,
          textContent: text,
          title: stale ? `stale: ${r.stale?.join('; ')}` : text,
        });
        cell.style.width = `${widths[k]}px`;
        if (c === 'name') {
          cell.style.cursor = 'pointer';
          cell.onclick = () => go('run', {}, r.name);
        }
        line.append(cell);
      });
      spacer.append(line);
    }
  };
  viewport.onscroll = () => {
    runsScroll = viewport.scrollTop;
    paint();
  };
  main().replaceChildren(
    el('div', { className: 'toolbar' }, filter, statusSelect, addColumn, compare, count),
    el('div', { className: 'table' }, viewport),
  );
  // a live update re-renders the page: keep the reader where they were
  viewport.scrollTop = runsScroll;
  paint();
}

// --- compare ------------------------------------------------------------------------------

/** Several series on one uPlot chart (zoom by dragging, values on hover, log scale). */
function chart(
  series: { name: string; x: number[]; y: number[] }[],
  opts: { title: string; log: boolean; smooth: number; width: number },
) {
  const xs = [...new Set(series.flatMap((s) => s.x))].sort((a, b) => a - b);
  const index = new Map(xs.map((x, i) => [x, i]));
  const data: (number | null)[][] = [xs];
  for (const s of series) {
    const col: (number | null)[] = new Array(xs.length).fill(null);
    const ys = movingAverage(s.y, opts.smooth);
    s.x.forEach((x, i) => {
      const y = ys[i] as number;
      col[index.get(x) as number] = opts.log && y <= 0 ? null : y;
    });
    data.push(col);
  }
  const box = el('div', { className: 'chart' });
  new uPlot(
    {
      title: opts.title,
      width: opts.width,
      height: 320,
      scales: { x: { time: false }, y: { distr: opts.log ? 3 : 1 } },
      series: [
        {},
        ...series.map((s, i) => ({
          label: s.name,
          stroke: COLORS[i % COLORS.length],
          width: 1.5,
          spanGaps: true,
        })),
      ],
    },
    data as uPlot.AlignedData,
    box,
  );
  return box;
}

async function comparePage(params: URLSearchParams): Promise<void> {
  const sel = (params.get('sel') ?? '').split(',').filter(Boolean);
  if (sel.length === 0) {
    main().replaceChildren(el('p', { textContent: 'Select runs on the Runs page, then Compare.' }));
    return;
  }
  const metric = params.get('metric') ?? 'loss';
  const log = params.get('log') === '1';
  const smooth = Number(params.get('smooth') ?? 0);
  const [diff, series] = await Promise.all([
    api<{
      keys: string[];
      rows: { name: string; values: Record<string, { value: Json; default?: boolean }> }[];
    }>(`/api/diff?runs=${sel.join(',')}`),
    api<{ metrics: string[]; series: { name: string; x: number[]; y: number[] }[] }>(
      `/api/series?runs=${sel.join(',')}&metric=${encodeURIComponent(metric)}`,
    ),
  ]);
  const table = el('table', { className: 'diff' });
  table.append(
    el('tr', {}, el('th', { textContent: 'name' }), ...diff.keys.map((k) => el('th', { textContent: k }))),
  );
  for (const row of diff.rows) {
    const tr = el('tr', {}, el('td', { textContent: row.name }));
    for (const k of diff.keys) {
      const v = row.values[k];
      tr.append(
        v === undefined
          ? el('td', { className: 'absent', textContent: '— absent', title: 'this config lacks the key' })
          : el('td', {
              className: v.default ? 'default' : '',
              textContent: `${fmt(v.value)}${v.default ? ' (default)' : ''}`,
            }),
      );
    }
    table.append(tr);
  }
  const state = { sel: sel.join(','), metric, log: log ? '1' : '', smooth: smooth ? String(smooth) : '' };
  const metricSelect = el('select');
  for (const m of series.metrics)
    metricSelect.append(el('option', { value: m, textContent: m, selected: m === metric }));
  metricSelect.onchange = () => go('compare', { ...state, metric: metricSelect.value });
  const logBox = el('input', { type: 'checkbox', checked: log });
  logBox.onchange = () => go('compare', { ...state, log: logBox.checked ? '1' : '' });
  const smoothInput = el('input', { type: 'number', min: '0', value: String(smooth), style: 'width:60px' });
  smoothInput.onchange = () => go('compare', { ...state, smooth: smoothInput.value });
  const withData = series.series.filter((s) => s.x.length);
  const missing = series.series.filter((s) => !s.x.length).map((s) => s.name);
  main().replaceChildren(
    el('h2', { textContent: diff.keys.length ? 'How the configs differ' : 'The configs do not differ' }),
    table,
    el('h2', { textContent: 'Metrics' }),
    el(
      'div',
      { className: 'toolbar' },
      'metric ',
      metricSelect,
      el('label', {}, logBox, ' log scale'),
      el('label', {}, ' smooth ', smoothInput),
    ),
    missing.length
      ? el('p', { className: 'warn', textContent: `no "${metric}" in ${missing.join(', ')}` })
      : '',
    withData.length
      ? chart(withData, { title: metric, log, smooth, width: Math.min(1100, main().clientWidth - 20) })
      : '',
  );
}

// --- one run ------------------------------------------------------------------------------

let follow: number | undefined;

async function runPage(name: string): Promise<void> {
  const run = await api<{
    name: string;
    status: string;
    reason: string;
    config: Json;
    effective: { values: Json; defaults: Record<string, Json>; unread: { message: string }[] } | null;
    record: Record<string, Json> | null;
    end: Record<string, Json> | null;
    files: { path: string; size: number }[];
    sources: string[];
    dependents: string[];
    metrics_skipped: number;
    stale: string[];
  }>(`/api/runs/${encodeURIComponent(name)}`);
  const rows = await api<Record<string, Json>[]>(`/api/runs/${encodeURIComponent(name)}/metrics`);
  const record = run.record ?? {};
  const git = (record.git ?? {}) as Record<string, Json>;
  const host = (record.host ?? {}) as Record<string, Json>;
  const facts = [
    [
      'status',
      run.stale.length ? `${run.status}, stale: ${run.stale.join('; ')}` : `${run.status} (${run.reason})`,
    ],
    ['run id', record.id ?? ''],
    ['started', record.started_at],
    ['duration', run.end ? seconds(Number(run.end.duration_s)) : ''],
    ['exit code', run.end?.exit_code],
    [
      'metrics',
      run.metrics_skipped
        ? `${rows.length} rows; ${run.metrics_skipped} line${run.metrics_skipped === 1 ? '' : 's'} skipped (not a JSON object)`
        : `${rows.length} rows`,
    ],
    [
      'git',
      git.commit
        ? `${String(git.commit).slice(0, 10)} on ${git.branch}${git.dirty ? ' (dirty)' : ''}`
        : 'none',
    ],
    ['host', `${host.hostname ?? ''} (${host.os ?? ''}, Node.js ${host.node ?? ''})`],
    ['script', JSON.stringify(record.script ?? null)],
  ];
  const linkList = (names: string[]) =>
    names.length
      ? names.map((n) =>
          el('a', { href: `#/run/${encodeURIComponent(n)}`, textContent: n, style: 'margin-right:10px' }),
        )
      : ['none'];
  const metricNames = [...new Set(rows.flatMap((r) => Object.keys(r)))].filter(
    (k) => !['step', 'epoch', 'time'].includes(k),
  );
  const charts = metricNames.map((m) => {
    const pts = rows
      .map((r, i) => ({ x: typeof r.step === 'number' ? r.step : i, y: num(r[m] as number) }))
      .filter((p) => Number.isFinite(p.y));
    return pts.length > 1
      ? chart([{ name: m, x: pts.map((p) => p.x), y: pts.map((p) => p.y) }], {
          title: m,
          log: false,
          smooth: 0,
          width: 520,
        })
      : el('span');
  });
  const log = el('pre', { textContent: '' });
  const loadLog = async () => {
    log.textContent = await api<string>(`/api/runs/${encodeURIComponent(name)}/log/stdout?tail=200`).catch(
      () => '',
    );
  };
  await loadLog();
  clearInterval(follow);
  if (run.status === 'running') follow = window.setInterval(loadLog, 2000);
  const download = (p: string) =>
    `/api/runs/${encodeURIComponent(name)}/file/${p.split('/').map(encodeURIComponent).join('/')}${token ? `?token=${token}` : ''}`;
  main().replaceChildren(
    el('h2', { textContent: run.name }),
    el('div', {}, 'sources: ', ...linkList(run.sources), ' · used by: ', ...linkList(run.dependents)),
    el(
      'div',
      { className: 'grid' },
      el(
        'div',
        {},
        el('h2', { textContent: 'config' }),
        el('pre', { textContent: JSON.stringify(run.config, null, 2) }),
      ),
      el(
        'div',
        {},
        el('h2', { textContent: 'effective config (what the code used)' }),
        el('pre', {
          textContent: run.effective
            ? JSON.stringify(run.effective.values, null, 2)
            : 'not recorded (the script does not use the TypeScript API)',
        }),
        ...(run.effective?.unread ?? []).map((u) => el('p', { className: 'warn', textContent: u.message })),
      ),
    ),
    el('h2', { textContent: 'record' }),
    el(
      'table',
      { className: 'diff' },
      ...facts.map(([k, v]) =>
        el('tr', {}, el('th', { textContent: String(k) }), el('td', { textContent: fmt(v as Json) })),
      ),
    ),
    el('h2', { textContent: 'metrics' }),
    el('div', { className: 'grid' }, ...charts),
    el('h2', { textContent: run.status === 'running' ? 'stdout (following)' : 'stdout (tail)' }),
    log,
    el('h2', { textContent: 'files' }),
    el(
      'ul',
      {},
      ...run.files.map((f) =>
        el('li', {}, el('a', { href: download(f.path), textContent: f.path }), ` ${f.size} bytes`),
      ),
    ),
  );
}

// --- graph and tree -----------------------------------------------------------------------

const STATUS_COLOR: Record<string, string> = {
  done: '#59a14f',
  missing: '#bab0ac',
  failed: '#e15759',
  crashed: '#e15759',
  running: '#4e79a7',
  interrupted: '#f28e2b',
  stale: '#edc948',
};

async function graphPage(): Promise<void> {
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

async function treePage(params: URLSearchParams): Promise<void> {
  const sel = params.get('sel') ?? '';
  const text = await api<string>(`/api/tree.svg${sel ? `?runs=${sel}` : ''}`).catch((e: Error) => e.message);
  const doc = new DOMParser().parseFromString(text, 'image/svg+xml');
  const svg = doc.documentElement;
  main().replaceChildren(
    el('h2', { textContent: sel ? 'Family tree of the selected results' : 'Family tree of all results' }),
    svg.nodeName === 'svg' ? document.importNode(svg, true) : el('p', { textContent: text }),
  );
}

// --- routing and live updates -------------------------------------------------------------

async function render(): Promise<void> {
  const { page, arg, params } = route();
  for (const a of document.querySelectorAll('header nav a'))
    a.classList.toggle('active', (a as HTMLElement).dataset.page === page);
  try {
    if (page === 'compare') await comparePage(params);
    else if (page === 'run') await runPage(arg);
    else if (page === 'graph') await graphPage();
    else if (page === 'tree') await treePage(params);
    else await runsPage(params);
  } catch (error) {
    main().replaceChildren(el('p', { className: 'warn', textContent: String((error as Error).message) }));
  }
}

window.addEventListener('hashchange', () => void render());
void render();

const events = new EventSource(`/api/events${token ? `?token=${token}` : ''}`);
let first = true;
events.addEventListener('runs', () => {
  const live = document.getElementById('live');
  if (live) live.textContent = `live · ${new Date().toLocaleTimeString()}`;
  if (first) {
    first = false;
    return;
  }
  const { page } = route();
  if (page === 'runs' || page === 'run') void render();
});
