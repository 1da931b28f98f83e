// What a listing reads from a run, for sorting, filtering and showing it: pure functions with no
// Node.js built-ins, shared by the CLI (`ls`) and the dashboard's page (bundled for the browser).

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** The parts of a listed run these functions read (RunSummary has them all). */
export interface RunFields {
  name: string;
  status: string;
  started_at: string | null;
  duration_s: number | null;
  config: Record<string, Json>;
  defaults: Record<string, Json>;
  metrics: Record<string, { last: number | string; best: number | string }>;
  /**
   * One metric's last (or best) value, as `metrics[name]?.last` (`.best`) reads it, without
   * making the summary of every metric: a view of the results index has it (a sort of 100,000
   * runs by one metric would make 100,000 objects of summaries otherwise).
   */
  metricValue?(name: string, best: boolean): number | undefined;
  /**
   * False when no run of the listing has this key in its config or defaults, so that neither
   * need be read: a view of the results index knows (a sort by a metric reads no config).
   */
  mayHaveKey?(key: string): boolean;
  stale?: string[];
}

/** The status as listings show it: `done, stale` for a done result that is stale. */
export function shownStatus(run: Pick<RunFields, 'status' | 'stale'>): string {
  return run.stale?.length ? `${run.status}, stale` : run.status;
}

/**
 * The value a filter or sort key reads from a run: `name`, `status`, `started`, `duration`; a
 * config key (a default the script used counts); else a metric's last value (`loss`, or
 * `loss.best` for its best). `config:<key>` reads only the config and `metric:<name>` (and
 * `metric:<name>.best`) only the metrics, for a metric named like a config key (`precision`).
 */
export function runValue(run: RunFields, key: string): Json | undefined {
  return valueReader(key)(run);
}

type Reader = (run: RunFields) => Json | undefined;
const readers = new Map<string, Reader>();

/** runValue of one key, with the key read once: what reads a column of 100,000 runs. */
export function valueReader(key: string): Reader {
  let read = readers.get(key);
  if (!read) {
    read = makeReader(key);
    readers.set(key, read);
  }
  return read;
}

function makeReader(key: string): Reader {
  switch (key) {
    case 'name':
      return (run) => run.name;
    case 'status':
      return shownStatus;
    case 'stale':
      return (run) => Boolean(run.stale?.length);
    case 'started':
      return (run) => run.started_at;
    case 'duration':
      return (run) => run.duration_s;
  }
  if (key.startsWith('config:')) {
    const k = key.slice(7);
    return (run) => run.config[k] ?? run.defaults[k];
  }
  const metricOnly = key.startsWith('metric:');
  const k = metricOnly ? key.slice(7) : key;
  const bestOf = k.endsWith('.best') ? k.slice(0, -5) : undefined;
  const metric: Reader = (run) => {
    if (run.metricValue) {
      const last = run.metricValue(k, false);
      return last !== undefined || bestOf === undefined ? last : run.metricValue(bestOf, true);
    }
    const m = run.metrics[k];
    if (m) return m.last;
    return bestOf === undefined ? undefined : run.metrics[bestOf]?.best;
  };
  if (metricOnly) return metric;
  return (run) => {
    if (run.mayHaveKey?.(k) === false) return metric(run);
    const c = run.config[k];
    if (c !== undefined) return c;
    const d = run.defaults[k];
    return d !== undefined ? d : metric(run);
  };
}

/** A value as a number when it is one: numbers, and NaN and the infinities spelled as strings. */
function asNumber(v: Json | undefined): number | undefined {
  if (typeof v === 'number') return v;
  if (v === 'NaN') return Number.NaN;
  if (v === 'Infinity') return Number.POSITIVE_INFINITY;
  if (v === '-Infinity') return Number.NEGATIVE_INFINITY;
  return undefined;
}

/**
 * Sorts by a key (`-key` for descending). Numbers sort as numbers (NaN after every other
 * number, in either direction), then other values as text; runs without the key go last; equal
 * ones keep their order. With `limit`, only the first `limit` are returned (and found without
 * sorting the rest when they are few).
 */
export function sortRuns<T extends RunFields>(
  runs: readonly T[],
  spec: string,
  limit = Number.POSITIVE_INFINITY,
): T[] {
  const desc = spec.startsWith('-');
  const key = desc ? spec.slice(1) : spec;
  // 0: a number, 1: NaN, 2: text, 3: absent; within a rank, by value; then in the order given
  const read = valueReader(key);
  const count = runs.length;
  const rank = new Uint8Array(count);
  const num = new Float64Array(count);
  const text: string[] = [];
  for (let i = 0; i < count; i++) {
    const v = read(runs[i] as T);
    const n = asNumber(v);
    const r = v === undefined ? 3 : n === undefined ? 2 : Number.isNaN(n) ? 1 : 0;
    rank[i] = r;
    if (r === 0) num[i] = n as number;
    else if (r === 2) text[i] = typeof v === 'string' ? v : JSON.stringify(v);
  }
  const compare = (a: number, b: number): number => {
    const ra = rank[a] as number;
    if (ra !== rank[b]) return ra - (rank[b] as number);
    let c = 0;
    if (ra === 0) {
      const x = num[a] as number;
      const y = num[b] as number;
      c = x === y ? 0 : x < y ? -1 : 1;
    } else if (ra === 2) c = (text[a] as string).localeCompare(text[b] as string);
    return (desc ? -c : c) || a - b;
  };
  const take = Math.max(0, Math.min(limit, count));
  let order: number[];
  if (take * 8 < count) {
    // the first few of many (ls --limit): kept in order as the runs go by, no full sort
    order = [];
    for (let i = 0; i < count; i++) {
      if (order.length === take && compare(i, order[take - 1] as number) >= 0) continue;
      let lo = 0;
      let hi = order.length;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (compare(order[mid] as number, i) < 0) lo = mid + 1;
        else hi = mid;
      }
      order.splice(lo, 0, i);
      if (order.length > take) order.pop();
    }
  } else {
    order = Array.from({ length: count }, (_, i) => i).sort(compare);
    if (take < count) order.length = take;
  }
  return order.map((i) => runs[i] as T);
}

/** One filter: `loss<0.1`, `lr=0.001`, `opt!=adam` (the grammar of `repro ls --where`). */
export interface RunFilter {
  key: string;
  op: '=' | '!=' | '>' | '<' | '>=' | '<=';
  value: Json;
}

/** `loss<0.1` as a filter; null when the text is not a comparison. The value is JSON when it parses. */
export function parseFilter(text: string): RunFilter | null {
  const m = /^([^=!<>]+)(!=|>=|<=|=|>|<)(.*)$/s.exec(text);
  if (!m) return null;
  const raw = m[3] as string;
  let value: Json = raw;
  if (raw.trim() !== '')
    try {
      value = JSON.parse(raw) as Json;
    } catch {
      // a bare word: a string
    }
  return { key: (m[1] as string).trim(), op: m[2] as RunFilter['op'], value };
}

/** True when the run passes the filter; a run without the key never does. */
export function matchesFilter(run: RunFields, f: RunFilter): boolean {
  const v = runValue(run, f.key);
  if (v === undefined) return false;
  if (f.op === '=' || f.op === '!=') {
    const same = JSON.stringify(v) === JSON.stringify(f.value) || String(v) === String(f.value);
    return f.op === '=' ? same : !same;
  }
  const n = asNumber(v);
  if (n === undefined || typeof f.value !== 'number') return false;
  switch (f.op) {
    case '>':
      return n > f.value;
    case '<':
      return n < f.value;
    case '>=':
      return n >= f.value;
    default:
      return n <= f.value;
  }
}
