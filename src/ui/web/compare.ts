// The dashboard's compare page and the chart it shares with the run page.
import uPlot from 'uplot';
import { COLORS, movingAverage } from '../../plot/svg.ts';
import { formatTick } from '../../run/format.ts';
import { api, el, fmt, go, type Json, live, main, replaceRoute, runsQuery } from './dom.ts';

// --- charts -------------------------------------------------------------------------------

/** An axis value that fits (run/format.ts). */
export const tick = formatTick;

export interface Chart {
  box: HTMLElement;
  /** New data; the zoom the reader chose stays. */
  update(series: { name: string; x: number[]; y: number[] }[]): void;
}

function aligned(series: { name: string; x: number[]; y: number[] }[], log: boolean, smooth: number) {
  const xs = [...new Set(series.flatMap((s) => s.x))].sort((a, b) => a - b);
  const index = new Map(xs.map((x, i) => [x, i]));
  const data: (number | null)[][] = [xs];
  const column = (s: { x: number[] }, ys: number[]) => {
    const col: (number | null)[] = new Array(xs.length).fill(null);
    s.x.forEach((x, i) => {
      const y = ys[i] as number;
      col[index.get(x) as number] = log && y <= 0 ? null : y;
    });
    return col;
  };
  for (const s of series) data.push(column(s, movingAverage(s.y, smooth)));
  // smoothed: the raw line stays behind, faded, at full resolution
  if (smooth > 0) for (const s of series) data.push(column(s, s.y));
  return data as uPlot.AlignedData;
}

/**
 * Several series on one uPlot chart: zoom by dragging (kept across updates), values on hover,
 * log scale, axis labels that fit, a single point drawn as a point, and a width that follows
 * its container.
 */
export function chart(
  series: { name: string; x: number[]; y: number[] }[],
  opts: { title: string; log: boolean; smooth: number; xLabel?: string },
): Chart {
  const box = el('div', { className: 'chart' });
  const lonely = series.every((s) => s.x.length <= 1);
  // steps are whole numbers: no tick at step 0.2
  const whole = series.every((s) => s.x.every(Number.isInteger));
  const incrs = whole
    ? [1, 2, 5].flatMap((m) => [1, 10, 100, 1e3, 1e4, 1e5, 1e6, 1e7].map((p) => m * p)).sort((a, b) => a - b)
    : undefined;
  const plot = new uPlot(
    {
      title: opts.title,
      width: 400,
      height: 300,
      scales: { x: { time: false }, y: { distr: opts.log ? 3 : 1 } },
      axes: [
        { values: (_u, vals) => vals.map(tick), label: opts.xLabel ?? 'step', ...(incrs ? { incrs } : {}) },
        { values: (_u, vals) => vals.map(tick), size: 70 },
      ],
      series: [
        { label: opts.xLabel ?? 'step', value: (_u, v) => tick(v) },
        ...series.map((s, i) => ({
          label: s.name,
          stroke: COLORS[i % COLORS.length],
          width: 1.5,
          spanGaps: true,
          value: (_u: uPlot, v: number | null) => tick(v),
          points: { show: lonely ? true : undefined, size: 7 },
        })),
        ...(opts.smooth > 0
          ? series.map((s, i) => ({
              label: `${s.name} (raw)`,
              stroke: `${COLORS[i % COLORS.length]}40`,
              width: 1,
              spanGaps: true,
              value: (_u: uPlot, v: number | null) => tick(v),
            }))
          : []),
      ],
      // hovering near a line brings its run forward and fades the others
      focus: { alpha: 0.3 },
      cursor: { focus: { prox: 16 } },
    },
    aligned(series, opts.log, opts.smooth),
    box,
  );
  // as wide as its place on the page, now and when the window changes
  const fit = () => {
    const width = Math.max(240, Math.floor(box.clientWidth - 12));
    if (width !== plot.width) plot.setSize({ width, height: 300 });
  };
  new ResizeObserver(fit).observe(box);
  requestAnimationFrame(fit);
  return {
    box,
    update: (next) => plot.setData(aligned(next, opts.log, opts.smooth), false),
  };
}

// --- compare ------------------------------------------------------------------------------

type Summary = { final: number; best: number; min: number; max: number; count: number } | null;
type Series = {
  metrics: string[];
  xs: string[];
  series: { name: string; x: number[]; y: number[]; summary: Summary }[];
};

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
  const xName = params.get('x') ?? 'step';
  const smooth = Number(params.get('smooth') ?? 0);
  const asked = params.get('metric') ?? '';
  const query = runsQuery(sel);
  const seriesOf = (m: string) =>
    api<Series>(`/api/series?${query}&metric=${encodeURIComponent(m)}&x=${encodeURIComponent(xName)}`);
  const [diff, first] = await Promise.all([
    api<{
      keys: string[];
      rows: { name: string; values: Record<string, { value: Json; default?: boolean }> }[];
    }>(`/api/diff?${query}`),
    seriesOf(asked || 'loss'),
  ]);
  // the metric asked for, else the first one these runs logged
  const metric = asked && first.metrics.includes(asked) ? asked : (first.metrics[0] ?? asked);
  const series = metric === (asked || 'loss') ? first : await seriesOf(metric);
  const table = el('table', { className: 'diff configs' });
  table.append(
    el('tr', {}, el('th', { textContent: 'name' }), ...diff.keys.map((k) => el('th', { textContent: k }))),
  );
  for (const row of diff.rows) {
    const tr = el(
      'tr',
      {},
      el('td', {}, el('a', { href: `#/run/${encodeURIComponent(row.name)}`, textContent: row.name })),
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
  const state = {
    sel,
    metric,
    log: log ? '1' : '',
    smooth: smooth ? String(smooth) : '',
    x: xName === 'step' ? '' : xName,
  };
  if (metric !== asked) replaceRoute('compare', state);
  const metricSelect = el('select', { title: 'metric' });
  for (const m of series.metrics)
    metricSelect.append(el('option', { value: m, textContent: m, selected: m === metric }));
  metricSelect.onchange = () => go('compare', { ...state, metric: metricSelect.value });
  const logBox = el('input', { type: 'checkbox', checked: log });
  logBox.onchange = () => go('compare', { ...state, log: logBox.checked ? '1' : '' });
  const smoothInput = el('input', { type: 'number', min: '0', value: String(smooth), style: 'width:60px' });
  smoothInput.onchange = () => go('compare', { ...state, smooth: smoothInput.value });
  const xSelect = el('select', { title: 'x axis' });
  for (const x of series.xs)
    xSelect.append(el('option', { value: x, textContent: x, selected: x === xName }));
  xSelect.onchange = () => go('compare', { ...state, x: xSelect.value });
  const withData = series.series.filter((s) => s.x.length);
  const missing = series.series.filter((s) => !s.x.length).map((s) => s.name);
  const drawn = withData.length ? chart(withData, { title: metric, log, smooth, xLabel: xName }) : undefined;
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
        el('td', { textContent: s.name }),
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
    save(`${metric}.csv`, URL.createObjectURL(new Blob([toCsv(xName, withData)], { type: 'text/csv' })));
  main().replaceChildren(
    el('h2', { textContent: diff.keys.length ? 'How the configs differ' : 'The configs do not differ' }),
    el('div', { className: 'scroll' }, table),
    el('h2', { textContent: 'Metrics' }),
    series.metrics.length
      ? el(
          'div',
          { className: 'toolbar' },
          'metric ',
          metricSelect,
          ' x ',
          xSelect,
          el('label', {}, logBox, ' log scale'),
          el('label', {}, ' smooth ', smoothInput),
          png,
          csv,
        )
      : el('p', { className: 'muted', textContent: 'These runs logged no metrics.' }),
    missing.length && metric
      ? el('p', { className: 'warn', textContent: `no "${metric}" in ${missing.join(', ')}` })
      : '',
    drawn?.box ?? '',
    series.metrics.length ? el('div', { className: 'scroll' }, summary) : '',
  );
  // live curves: new points arrive, the zoom stays
  live.refresh = async () => {
    const next = await seriesOf(metric);
    drawn?.update(withData.map((s) => next.series.find((n) => n.name === s.name) ?? s));
  };
}
