import { scaleLinear, scaleLog } from 'd3-scale';
import { line } from 'd3-shape';
import { fs, join } from '../_builtins.ts';
import { metricSeries, readMetricRows } from '../compare/metrics.ts';
import { type SelectConfigsOptions, selectConfigs } from '../compare/select.ts';
import { ReproError } from '../errors.ts';
import { findProject, type Project } from '../project/project.ts';
import { RUN_FILES } from '../run/layout.ts';
import { COLORS, escapeXml, movingAverage, svgOpen } from './svg.ts';

/** One line of a chart: a run's metric against x. */
export interface PlotSeries {
  name: string;
  points: { x: number; y: number }[];
}

export interface LoadSeriesOptions extends Pick<SelectConfigsOptions, 'cwd' | 'skipBad' | 'warn'> {
  /** The metric to plot. @default "loss" */
  metric?: string;
  /** The x key; `index` plots by row number. @default "step" */
  x?: string;
  /** Trailing moving average over this many points; 0 or 1 draws the raw values. @default 0 */
  smooth?: number;
  project?: Project;
}

export class MetricMissingError extends ReproError {
  constructor(metric: string, runs: string[]) {
    super(
      'REPRO_METRIC_MISSING',
      `no run has the metric "${metric}" (${runs.slice(0, 5).join(', ')}${runs.length > 5 ? ', ...' : ''})`,
    );
  }
}

/**
 * The chosen metric of every run. Inputs are result folders, names or globs, as for diff; a
 * config name stands for its result. Runs without the metric are named in a warning (all of
 * them missing it is an error); a run still in progress plots what it has so far.
 */
export function loadSeries(
  inputs: readonly string[],
  options: LoadSeriesOptions = {},
): { series: PlotSeries[]; missing: string[] } {
  const project = options.project ?? findProject({ cwd: options.cwd });
  const metric = options.metric ?? 'loss';
  const x = options.x ?? 'step';
  const entries = selectConfigs(inputs, { ...options, project });
  const series: PlotSeries[] = [];
  const missing: string[] = [];
  for (const e of entries) {
    const dir = e.kind === 'result' ? e.location : join(project.runsRoot, e.name);
    if (!fs.existsSync(join(dir, RUN_FILES.config))) {
      missing.push(`${e.name} (no result)`);
      continue;
    }
    const points = smooth(metricSeries(readMetricRows(dir), metric, x), options.smooth ?? 0);
    if (points.length === 0) missing.push(e.name);
    else series.push({ name: e.name, points });
  }
  if (series.length === 0)
    throw new MetricMissingError(
      metric,
      entries.map((e) => e.name),
    );
  if (missing.length) {
    const warn = options.warn ?? ((l: string) => process.stderr.write(`${l}\n`));
    warn(`repro: warning: no "${metric}" in ${missing.join(', ')}`);
  }
  return { series, missing };
}

/** Trailing moving average over `k` points. */
export function smooth(points: { x: number; y: number }[], k: number): { x: number; y: number }[] {
  const ys = movingAverage(
    points.map((p) => p.y),
    k,
  );
  return points.map((p, i) => ({ x: p.x, y: ys[i] as number }));
}

/**
 * At most two points (the lowest and the highest) per horizontal pixel: a line of 10,000
 * points draws the same at 800 pixels with 1,600, and the SVG stays small.
 */
export function decimate(points: { x: number; y: number }[], buckets: number): { x: number; y: number }[] {
  if (points.length <= buckets * 2) return points;
  const x0 = points[0]?.x ?? 0;
  const x1 = points[points.length - 1]?.x ?? 1;
  const span = x1 - x0 || 1;
  const out: { x: number; y: number }[] = [];
  let bucket = -1;
  let lo: { x: number; y: number } | undefined;
  let hi: { x: number; y: number } | undefined;
  const flush = () => {
    if (!lo || !hi) return;
    if (lo === hi) out.push(lo);
    else if (lo.x <= hi.x) out.push(lo, hi);
    else out.push(hi, lo);
  };
  for (const p of points) {
    const b = Math.min(buckets - 1, Math.floor(((p.x - x0) / span) * buckets));
    if (b !== bucket) {
      flush();
      bucket = b;
      lo = hi = p;
    } else {
      if (p.y < (lo as { y: number }).y) lo = p;
      if (p.y > (hi as { y: number }).y) hi = p;
    }
  }
  flush();
  return out;
}

/** Lines past ten repeat the colours with dashes. */
const DASHES = ['', '6 3', '2 2', '8 3 2 3'];

export interface ChartOptions {
  metric: string;
  x: string;
  logY?: boolean;
  /** @default 900 */
  width?: number;
  /** @default 500 */
  height?: number;
  title?: string;
}

/** The chart as a standalone SVG: one line per run, axes with ticks and labels, a legend. */
export function renderSvg(series: PlotSeries[], options: ChartOptions): string {
  const width = options.width ?? 900;
  const height = options.height ?? 500;
  const legendWidth = Math.min(260, 40 + 7 * Math.max(...series.map((s) => s.name.length)));
  const m = { top: options.title ? 36 : 16, right: legendWidth + 16, bottom: 48, left: 72 };
  const plotW = width - m.left - m.right;
  const plotH = height - m.top - m.bottom;
  const data = options.logY ? series.map((s) => ({ ...s, points: s.points.filter((p) => p.y > 0) })) : series;
  const xs = data.flatMap((s) => s.points.map((p) => p.x));
  const ys = data.flatMap((s) => s.points.map((p) => p.y));
  const [xMin, xMax] = extent(xs);
  const [yMin, yMax] = extent(ys);
  const x = scaleLinear()
    .domain([xMin, xMax === xMin ? xMin + 1 : xMax])
    .range([0, plotW])
    .nice();
  const y = (
    options.logY
      ? scaleLog().domain([yMin, yMax === yMin ? yMin * 10 : yMax])
      : scaleLinear().domain([yMin, yMax === yMin ? yMin + 1 : yMax])
  )
    .range([plotH, 0])
    .nice();
  const path = line<{ x: number; y: number }>()
    .x((p) => x(p.x))
    .y((p) => y(p.y));
  const yCount = options.logY ? 6 : 8;
  const xTicks = x.ticks(8);
  const yTicks = y.ticks(yCount);
  const fmtX = x.tickFormat(8, plainOrExponent(xTicks));
  const fmtY = y.tickFormat(yCount, options.logY ? '~g' : plainOrExponent(yTicks));
  const parts = svgOpen(width, height, options.title);
  parts.push(`<g transform="translate(${m.left},${m.top})">`);
  // grid and axes
  for (const t of yTicks) {
    const label = fmtY(t);
    if (!label) continue;
    parts.push(
      `<line x1="0" x2="${plotW}" y1="${y(t).toFixed(1)}" y2="${y(t).toFixed(1)}" stroke="#e5e5e5"/>`,
      `<text x="-8" y="${(y(t) + 4).toFixed(1)}" text-anchor="end" fill="#333">${escapeXml(label)}</text>`,
    );
  }
  for (const t of xTicks) {
    parts.push(
      `<line x1="${x(t).toFixed(1)}" x2="${x(t).toFixed(1)}" y1="0" y2="${plotH}" stroke="#f0f0f0"/>`,
      `<text x="${x(t).toFixed(1)}" y="${plotH + 18}" text-anchor="middle" fill="#333">${escapeXml(fmtX(t))}</text>`,
    );
  }
  parts.push(
    `<rect x="0" y="0" width="${plotW}" height="${plotH}" fill="none" stroke="#888"/>`,
    `<text x="${plotW / 2}" y="${plotH + 40}" text-anchor="middle">${escapeXml(options.x)}</text>`,
    `<text transform="translate(-56,${plotH / 2}) rotate(-90)" text-anchor="middle">${escapeXml(options.metric)}${options.logY ? ' (log)' : ''}</text>`,
  );
  // lines, clipped to the plot
  parts.push(
    `<clipPath id="plot"><rect width="${plotW}" height="${plotH}"/></clipPath><g clip-path="url(#plot)" fill="none" stroke-width="1.5">`,
  );
  data.forEach((s, i) => {
    const d = path(decimate(s.points, Math.max(1, Math.round(plotW))));
    const dash = DASHES[Math.floor(i / COLORS.length) % DASHES.length];
    parts.push(
      `<path d="${d ?? ''}" stroke="${COLORS[i % COLORS.length]}"${dash ? ` stroke-dasharray="${dash}"` : ''}><title>${escapeXml(s.name)}</title></path>`,
    );
  });
  parts.push('</g>');
  // legend
  data.forEach((s, i) => {
    const ly = 8 + i * 18;
    if (ly > plotH) return;
    const dash = DASHES[Math.floor(i / COLORS.length) % DASHES.length];
    parts.push(
      `<line x1="${plotW + 14}" x2="${plotW + 38}" y1="${ly}" y2="${ly}" stroke="${COLORS[i % COLORS.length]}" stroke-width="2"${dash ? ` stroke-dasharray="${dash}"` : ''}/>`,
      `<text x="${plotW + 44}" y="${ly + 4}">${escapeXml(s.name)}</text>`,
    );
  });
  parts.push('</g></svg>');
  return `${parts.join('\n')}\n`;
}

function extent(values: number[]): [number, number] {
  let lo = Number.POSITIVE_INFINITY;
  let hi = Number.NEGATIVE_INFINITY;
  for (const v of values) {
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  return Number.isFinite(lo) ? [lo, hi] : [0, 1];
}

/** A self-contained HTML page with the SVG chart; hovering a line names its run. Nothing is fetched. */
export function renderHtml(series: PlotSeries[], options: ChartOptions): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeXml(options.title ?? options.metric)}</title>
<style>body{font-family:sans-serif;margin:24px} path:hover{stroke-width:4}</style></head>
<body>
${renderSvg(series, options)}</body></html>
`;
}

/** PNG from the SVG, rendered by resvg (a native addon shipped in its npm package) with the system fonts. */
export async function renderPng(svg: string): Promise<Buffer> {
  const { Resvg } = await import('@resvg/resvg-js');
  return new Resvg(svg, { font: { loadSystemFonts: true, defaultFontFamily: 'DejaVu Sans' } })
    .render()
    .asPng();
}

/**
 * The chart for a terminal, through asciichart: every run resampled onto one x grid of
 * `width` columns (a run's line stays flat where it has no points), colours per run, and a
 * legend beneath.
 */
export async function renderTerminal(
  series: PlotSeries[],
  options: ChartOptions & { color?: boolean },
): Promise<string> {
  const asciichart = await import('asciichart');
  const plot = (asciichart as unknown as { default?: typeof asciichart }).default ?? asciichart;
  const columns = Math.max(20, (options.width ?? 80) - 14);
  const [xMin, xMax] = extent(series.flatMap((s) => s.points.map((p) => p.x)));
  const transform = options.logY ? (v: number) => (v > 0 ? Math.log10(v) : Number.NaN) : (v: number) => v;
  const palette = [
    plot.blue,
    plot.red,
    plot.green,
    plot.yellow,
    plot.magenta,
    plot.cyan,
    plot.lightred,
    plot.lightgreen,
  ];
  const grid = series.map((s) => {
    const values: number[] = new Array(columns).fill(Number.NaN);
    let j = 0;
    for (let c = 0; c < columns; c++) {
      const at = xMin + ((xMax - xMin) * c) / (columns - 1 || 1);
      // the mean of the points up to this column
      let sum = 0;
      let n = 0;
      while (j < s.points.length && (s.points[j] as { x: number }).x <= at) {
        const v = transform((s.points[j] as { y: number }).y);
        if (Number.isFinite(v)) {
          sum += v;
          n++;
        }
        j++;
      }
      if (n) values[c] = sum / n;
    }
    // asciichart cannot draw gaps: carry values forward, then back
    for (let c = 1; c < columns; c++) if (Number.isNaN(values[c])) values[c] = values[c - 1] as number;
    for (let c = columns - 2; c >= 0; c--) if (Number.isNaN(values[c])) values[c] = values[c + 1] as number;
    return values;
  });
  const usable = grid.filter((g) => g.every((v) => Number.isFinite(v)));
  const color = options.color ?? true;
  const chart = plot.plot(usable, {
    height: Math.max(6, Math.min(20, (options.height ?? 24) - series.length - 4)),
    colors: color ? usable.map((_, i) => palette[i % palette.length] as string) : undefined,
    format: (v: number) => (options.logY ? `1e${v.toFixed(1)}` : formatTick(v)).padStart(10),
  });
  const paint = (text: string, i: number) =>
    color ? `${palette[i % palette.length]}${text}${plot.reset}` : text;
  const legend = series.map((s, i) => `${paint('──', i)} ${s.name}`).join('   ');
  return `${options.metric}${options.logY ? ' (log10)' : ''}\n${chart}\n${' '.repeat(11)}${options.x}: ${formatTick(xMin)} … ${formatTick(xMax)}\n${legend}`;
}

/**
 * How a linear axis writes its ticks: as plain numbers (100 … 1000 steps, 0.1 … 0.7 losses) while
 * they stay short, else with an exponent (2e+8, 3e-7). d3's `g` alone wrote steps 100 … 900 as
 * 1e+2 … 9e+2.
 */
function plainOrExponent(ticks: number[]): string {
  const step = ticks.length > 1 ? Math.abs((ticks[1] as number) - (ticks[0] as number)) : 1;
  const most = Math.max(...ticks.map(Math.abs));
  return step >= 1e-4 && most < 1e6 ? '~r' : '~g';
}

function formatTick(v: number): string {
  if (v === 0) return '0';
  const a = Math.abs(v);
  return a >= 1e5 || a < 1e-3 ? v.toExponential(2) : String(Number(v.toPrecision(4)));
}
