import { fs, join } from '../_builtins.ts';
import type { Json } from '../config/json.ts';
import { RUN_FILES } from '../run/layout.ts';
import { parseMetricsCounted } from '../run/metrics.ts';
import { higherIsBetter } from './panels.ts';

export { higherIsBetter };

/** The last and best value of one logged metric. */
export interface MetricSummary {
  last: number;
  best: number;
  /** How many rows logged it. */
  count: number;
}

/** Keys that count steps or time: x axes, not metrics. */
export const X_KEYS = new Set(['step', 'epoch', 'iteration', 'iter', 'time', 't', 'timestamp', 'wall_time']);

function numeric(v: Json | undefined): number | undefined {
  if (typeof v === 'number') return v;
  if (v === 'NaN') return Number.NaN;
  if (v === 'Infinity') return Number.POSITIVE_INFINITY;
  if (v === '-Infinity') return Number.NEGATIVE_INFINITY;
  return undefined;
}

/** Last and best of every numeric metric (x keys left out). NaN never counts as best. */
export function summarizeMetrics(rows: readonly Record<string, Json>[]): Record<string, MetricSummary> {
  const out: Record<string, MetricSummary> = {};
  for (const row of rows) {
    for (const [key, raw] of Object.entries(row)) {
      if (X_KEYS.has(key)) continue;
      const v = numeric(raw);
      if (v === undefined) continue;
      const s = out[key];
      if (!s) {
        out[key] = { last: v, best: v, count: 1 };
        continue;
      }
      s.last = v;
      s.count++;
      if (Number.isNaN(s.best) || (!Number.isNaN(v) && (higherIsBetter(key) ? v > s.best : v < s.best)))
        s.best = v;
    }
  }
  return out;
}

/** The rows of a result folder's metrics.jsonl; none when it has no such file. */
export function readMetricRows(dir: string): Record<string, Json>[] {
  return readMetricRowsCounted(dir).rows;
}

/** readMetricRows, plus how many lines were skipped because they are not JSON objects. */
export function readMetricRowsCounted(dir: string): { rows: Record<string, Json>[]; skipped: number } {
  let text: string;
  try {
    text = fs.readFileSync(join(dir, RUN_FILES.metrics), 'utf8');
  } catch {
    return { rows: [], skipped: 0 };
  }
  return parseMetricsCounted(text);
}

/** One metric against an x key, in file order; rows without the metric are skipped. */
export function metricSeries(
  rows: readonly Record<string, Json>[],
  metric: string,
  x: string,
): { x: number; y: number }[] {
  const points: { x: number; y: number }[] = [];
  rows.forEach((row, i) => {
    const y = numeric(row[metric]);
    if (y === undefined || !Number.isFinite(y)) return;
    const xv = x === 'index' ? i : numeric(row[x]);
    points.push({ x: xv === undefined ? i : xv, y });
  });
  return points;
}
