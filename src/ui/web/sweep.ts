// The compare page's sweep views: parallel coordinates over the params that differ and one
// metric, and a scatter of one param against that metric. SVG drawn from the config diff and
// each run's summary of the metric (no request of their own).
import { scaleLinear, scaleLog, scalePoint } from 'd3-scale';
import { higherIsBetter } from '../../compare/panels.ts';
import { escapeXml } from '../../plot/svg.ts';
import { tick } from './compare.ts';
import { el, type Json } from './dom.ts';

export type Summary = { final: number; best: number; min: number; max: number; count: number } | null;

export interface SweepInput {
  /** The params that differ between the runs, and each run's value (absent: undefined). */
  keys: string[];
  rows: { name: string; values: Record<string, { value: Json; default?: boolean } | undefined> }[];
  /** Each run's summary of each metric it logged. */
  summaries: Map<string, Map<string, Summary>>;
  metrics: string[];
  colors: Map<string, string>;
}

type Axis = {
  key: string;
  at: (v: Json | undefined) => number | undefined;
  ticks: { at: number; label: string }[];
};

const WIDTH = 900;
const HEIGHT = 320;
const TOP = 30;
const BOTTOM = HEIGHT - 44;
/** Where a run that lacks a param (or the metric) meets that axis: below it, at "absent". */
const ABSENT = HEIGHT - 20;

/** Few enough ticks to read: on a log axis 1, 2 and 5 of each decade (then only the 1s). */
function ticksOf(ticks: number[], log: boolean): number[] {
  if (!log) return ticks.slice(0, 8);
  const mantissa = (t: number) => Math.round(t / 10 ** Math.floor(Math.log10(t) + 1e-9));
  const some = ticks.filter((t) => [1, 2, 5].includes(mantissa(t)));
  return some.length > 8 ? ticks.filter((t) => mantissa(t) === 1) : some;
}

/** A vertical axis for a param or the metric: numbers on a linear or log scale, text as points. */
function axisOf(key: string, values: (Json | undefined)[]): Axis | null {
  const present = values.filter((v) => v !== undefined && v !== null);
  if (present.length === 0) return null;
  const axis = presentAxis(key, present);
  if (present.length === values.length) return axis;
  return {
    key,
    at: (v) => (v === undefined || v === null ? ABSENT : axis.at(v)),
    ticks: [...axis.ticks, { at: ABSENT, label: 'absent' }],
  };
}

function presentAxis(key: string, present: Json[]): Axis {
  if (present.every((v) => typeof v === 'number' && Number.isFinite(v))) {
    const nums = present as number[];
    let lo = Math.min(...nums);
    let hi = Math.max(...nums);
    // a learning rate sweep spans decades: a log axis when every value is positive and they do
    const log = lo > 0 && hi / lo >= 100;
    if (lo === hi) [lo, hi] = [lo - 1, hi + 1];
    const scale = (log ? scaleLog() : scaleLinear()).domain([lo, hi]).range([BOTTOM, TOP]);
    return {
      key,
      at: (v) => (typeof v === 'number' && Number.isFinite(v) ? scale(v) : undefined),
      // whole numbers (epochs, seeds) get whole ticks
      ticks: ticksOf(scale.ticks(5), log)
        .filter((t) => !nums.every(Number.isInteger) || Number.isInteger(t))
        .map((t) => ({ at: scale(t), label: tick(t) })),
    };
  }
  const labels = [...new Set(present.map((v) => (typeof v === 'string' ? v : JSON.stringify(v))))].sort();
  const scale = scalePoint<string>().domain(labels).range([BOTTOM, TOP]).padding(0.5);
  const text = (v: Json | undefined) =>
    v === undefined || v === null ? undefined : typeof v === 'string' ? v : JSON.stringify(v);
  return {
    key,
    at: (v) => {
      const t = text(v);
      return t === undefined ? undefined : scale(t);
    },
    ticks: labels.map((l) => ({ at: scale(l) as number, label: l.length > 14 ? `${l.slice(0, 13)}…` : l })),
  };
}

function svgAxis(x: number, axis: Axis, title: string, anchor: 'middle' | 'start' = 'middle'): string {
  const parts = [
    `<line x1="${x}" x2="${x}" y1="${TOP}" y2="${BOTTOM}" stroke="#888"/>`,
    `<text x="${x}" y="${TOP - 12}" text-anchor="${anchor}" font-weight="600" class="axis-title">${escapeXml(title)}</text>`,
  ];
  for (const t of axis.ticks)
    parts.push(
      `<line x1="${x - 3}" x2="${x}" y1="${t.at}" y2="${t.at}" stroke="#888"/>`,
      `<text x="${x - 6}" y="${t.at + 4}" text-anchor="end" font-size="11" class="tick">${escapeXml(t.label)}</text>`,
    );
  return parts.join('');
}

/**
 * Parallel coordinates (one axis per differing param, the metric last; a line per run coloured
 * by its metric value, best in the strongest colour) and a scatter of a chosen param against the
 * metric. Hover a line or point for the run and its values; click it to open the run.
 */
export function sweepView(input: SweepInput, initialMetric: string): HTMLElement | null {
  const runs = input.rows.map((r) => r.name);
  if (runs.length < 2 || input.keys.length === 0 || input.metrics.length === 0) return null;
  const box = el('div', { className: 'sweep' });
  const metricSelect = el('select', { title: 'sweep metric' });
  for (const m of input.metrics)
    metricSelect.append(el('option', { value: m, textContent: m, selected: m === initialMetric }));
  const whichSelect = el('select', { title: 'sweep value' });
  for (const w of ['final', 'best'])
    whichSelect.append(el('option', { value: w, textContent: `${w} value`, selected: w === 'final' }));
  const xSelect = el('select', { title: 'scatter x' });
  for (const k of input.keys) xSelect.append(el('option', { value: k, textContent: k }));
  const parallel = el('div', { className: 'chart sweep-chart' });
  const scatter = el('div', { className: 'chart sweep-chart' });
  const open = (event: Event) => {
    const name = (event.target as Element).closest('[data-run]')?.getAttribute('data-run');
    if (name) location.hash = `#/run/${encodeURIComponent(name)}`;
  };
  parallel.onclick = open;
  scatter.onclick = open;

  const draw = () => {
    const metric = metricSelect.value;
    const which = whichSelect.value as 'final' | 'best';
    const scoreOf = (run: string) => input.summaries.get(run)?.get(metric)?.[which];
    const params = input.keys
      .map((k) =>
        axisOf(
          k,
          input.rows.map((r) => r.values[k]?.value),
        ),
      )
      .filter((a): a is Axis => a !== null);
    const metricAxis = axisOf(metric, runs.map(scoreOf));
    if (!metricAxis || params.length === 0) {
      parallel.replaceChildren(el('p', { className: 'muted', textContent: `no run logged "${metric}"` }));
      scatter.replaceChildren();
      return;
    }
    const axes = [...params, metricAxis];
    const step = (WIDTH - 140) / Math.max(1, axes.length - 1);
    const xOf = (i: number) => 70 + i * step;
    const values = runs.map(scoreOf).filter((v): v is number => typeof v === 'number' && Number.isFinite(v));
    const better = higherIsBetter(metric);
    const lo = Math.min(...values);
    const hi = Math.max(...values);
    // the best runs in the strongest colour
    const heat = scaleLinear<string>()
      .domain(better ? [lo, hi] : [hi, lo])
      .range(['#c6dbef', '#08306b']);
    const lines: string[] = [];
    for (const row of input.rows) {
      const v = scoreOf(row.name);
      const points = axes.map((axis, i) => {
        const y = i === axes.length - 1 ? axis.at(v) : axis.at(row.values[axis.key]?.value);
        return y === undefined ? null : `${xOf(i)},${y}`;
      });
      if (points.some((p) => p === null)) continue;
      const shown = (x: Json | undefined) => (x === undefined ? 'absent' : JSON.stringify(x));
      const scored = typeof v === 'number' && Number.isFinite(v);
      const detail = [
        row.name,
        ...params.map((a) => `${a.key} = ${shown(row.values[a.key]?.value)}`),
        `${metric} (${which}) = ${scored ? tick(v) : 'absent'}`,
      ].join('\n');
      lines.push(
        `<polyline data-run="${escapeXml(row.name)}" points="${points.join(' ')}" fill="none" stroke="${scored ? heat(v) : '#bbb'}" stroke-width="2"><title>${escapeXml(detail)}</title></polyline>`,
      );
    }
    parallel.innerHTML = `<svg viewBox="0 0 ${WIDTH} ${HEIGHT}" width="100%" role="img" aria-label="parallel coordinates">${axes
      .map((a, i) => svgAxis(xOf(i), a, i === axes.length - 1 ? `${a.key} (${which})` : a.key))
      .join('')}${lines.join('')}</svg>`;

    // scatter: the chosen param against the metric, a point per run in its colour
    const xKey = xSelect.value || (params[0]?.key as string);
    const xAxisParam = axisOf(
      xKey,
      input.rows.map((r) => r.values[xKey]?.value),
    );
    if (!xAxisParam) {
      scatter.replaceChildren();
      return;
    }
    // the param's axis laid horizontally: its scale maps onto [BOTTOM, TOP]; mirror it onto x
    const across = (y: number) => 70 + ((BOTTOM - y) / (BOTTOM - TOP)) * (WIDTH - 140);
    const xPixel = (v: Json | undefined) => {
      const y = xAxisParam.at(v);
      return y === undefined ? undefined : across(y);
    };
    const dots: string[] = [];
    for (const row of input.rows) {
      const value = row.values[xKey]?.value;
      const score = scoreOf(row.name);
      if (value === undefined || value === null || score === undefined) continue;
      const x = xPixel(value);
      const y = metricAxis.at(score);
      if (x === undefined || y === undefined) continue;
      dots.push(
        `<circle data-run="${escapeXml(row.name)}" cx="${x}" cy="${y}" r="5" fill="${input.colors.get(row.name) ?? '#4e79a7'}"><title>${escapeXml(`${row.name}\n${xKey} = ${JSON.stringify(row.values[xKey]?.value)}\n${metric} (${which}) = ${tick(scoreOf(row.name) as number)}`)}</title></circle>`,
      );
    }
    const xTicks = xAxisParam.ticks
      .filter((t) => t.at !== ABSENT)
      .map((t) => {
        const x = across(t.at);
        return `<line x1="${x}" x2="${x}" y1="${BOTTOM}" y2="${BOTTOM + 4}" stroke="#888"/><text x="${x}" y="${BOTTOM + 16}" text-anchor="middle" font-size="11" class="tick">${escapeXml(t.label)}</text>`;
      })
      .join('');
    scatter.innerHTML = `<svg viewBox="0 0 ${WIDTH} ${HEIGHT + 10}" width="100%" role="img" aria-label="scatter">${svgAxis(70, metricAxis, `${metric} (${which})`, 'start')}<line x1="70" x2="${WIDTH - 70}" y1="${BOTTOM}" y2="${BOTTOM}" stroke="#888"/>${xTicks}<text x="${WIDTH / 2}" y="${HEIGHT + 8}" text-anchor="middle" font-weight="600">${escapeXml(xKey)}</text>${dots.join('')}</svg>`;
  };
  metricSelect.onchange = draw;
  whichSelect.onchange = draw;
  xSelect.onchange = draw;
  draw();
  box.append(
    el('div', { className: 'toolbar' }, 'metric ', metricSelect, whichSelect, ' scatter against ', xSelect),
    parallel,
    scatter,
  );
  return box;
}
