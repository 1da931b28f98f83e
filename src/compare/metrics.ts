import { fs, join, readBytes } from '../_builtins.ts';
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
  // no prototype: a metric named __proto__ is a metric like any other
  const out: Record<string, MetricSummary> = Object.create(null);
  // each metric's direction, asked once a metric (a regular expression: asked for every value of
  // 100,000 results' metrics, it was most of this function's time)
  const higher = new Map<string, boolean>();
  for (const row of rows) {
    for (const key in row) {
      if (!Object.hasOwn(row, key) || X_KEYS.has(key)) continue;
      const v = numeric(row[key]);
      if (v === undefined) continue;
      const s = out[key];
      if (!s) {
        out[key] = { last: v, best: v, count: 1 };
        higher.set(key, higherIsBetter(key));
        continue;
      }
      s.last = v;
      s.count++;
      if (Number.isNaN(s.best) || (!Number.isNaN(v) && (higher.get(key) ? v > s.best : v < s.best)))
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

/** A metrics.jsonl file as the dashboard's server keeps it. */
export interface MetricRows {
  rows: Record<string, Json>[];
  /** Lines that are not JSON objects. */
  skipped: number;
  /** Every key any row has (metrics and x axes). */
  keys: Set<string>;
}

/**
 * Parsed metrics.jsonl files kept between requests (the dashboard's server): a file read again
 * only when it changed, and a file that grew (a running result appending rows) parsed from where
 * the last read stopped. At most `maxRows` rows are kept, the least recently read files going
 * first. What is handed out is shared: callers only read it.
 */
export class MetricRowsCache {
  readonly #files = new Map<
    string,
    MetricRows & { ino: number; size: number; mtimeMs: number; offset: number }
  >();
  #rows = 0;

  constructor(readonly maxRows = 4_000_000) {}

  read(dir: string): MetricRows {
    const path = join(dir, RUN_FILES.metrics);
    const st = fs.statSync(path, { throwIfNoEntry: false });
    let entry = this.#files.get(path);
    // gone, replaced or rewritten: read whole again
    if (
      entry &&
      (!st ||
        entry.ino !== st.ino ||
        st.size < entry.size ||
        (st.size === entry.size && st.mtimeMs !== entry.mtimeMs))
    ) {
      this.#drop(path);
      entry = undefined;
    }
    if (!st) return { rows: [], skipped: 0, keys: new Set() };
    entry ??= { ino: st.ino, size: 0, mtimeMs: 0, offset: 0, rows: [], skipped: 0, keys: new Set() };
    // the bytes after the last whole line read: whole lines go into the cache; a last line with
    // no newline is read too (whole if the writer is done) but kept out (more may follow it)
    let tail: MetricRows | undefined;
    if (st.size > entry.offset) {
      const buffer = readBytes(path, st.size - entry.offset, entry.offset);
      const n = buffer.length;
      const end = buffer.lastIndexOf(10, n - 1) + 1;
      const more = parseMetricsCounted(buffer.toString('utf8', 0, end));
      for (const row of more.rows) {
        entry.rows.push(row);
        for (const k of Object.keys(row)) entry.keys.add(k);
      }
      entry.skipped += more.skipped;
      entry.offset += end;
      this.#rows += more.rows.length;
      if (end < n) {
        const last = parseMetricsCounted(buffer.toString('utf8', end, n));
        tail = {
          rows: [...entry.rows, ...last.rows],
          skipped: entry.skipped + last.skipped,
          keys: new Set([...entry.keys, ...last.rows.flatMap((r) => Object.keys(r))]),
        };
      }
    }
    entry.size = st.size;
    entry.mtimeMs = st.mtimeMs;
    // most recently read last; the oldest go while there are too many rows
    this.#files.delete(path);
    this.#files.set(path, entry);
    for (const [other] of this.#files) {
      if (this.#rows <= this.maxRows || other === path) break;
      this.#drop(other);
    }
    return tail ?? entry;
  }

  #drop(path: string): void {
    this.#rows -= this.#files.get(path)?.rows.length ?? 0;
    this.#files.delete(path);
  }
}
