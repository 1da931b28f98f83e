// The dashboard's compare page and the chart it shares with the run page.
import uPlot from 'uplot';
import { COLORS, movingAverage } from '../../plot/svg.ts';
import { api, el, fmt, go, type Json, main } from './dom.ts';

// --- compare ------------------------------------------------------------------------------

/** Several series on one uPlot chart (zoom by dragging, values on hover, log scale). */
export function chart(
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

export async function comparePage(params: URLSearchParams): Promise<void> {
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
