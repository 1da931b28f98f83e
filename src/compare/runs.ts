import type { JsonObject } from '../config/json.ts';
import { UsageError } from '../errors.ts';
import { findProject, type Project } from '../project/project.ts';
import { againIfIndexDamaged, Row, readResults } from '../project/results.ts';
import type { RunStatus } from '../run/record.ts';
import type { MetricSummary } from './metrics.ts';

export { runValue, shownStatus, sortRuns, valueReader } from './values.ts';

import { matchesFilter, parseFilter, type RunFields, type RunFilter } from './values.ts';

/** One result folder, as `repro ls` shows it. */
export interface RunSummary {
  name: string;
  dir: string;
  status: RunStatus;
  /** Why it is `running` or `crashed`, or when it ended. */
  reason: string;
  /** The config name the run was made from. */
  config_name: string | null;
  started_at: string | null;
  duration_s: number | null;
  exit_code: number | null;
  /** The saved config, as flat dotted keys. */
  config: JsonObject;
  /** Values the script took from its defaults (effective.json). */
  defaults: JsonObject;
  /** Last and best value of each logged metric. */
  metrics: Record<string, MetricSummary>;
  /** Lines of metrics.jsonl that are not JSON objects: skipped, and counted here. */
  metrics_skipped: number;
  /**
   * Why a done result is stale (its config, script, data or an upstream changed); empty when
   * it is not, or when it was not checked (`listRuns` does not check; `ls` and the dashboard do).
   */
  stale?: string[];
}

export interface ListRunsOptions {
  /** Where the project is looked for. @default process.cwd() */
  cwd?: string;
  project?: Project;
  /**
   * Use the results index in the user's cache folder, so that only new, changed and running
   * results are read again. @default true
   */
  cache?: boolean;
}

/**
 * Every result folder under the runs root (folders with a config.json), sorted by start time,
 * with status, config and metric summaries, from the results index (project/results.ts): an
 * ended result is read once, a running one every time, a new one when it appears.
 */
export async function listRuns(options: ListRunsOptions = {}): Promise<RunSummary[]> {
  // a part of the index whose bytes changed, found as it was read: the index is gone, and the
  // folders are read again (the dashboard and the library list through here)
  return againIfIndexDamaged(async () => (await listRunViews(options)).map(summaryOf));
}

/**
 * listRuns as views over the results index: each field is read from its column when asked for,
 * so that a listing sorted and cut to 20 rows does not make 100,000 objects of a dozen fields
 * (`repro ls`). A view is no plain object: summaryOf (or JSON.stringify) makes one.
 */
export async function listRunViews(options: ListRunsOptions = {}): Promise<RunSummary[]> {
  const project = options.project ?? findProject({ cwd: options.cwd });
  return readResults(project.runsRoot, { cache: options.cache ?? true, order: 'started', row: ListedRun });
}

/** A run as a plain object (a view of listRunViews, or a summary), fields in their usual order. */
export function summaryOf(run: RunSummary): RunSummary {
  const summary: RunSummary = {
    name: run.name,
    dir: run.dir,
    status: run.status,
    reason: run.reason,
    config_name: run.config_name,
    started_at: run.started_at,
    duration_s: run.duration_s,
    exit_code: run.exit_code,
    config: run.config,
    defaults: run.defaults,
    metrics: run.metrics,
    metrics_skipped: run.metrics_skipped,
  };
  if (run.stale !== undefined) summary.stale = run.stale;
  return summary;
}

/**
 * One listed run read from the results index when asked (listRunViews): a row of the index with
 * the listing's names (`config` is the flat config, `dir` the folder).
 */
class ListedRun extends Row implements RunSummary {
  get dir(): string {
    return `${this.view.prefix}${this.name}`;
  }
  override get config(): JsonObject {
    return this.flat;
  }
  /** A running run's duration so far. */
  override get duration_s(): number | null {
    const ended = super.duration_s;
    if (ended !== null || this.status !== 'running') return ended;
    const started = this.started_at;
    return started ? (this.view.listedAt - Date.parse(started)) / 1000 : null;
  }
  toJSON(): RunSummary {
    return summaryOf(this);
  }
}

/** JSON that keeps NaN and ±Infinity (a diverged loss is worth seeing): they travel as strings. */
export function stringifyNumbers(value: unknown, space?: number): string {
  // V8 writes JSON faster without a replacer (the dashboard's list of 100,000 results: ~0.2 s
  // with it, ~0.13 s without and ~0.05 s for the walk): the replacer only where it is needed
  return JSON.stringify(value, plainFinite(value) ? undefined : keepNonFinite, space);
}

/**
 * True when JSON.stringify gives `value` as the replacer would: no non-finite number in what it
 * writes, and no toJSON (whose result this walk does not see) or other object but arrays and
 * plain objects, whose own enumerable values it reads as JSON.stringify does.
 */
function plainFinite(value: unknown): boolean {
  if (typeof value === 'number') return Number.isFinite(value);
  if (value === null || typeof value !== 'object') return true;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) if (!plainFinite(value[i])) return false;
    return true;
  }
  const proto = Object.getPrototypeOf(value);
  if ((proto !== Object.prototype && proto !== null) || 'toJSON' in value) return false;
  for (const key in value) if (!plainFinite((value as Record<string, unknown>)[key])) return false;
  return true;
}

function keepNonFinite(_key: string, v: unknown): unknown {
  return typeof v === 'number' && !Number.isFinite(v) ? String(v) : v;
}

/**
 * stringifyNumbers(values, 2) of an array, in pieces of a thousand values: the same text, never
 * one string of it (100,000 results as JSON are ~100 MB).
 */
export function* stringifyNumbersPieces(values: readonly unknown[]): Generator<string, void, undefined> {
  if (values.length === 0) {
    yield '[]';
    return;
  }
  for (let start = 0; start < values.length; start += 1000) {
    const items: string[] = [];
    for (let i = start; i < Math.min(values.length, start + 1000); i++) {
      // what JSON.stringify gives an element: its toJSON, the replacer, `null` for what it leaves out
      const text = stringifyNumbers(values[i], 2) as string | undefined;
      // a JSON text has no line break but its own (a string's is escaped): each line one level in
      items.push(text === undefined ? 'null' : text.replaceAll('\n', '\n  '));
    }
    yield `${start === 0 ? '[\n  ' : ',\n  '}${items.join(',\n  ')}`;
  }
  yield '\n]';
}

/** A filter of `repro ls --where`: `key=value`, `key!=value`, `key>value`, `key<value`, `>=`, `<=`. */
export type { RunFilter } from './values.ts';

/** `--where loss<0.5`: a filter, or a usage error with an example. */
export function parseWhere(text: string): RunFilter {
  const filter = parseFilter(text);
  if (!filter) {
    throw new UsageError(
      `--where "${text}" is not key=value, key>value or key<value`,
      'For example --where lr=0.001 --where loss<0.5',
    );
  }
  // an order compares numbers: any other value (a doubled `>>`, a word) would match nothing
  if (filter.op !== '=' && filter.op !== '!=' && typeof filter.value !== 'number') {
    throw new UsageError(
      `--where "${text}": ${filter.op} compares numbers, and ${JSON.stringify(filter.value)} is not one`,
      `For example --where ${filter.key}${filter.op}0.5; = and != compare anything: --where ${filter.key}=value`,
    );
  }
  return filter;
}

/** True when the run passes the filter (values.ts matchesFilter). */
export const matches: (run: RunSummary, f: RunFilter) => boolean = matchesFilter;

/** The stage an upstream result stands for in `ls --upstream` columns: its config name without a sweep's digits. */
export function stageName(run: Pick<RunSummary, 'name' | 'config_name'>): string {
  const name = run.config_name ?? run.name.split('~')[0] ?? run.name;
  return name.replace(/\d+$/, '') || name;
}

/**
 * `ls --upstream`: each run with the configs of the results it was built on as `<stage>.<key>`
 * columns (`model.gamma` on an evaluation row), nearest upstream first, through the whole chain.
 * The stage is the upstream config's name without a sweep's trailing digits (model3 -> model);
 * `script` and `source` are left out. A key the run's own config has, or a nearer upstream gave,
 * is kept as it is. Returns new summaries; the listing is not changed.
 */
export function withUpstream<T extends RunSummary>(runs: readonly T[], all: readonly RunSummary[]): T[] {
  const byName = new Map(all.map((r) => [r.name, r]));
  const sourcesOf = (r: RunSummary): string[] => {
    const s = r.config.source;
    return typeof s === 'string'
      ? [s]
      : Array.isArray(s)
        ? s.filter((x): x is string => typeof x === 'string')
        : [];
  };
  return runs.map((run) => {
    const config: JsonObject = { ...run.config };
    const seen = new Set<string>([run.name]);
    let level = sourcesOf(run);
    while (level.length) {
      const next: string[] = [];
      for (const name of level) {
        const up = byName.get(name);
        if (!up || seen.has(name)) continue;
        seen.add(name);
        const stage = stageName(up);
        for (const [key, value] of Object.entries({ ...up.defaults, ...up.config })) {
          if (key === 'script' || key === 'source' || key.startsWith('source.')) continue;
          const column = `${stage}.${key}`;
          if (config[column] === undefined) config[column] = value;
        }
        next.push(...sourcesOf(up));
      }
      level = next;
    }
    // a view's fields are getters, which a spread does not copy
    return { ...(run instanceof ListedRun ? summaryOf(run) : run), config } as T;
  });
}

/** The keys every run has, besides its config's and metrics'. */
export const FIXED_KEYS: readonly string[] = ['name', 'status', 'started', 'duration', 'reason', 'stale'];

/**
 * Whether some run has this key (knownKeys(runs).has(key)), looking only until one has it: a
 * listing of 100,000 runs asked for `--sort=-acc` need not gather every key of every run.
 */
export function hasKey(runs: readonly RunSummary[], key: string): boolean {
  if (FIXED_KEYS.includes(key)) return true;
  const configOnly = key.startsWith('config:');
  const metricOnly = key.startsWith('metric:');
  const k = configOnly || metricOnly ? key.slice(7) : key;
  const bestOf = k.endsWith('.best') ? k.slice(0, -5) : undefined;
  let config: object | undefined;
  let defaults: object | undefined;
  let metrics: object | undefined;
  for (const r of runs) {
    // results of one config share its objects: a run like the one before is passed over; the
    // metrics first (a view's config is parsed when read, and a metric of the first run ends it)
    if (!configOnly && r.metrics !== metrics) {
      metrics = r.metrics;
      if (Object.hasOwn(metrics, k) || (bestOf !== undefined && Object.hasOwn(metrics, bestOf))) return true;
    }
    const may = (r as RunFields).mayHaveKey?.(k) !== false;
    if (!metricOnly && may && (r.config !== config || r.defaults !== defaults)) {
      config = r.config;
      defaults = r.defaults;
      if (Object.hasOwn(config, k) || Object.hasOwn(defaults, k)) return true;
    }
  }
  return false;
}

/**
 * Every key `ls` and the dashboard can read from these runs (for --where, --sort and --columns):
 * the fixed ones, config keys and defaults, metrics and their `.best`, and the prefixed forms.
 */
export function knownKeys(runs: readonly RunSummary[]): Set<string> {
  const keys = new Set(FIXED_KEYS);
  // results of one config share its objects (the results index), and every result without
  // metrics one empty object: each distinct object is looked at once
  const objects = new Set<object>();
  const metricObjects = new Set<object>();
  for (const r of runs) {
    objects.add(r.config);
    objects.add(r.defaults);
    metricObjects.add(r.metrics);
  }
  // the distinct names first: a prefixed name is a new string to hash, made once per name
  const names = new Set<string>();
  for (const o of objects) for (const k in o) names.add(k);
  for (const k of names) {
    keys.add(k);
    keys.add(`config:${k}`);
  }
  const metrics = new Set<string>();
  for (const o of metricObjects) for (const m in o) metrics.add(m);
  for (const m of metrics)
    for (const k of [m, `${m}.best`]) {
      keys.add(k);
      keys.add(`metric:${k}`);
    }
  return keys;
}
