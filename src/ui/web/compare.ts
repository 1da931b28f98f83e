// The dashboard's compare page and the chart it shares with the run page.
import { scaleLinear } from 'd3-scale';
import uPlot from 'uplot';
import { colorMap, groupRuns, meanBand, metricPanels, splitOf } from '../../compare/panels.ts';
import { COLORS, movingAverage } from '../../plot/svg.ts';
import { formatTick } from '../../run/format.ts';
import { api, el, fmt, go, href, type Json, live, main, replaceRoute, runsQuery } from './dom.ts';
import { type SweepInput, sweepView } from './sweep.ts';

// --- charts -------------------------------------------------------------------------------

/** An axis value that fits (run/format.ts). */
export const tick = formatTick;

export interface Chart {
  box: HTMLElement;
  /** New data; the zoom the reader chose stays. */
  update(series: Line[]): void;
  /** Brings forward the lines of one run (null: all alike), as hovering does. */
  focus(run: string | null): void;
  /** Shows this range of x (null: all of it), as the reader's drag does. */
  zoomTo(range: Zoom): void;
}

/** A range of the x axis the reader zoomed to; null for all of it. */
export type Zoom = [number, number] | null;

/** `zoom=a,b` of the URL. */
export function parseZoom(text: string | null): Zoom {
  const [a, b] = (text ?? '').split(',').map(Number);
  return a !== undefined && b !== undefined && Number.isFinite(a) && Number.isFinite(b) && a < b
    ? [a, b]
    : null;
}

/** One line of a chart: its points, and optionally its run, colour and dash pattern. */
export interface Line {
  name: string;
  x: number[];
  y: number[];
  /** The run the line belongs to (for highlighting it across charts); else its name. */
  run?: string;
  color?: string;
  dash?: number[];
  /** A group's lowest and highest value at each x: drawn as a shaded band behind its mean. */
  band?: { lo: number[]; hi: number[] };
}

function aligned(series: Line[], log: boolean, smooth: number, logX = false) {
  // on a log x axis, x <= 0 (step 0) has no place
  const xs = [...new Set(series.flatMap((s) => s.x))].filter((x) => !logX || x > 0).sort((a, b) => a - b);
  const index = new Map(xs.map((x, i) => [x, i]));
  const data: (number | null)[][] = [xs];
  const column = (s: { x: number[] }, ys: number[]) => {
    const col: (number | null)[] = new Array(xs.length).fill(null);
    s.x.forEach((x, i) => {
      const at = index.get(x);
      if (at === undefined) return;
      const y = ys[i] as number;
      col[at] = log && y <= 0 ? null : y;
    });
    return col;
  };
  for (const s of series) data.push(column(s, movingAverage(s.y, smooth)));
  // smoothed: the raw line stays behind, faded, at full resolution
  if (smooth > 0) for (const s of series) data.push(column(s, s.y));
  // a group's spread: its highest and lowest values, a band between them
  for (const s of series) if (s.band) data.push(column(s, s.band.hi), column(s, s.band.lo));
  return data as uPlot.AlignedData;
}

/** `rgb(r, g, b)` as `#rrggbb`: the charts add an alpha to a colour by appending two digits. */
function hex(rgb: string): string {
  const parts = rgb.match(/\d+/g)?.slice(0, 3) ?? [];
  return `#${parts.map((p) => Number(p).toString(16).padStart(2, '0')).join('')}`;
}

/**
 * Colours by one key's value: numbers on a gradient from dark blue (lowest) to yellow (highest),
 * on a log scale when they span decades; texts and other values a palette colour each; a run
 * without the key grey.
 */
function colorsByValue(rows: SweepInput['rows'], key: string): Map<string, string> {
  const values = rows.map((r) => r.values[key]?.value);
  const nums = values.filter((v): v is number => typeof v === 'number' && Number.isFinite(v));
  const out = new Map<string, string>();
  if (nums.length && nums.length === values.filter((v) => v !== undefined).length) {
    const lo = Math.min(...nums);
    const hi = Math.max(...nums);
    const log = lo > 0 && hi / lo >= 100;
    const t = (v: number) =>
      hi === lo ? 0.5 : log ? Math.log(v / lo) / Math.log(hi / lo) : (v - lo) / (hi - lo);
    const ramp = scaleLinear<string>().domain([0, 0.5, 1]).range(['#253494', '#41b6c4', '#e3c800']);
    rows.forEach((r, i) => {
      const v = values[i];
      out.set(r.name, typeof v === 'number' ? hex(ramp(t(v))) : '#999999');
    });
    return out;
  }
  const palette = colorMap(
    [...new Set(values.filter((v) => v !== undefined).map((v) => JSON.stringify(v)))],
    COLORS,
  );
  rows.forEach((r, i) => {
    const v = values[i];
    out.set(r.name, v === undefined ? '#999999' : (palette.get(JSON.stringify(v)) as string));
  });
  return out;
}

/** The uPlot series indices of each band (its max and min series) and the line it belongs to. */
function bandsOf(series: Line[], smooth: number): [number, number, number][] {
  let next = 1 + series.length * (smooth > 0 ? 2 : 1);
  const out: [number, number, number][] = [];
  series.forEach((s, i) => {
    if (!s.band) return;
    out.push([next, next + 1, i]);
    next += 2;
  });
  return out;
}

/** A run hovered on one chart is brought forward on the others (set while one chart tells them). */
let echoing = false;

/**
 * Several series on one uPlot chart: zoom by dragging (kept across updates), values on hover,
 * log scale, axis labels that fit, a single point drawn as a point, and a width that follows
 * its container. `onFocus` hears which run the reader hovers.
 */
export function chart(
  series: Line[],
  opts: {
    title: string;
    log: boolean;
    /** A log x axis (points at x <= 0 left out). */
    logX?: boolean;
    smooth: number;
    xLabel?: string;
    height?: number;
    onFocus?: (run: string | null) => void;
    /** The range to show first (from the URL), and where to tell a new zoom. */
    zoom?: Zoom;
    onZoom?: (range: Zoom) => void;
  },
): Chart {
  let told = false;
  const box = el('div', { className: 'chart' });
  const height = opts.height ?? 300;
  const lonely = series.every((s) => s.x.length <= 1);
  // steps are whole numbers: no tick at step 0.2
  const whole = !opts.logX && series.every((s) => s.x.every(Number.isInteger));
  const incrs = whole
    ? [1, 2, 5].flatMap((m) => [1, 10, 100, 1e3, 1e4, 1e5, 1e6, 1e7].map((p) => m * p)).sort((a, b) => a - b)
    : undefined;
  const colorOf = (s: Line, i: number) => s.color ?? (COLORS[i % COLORS.length] as string);
  const runs = series.map((s) => s.run ?? s.name);
  const plot = new uPlot(
    {
      title: opts.title,
      width: 400,
      height,
      scales: { x: { time: false, distr: opts.logX ? 3 : 1 }, y: { distr: opts.log ? 3 : 1 } },
      axes: [
        { values: (_u, vals) => vals.map(tick), label: opts.xLabel ?? 'step', ...(incrs ? { incrs } : {}) },
        { values: (_u, vals) => vals.map(tick), size: 70 },
      ],
      series: [
        { label: opts.xLabel ?? 'step', value: (_u, v) => tick(v) },
        ...series.map((s, i) => ({
          label: s.name,
          stroke: colorOf(s, i),
          width: 1.5,
          ...(s.dash ? { dash: s.dash } : {}),
          spanGaps: true,
          value: (_u: uPlot, v: number | null) => tick(v),
          points: { show: lonely ? true : undefined, size: 7 },
        })),
        ...(opts.smooth > 0
          ? series.map((s, i) => ({
              label: `${s.name} (raw)`,
              stroke: `${colorOf(s, i)}40`,
              width: 1,
              ...(s.dash ? { dash: s.dash } : {}),
              spanGaps: true,
              value: (_u: uPlot, v: number | null) => tick(v),
            }))
          : []),
        ...series.flatMap((s, i) =>
          s.band
            ? ['max', 'min'].map((end) => ({
                label: `${s.name} (${end})`,
                stroke: `${colorOf(s, i)}00`,
                width: 0,
                points: { show: false },
                spanGaps: true,
                value: (_u: uPlot, v: number | null) => tick(v),
              }))
            : [],
        ),
      ],
      bands: bandsOf(series, opts.smooth).map(([hi, lo, i]) => ({
        series: [hi, lo] as [number, number],
        fill: `${colorOf(series[i] as Line, i)}30`,
      })),
      // hovering near a line brings its run forward and fades the others
      focus: { alpha: 0.3 },
      cursor: { focus: { prox: 16 } },
      hooks: {
        setSeries: [
          (_u, index) => {
            if (echoing || !opts.onFocus) return;
            opts.onFocus(index === null || index === 0 ? null : (runs[(index - 1) % runs.length] ?? null));
          },
        ],
        // a drag zooms, a double click shows everything: told to the page (URL, other panels)
        setScale: [
          (u, key) => {
            if (key !== 'x' || echoing || !told || !opts.onZoom) return;
            const xs = u.data[0];
            const { min, max } = u.scales.x ?? {};
            if (min === undefined || max === undefined || min === null || max === null) return;
            const whole =
              xs.length === 0 || (min <= (xs[0] as number) && max >= (xs[xs.length - 1] as number));
            opts.onZoom(whole ? null : [min, max]);
          },
        ],
      },
    },
    aligned(series, opts.log, opts.smooth, opts.logX),
    box,
  );
  // as wide as its place on the page, now and when the window changes
  const fit = () => {
    const width = Math.max(240, Math.floor(box.clientWidth - 12));
    if (width !== plot.width) plot.setSize({ width, height });
  };
  new ResizeObserver(fit).observe(box);
  requestAnimationFrame(fit);
  const zoomTo = (range: Zoom) => {
    const xs = plot.data[0];
    if (!range && xs.length === 0) return;
    echoing = true;
    try {
      plot.setScale(
        'x',
        range ? { min: range[0], max: range[1] } : { min: xs[0] as number, max: xs[xs.length - 1] as number },
      );
    } finally {
      echoing = false;
    }
  };
  if (opts.zoom) zoomTo(opts.zoom);
  told = true;
  return {
    box,
    zoomTo,
    update: (next) => plot.setData(aligned(next, opts.log, opts.smooth, opts.logX), false),
    focus: (run) => {
      echoing = true;
      try {
        const i = run === null ? -1 : runs.indexOf(run);
        plot.setSeries(i < 0 ? null : i + 1, { focus: i >= 0 });
      } finally {
        echoing = false;
      }
    },
  };
}

// --- compare ------------------------------------------------------------------------------

type Summary = { final: number; best: number; min: number; max: number; count: number } | null;
type Series = {
  metrics: string[];
  xs: string[];
  series: { name: string; metric: string; x: number[]; y: number[]; summary: Summary }[];
};

/** Dash patterns for the splits of a panel: the first solid, validation dashed, test dotted. */
export const PANEL_DASHES: (number[] | undefined)[] = [undefined, [6, 4], [2, 3], [10, 3, 2, 3]];

/** The chart's data as CSV: one row per x, one column per run (empty where a run has no point). */
function toCsv(xName: string, series: { name: string; x: number[]; y: number[] }[]): string {
  const xs = [...new Set(series.flatMap((s) => s.x))].sort((a, b) => a - b);
  const maps = series.map((s) => new Map(s.x.map((x, i) => [x, s.y[i]])));
  const quote = (t: string) => (/[",\r\n]/.test(t) ? `"${t.replaceAll('"', '""')}"` : t);
  const lines = [[xName, ...series.map((s) => s.name)].map(quote).join(',')];
  for (const x of xs) lines.push([x, ...maps.map((m) => m.get(x) ?? '')].join(','));
  return `${lines.join('\r\n')}\r\n`;
}

/** Saves a file the page made (a chart's PNG or CSV). */
function save(name: string, href: string): void {
  const a = el('a', { href, download: name });
  document.body.append(a);
  a.click();
  a.remove();
}

export async function comparePage(params: URLSearchParams): Promise<void> {
  const sel = params.getAll('sel');
  if (sel.length === 0) {
    main().replaceChildren(el('p', { textContent: 'Select runs on the Runs page, then Compare.' }));
    return;
  }
  const log = params.get('log') === '1';
  const logX = params.get('logx') === '1';
  const xName = params.get('x') ?? 'step';
  const smooth = Number(params.get('smooth') ?? 0);
  const asked = params.get('metric') ?? '';
  const query = runsQuery(sel);
  const seriesOf = (metrics: string[], points?: number) =>
    api<Series>(
      `/api/series?${query}${metrics.map((m) => `&metric=${encodeURIComponent(m)}`).join('')}&x=${encodeURIComponent(xName)}${points ? `&points=${points}` : ''}`,
    );
  const [diff, first] = await Promise.all([
    api<{
      keys: string[];
      rows: { name: string; values: Record<string, { value: Json; default?: boolean }> }[];
      /** Names with no result folder: removed, moved to the attic, or misspelt in the address. */
      missing?: string[];
    }>(`/api/diff?${query}`),
    seriesOf([asked || 'loss']),
  ]);
  // a colour per run, or by a key's value (colour=lr: a gradient for numbers, a colour per text)
  const colorKey = diff.keys.includes(params.get('colour') ?? '') ? (params.get('colour') as string) : '';
  const colors = colorKey
    ? colorsByValue(diff.rows, colorKey)
    : colorMap(
        diff.rows.map((r) => r.name),
        COLORS,
      );
  const table = el('table', { className: 'diff configs' });
  table.append(
    el('tr', {}, el('th', { textContent: 'name' }), ...diff.keys.map((k) => el('th', { textContent: k }))),
  );
  for (const row of diff.rows) {
    const tr = el(
      'tr',
      {},
      el(
        'td',
        {},
        el('span', { className: 'swatch', style: `background:${colors.get(row.name)}` }),
        el('a', { href: `#/run/${encodeURIComponent(row.name)}`, textContent: row.name }),
      ),
    );
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
  // group runs: by a key's value, or every key but one (seeds); a mean line and a band each
  const groupAsked = params.get('group') ?? '';
  const groupKey = groupAsked.replace(/^-/, '');
  const grouping: Grouping | undefined =
    groupAsked && diff.keys.includes(groupKey)
      ? (() => {
          const of = groupRuns(diff.rows, diff.keys, groupAsked);
          return { of, colors: colorMap([...new Set(of.values())], COLORS) };
        })()
      : undefined;
  const zoom = parseZoom(params.get('zoom'));
  const state = {
    sel,
    zoom: zoom ? zoom.join(',') : '',
    colour: colorKey,
    group: grouping ? groupAsked : '',
    metric: asked,
    log: log ? '1' : '',
    logx: logX ? '1' : '',
    smooth: smooth ? String(smooth) : '',
    x: xName === 'step' ? '' : xName,
  };
  // a metric asked for that these runs never logged: back to the panels of what they did log
  if (asked && !first.metrics.includes(asked)) {
    replaceRoute('compare', { ...state, metric: '' });
    state.metric = '';
  }
  const metric = state.metric;
  const metricSelect = el('select', { title: 'metric' });
  metricSelect.append(el('option', { value: '', textContent: 'every metric (panels)', selected: !metric }));
  for (const m of first.metrics)
    metricSelect.append(el('option', { value: m, textContent: m, selected: m === metric }));
  metricSelect.onchange = () => go('compare', { ...state, metric: metricSelect.value });
  const logBox = el('input', { type: 'checkbox', checked: log });
  logBox.onchange = () => go('compare', { ...state, log: logBox.checked ? '1' : '' });
  const logXBox = el('input', { type: 'checkbox', checked: logX });
  logXBox.onchange = () => go('compare', { ...state, logx: logXBox.checked ? '1' : '', zoom: '' });
  const smoothInput = el('input', { type: 'number', min: '0', value: String(smooth), style: 'width:60px' });
  smoothInput.onchange = () => go('compare', { ...state, smooth: smoothInput.value });
  const xSelect = el('select', { title: 'x axis' });
  for (const x of first.xs) xSelect.append(el('option', { value: x, textContent: x, selected: x === xName }));
  // another x axis: the zoom on the old one means nothing
  xSelect.onchange = () => go('compare', { ...state, x: xSelect.value, zoom: '' });
  // a zoom is kept in the URL (a link shows the same range), without drawing the page again
  const setZoom = (range: Zoom) => {
    state.zoom = range ? range.map((v) => Number(v.toPrecision(6))).join(',') : '';
    replaceRoute('compare', state);
  };
  const colourSelect = el('select', { title: 'colour runs' });
  colourSelect.append(el('option', { value: '', textContent: 'a colour per run', selected: !colorKey }));
  for (const k of diff.keys)
    colourSelect.append(el('option', { value: k, textContent: `colour by ${k}`, selected: colorKey === k }));
  colourSelect.onchange = () => go('compare', { ...state, colour: colourSelect.value });
  const groupSelect = el('select', { title: 'group runs' });
  groupSelect.append(el('option', { value: '', textContent: 'each run', selected: !grouping }));
  for (const k of diff.keys)
    groupSelect.append(
      el('option', { value: k, textContent: `group by ${k}`, selected: state.group === k }),
      el('option', { value: `-${k}`, textContent: `group all but ${k}`, selected: state.group === `-${k}` }),
    );
  groupSelect.onchange = () => go('compare', { ...state, group: groupSelect.value });
  const toolbar = el(
    'div',
    { className: 'toolbar' },
    'metric ',
    metricSelect,
    ...(diff.keys.length ? [' ', groupSelect, ' ', colourSelect] : []),
    ' x ',
    xSelect,
    el('label', {}, logBox, ' log y'),
    el('label', {}, logXBox, ' log x'),
    el('label', {}, ' smooth ', smoothInput),
  );
  const look: Look = { log, logX, smooth, xName, colors, grouping, zoom, setZoom };
  const view = metric
    ? await singleView(metric === (asked || 'loss') ? first : await seriesOf([metric]), look, {
        metric,
        toolbar,
        refresh: () => seriesOf([metric]),
      })
    : await panelsView(first.metrics, look, { state, fetch: seriesOf, diff });
  const missing = diff.missing ?? [];
  main().replaceChildren(
    ...(missing.length
      ? [
          el('p', {
            className: 'warn',
            textContent: `No run named ${missing.map((n) => `"${n}"`).join(', ')} (removed, moved to the attic, or misspelt): not shown.`,
          }),
        ]
      : []),
    el('h2', { textContent: diff.keys.length ? 'How the configs differ' : 'The configs do not differ' }),
    el('div', { className: 'scroll' }, table),
    el('h2', { textContent: 'Metrics' }),
    first.metrics.length
      ? toolbar
      : el('p', { className: 'muted', textContent: 'These runs logged no metrics.' }),
    ...view.nodes,
  );
  // live curves: new points arrive, the zoom stays
  live.refresh = view.refresh;
}

interface View {
  nodes: (Node | string)[];
  refresh: () => Promise<void>;
}

/** What every chart of the page shares: its scales, smoothing, x axis, colours, groups and zoom. */
interface Look {
  log: boolean;
  logX: boolean;
  smooth: number;
  xName: string;
  colors: Map<string, string>;
  grouping: Grouping | undefined;
  zoom: Zoom;
  setZoom: (range: Zoom) => void;
}

/** A chart's options from the page's look. */
const chartLook = (look: Look) => ({
  log: look.log,
  logX: look.logX,
  smooth: look.smooth,
  xLabel: look.xName,
  zoom: look.zoom,
  onZoom: look.setZoom,
});

/** Lines of one metric, coloured by run; `dash` for the split they measure in a panel. */
function linesOf(
  data: Series['series'],
  colors: Map<string, string>,
  label: (s: Series['series'][number]) => string,
  dashOf: (metric: string) => number[] | undefined = () => undefined,
  groups?: Grouping,
): Line[] {
  const drawn = data.filter((s) => s.x.length);
  if (!groups)
    return drawn.map((s) => ({
      name: label(s),
      run: s.name,
      x: s.x,
      y: s.y,
      color: colors.get(s.name),
      dash: dashOf(s.metric),
    }));
  // grouped: a line per group and metric, the mean of its runs, their spread as a band
  const buckets = new Map<
    string,
    { group: string; first: Series['series'][number]; lines: Series['series'] }
  >();
  for (const s of drawn) {
    const group = groups.of.get(s.name) ?? s.name;
    const key = `${group}\0${s.metric}`;
    const bucket = buckets.get(key);
    if (bucket) bucket.lines.push(s);
    else buckets.set(key, { group, first: s, lines: [s] });
  }
  return [...buckets.values()].map(({ group, first, lines }) => {
    const band = meanBand(lines);
    const runs = lines.length === 1 ? '1 run' : `${lines.length} runs`;
    return {
      name: `${label({ ...first, name: group })} (${runs})`,
      run: group,
      x: band.x,
      y: band.y,
      color: groups.colors.get(group),
      dash: dashOf(first.metric),
      ...(lines.length > 1 ? { band: { lo: band.lo, hi: band.hi } } : {}),
    };
  });
}

/** The runs' groups (compare's "group" choice) and a colour for each group. */
interface Grouping {
  of: Map<string, string>;
  colors: Map<string, string>;
}

/**
 * A panel for every quantity the runs logged (train, validation and test of it overlaid: one
 * colour per run, one dash per split); hovering a run on one panel brings it forward on all.
 * Metrics every run logged once at most (a final accuracy) go to a table of values instead.
 * Each run's final and best value of every metric below.
 */
async function panelsView(
  metrics: string[],
  look: Look,
  o: {
    state: Record<string, string | string[]>;
    fetch: (metrics: string[], points?: number) => Promise<Series>;
    diff: { keys: string[]; rows: SweepInput['rows'] };
  },
): Promise<View> {
  if (!metrics.length) return { nodes: [], refresh: async () => {} };
  // panels are narrower than the single chart: fewer points each
  const POINTS = 1000;
  const data = await o.fetch(metrics, POINTS);
  const lined = new Set(data.series.filter((s) => s.x.length > 1).map((s) => s.metric));
  const panels = metricPanels(metrics.filter((m) => lined.has(m)));
  const single = metrics.filter((m) => !lined.has(m));
  const charts: Chart[] = [];
  const focusAll = (run: string | null) => {
    for (const c of charts) c.focus(run);
  };
  const build = (panel: (typeof panels)[number], all: Series['series']) => {
    const dashOf = (m: string) => PANEL_DASHES[panel.metrics.indexOf(m) % PANEL_DASHES.length];
    const many = panel.metrics.length > 1;
    const label = (s: Series['series'][number]) =>
      many ? `${s.name} · ${splitOf(s.metric).split ?? s.metric}` : s.name;
    return linesOf(
      all.filter((s) => panel.metrics.includes(s.metric)),
      look.colors,
      label,
      dashOf,
      look.grouping,
    );
  };
  const grid = el('div', { className: 'grid panels' });
  for (const panel of panels) {
    const drawn = chart(build(panel, data.series), {
      ...chartLook(look),
      title: panel.quantity,
      height: 240,
      onFocus: focusAll,
      // one zoom for every panel: their x axes stay the same
      onZoom: (range) => {
        for (const c of charts) if (c !== drawn) c.zoomTo(range);
        look.setZoom(range);
      },
    });
    charts.push(drawn);
    const open = el('a', {
      href: href('compare', { sel: o.state.sel, metric: panel.metrics[0] }),
      textContent: panel.metrics.join(', '),
      title: 'this metric alone, with its PNG and CSV',
      className: 'panel-link',
    });
    grid.append(el('div', { className: 'panel' }, drawn.box, open));
  }
  // each run's summary of each metric: for the table of final and best values and the sweep
  const summaries = new Map<string, Map<string, Summary>>();
  for (const s of data.series) {
    const of = summaries.get(s.name) ?? new Map<string, Summary>();
    of.set(s.metric, s.summary);
    summaries.set(s.name, of);
  }
  const summary = el('table', { className: 'diff summary' });
  summary.append(
    el(
      'tr',
      {},
      el('th', { textContent: 'name' }),
      ...metrics.flatMap((m) =>
        single.includes(m)
          ? [el('th', { textContent: m })]
          : [el('th', { textContent: `${m} final` }), el('th', { textContent: `${m} best` })],
      ),
    ),
  );
  for (const [run, of] of summaries)
    summary.append(
      el(
        'tr',
        {},
        el('td', {}, el('span', { className: 'swatch', style: `background:${look.colors.get(run)}` }), run),
        ...metrics.flatMap((m) => {
          const v = of.get(m);
          const cell = (n: number | undefined) =>
            n === undefined
              ? el('td', { className: 'absent', textContent: '—' })
              : el('td', { textContent: tick(n) });
          return single.includes(m) ? [cell(v?.final)] : [cell(v?.final), cell(v?.best)];
        }),
      ),
    );
  // a sweep: how the params that differ relate to a metric
  const sweep = sweepView(
    { keys: o.diff.keys, rows: o.diff.rows, summaries, metrics, colors: look.colors },
    panels[0]?.metrics.at(-1) ?? (metrics[0] as string),
  );
  return {
    nodes: [
      grid,
      el('h2', { textContent: 'Final and best values' }),
      el('div', { className: 'scroll' }, summary),
      ...(sweep ? [el('h2', { textContent: 'Sweep: the params that differ against a metric' }), sweep] : []),
    ],
    refresh: async () => {
      const next = await o.fetch(metrics, POINTS);
      for (const [i, panel] of panels.entries()) charts[i]?.update(build(panel, next.series));
    },
  };
}

/** One metric on one chart, with its PNG and CSV, and each run's final, best, min and max. */
async function singleView(
  series: Series,
  look: Look,
  o: { metric: string; toolbar: HTMLElement; refresh: () => Promise<Series> },
): Promise<View> {
  const { metric } = o;
  const withData = linesOf(series.series, look.colors, (s) => s.name, undefined, look.grouping);
  const missing = series.series.filter((s) => !s.x.length).map((s) => s.name);
  const drawn = withData.length ? chart(withData, { ...chartLook(look), title: metric }) : undefined;
  // each run's final, best, lowest and highest value of the metric, from every point logged
  const summary = el('table', { className: 'diff summary' });
  summary.append(
    el(
      'tr',
      {},
      ...['name', 'final', 'best', 'min', 'max', 'points'].map((h) => el('th', { textContent: h })),
    ),
  );
  for (const s of series.series)
    summary.append(
      el(
        'tr',
        {},
        el(
          'td',
          {},
          el('span', { className: 'swatch', style: `background:${look.colors.get(s.name)}` }),
          s.name,
        ),
        ...(s.summary
          ? [s.summary.final, s.summary.best, s.summary.min, s.summary.max].map((v) =>
              el('td', { textContent: tick(v) }),
            )
          : [el('td', { className: 'absent', textContent: `no "${metric}"`, colSpan: 4 })]),
        el('td', { textContent: String(s.summary?.count ?? 0) }),
      ),
    );
  const png = el('button', { textContent: 'PNG', title: 'save the chart as a picture' });
  png.onclick = () => {
    const canvas = drawn?.box.querySelector('canvas');
    if (canvas) save(`${metric}.png`, canvas.toDataURL('image/png'));
  };
  const csv = el('button', { textContent: 'CSV', title: "save the chart's data" });
  csv.onclick = () =>
    save(`${metric}.csv`, URL.createObjectURL(new Blob([toCsv(look.xName, withData)], { type: 'text/csv' })));
  o.toolbar.append(png, csv);
  return {
    nodes: [
      missing.length
        ? el('p', { className: 'warn', textContent: `no "${metric}" in ${missing.join(', ')}` })
        : '',
      drawn?.box ?? '',
      el('div', { className: 'scroll' }, summary),
    ],
    refresh: async () => {
      const next = await o.refresh();
      const lines = linesOf(next.series, look.colors, (s) => s.name, undefined, look.grouping);
      drawn?.update(withData.map((s) => lines.find((n) => n.name === s.name) ?? s));
    },
  };
}
