import { fs, join, os } from '../_builtins.ts';
import { sha256Hex } from '../config/hash.ts';
import type { Json, JsonObject } from '../config/json.ts';
import { parseSetValue } from '../config/overrides.ts';
import { UsageError } from '../errors.ts';
import { findProject, type Project } from '../project/project.ts';
import { RUN_FILES } from '../run/layout.ts';
import { type RunStatus, readJsonFile } from '../run/record.ts';
import { readRunState } from '../run/status.ts';
import { flattenConfig } from './flatten.ts';
import { type MetricSummary, readMetricRows, summarizeMetrics } from './metrics.ts';

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
}

export interface ListRunsOptions {
  /** Where the project is looked for. @default process.cwd() */
  cwd?: string;
  project?: Project;
  /**
   * Keep summaries between calls in the user's cache folder, so that only changed folders are
   * read again. @default true
   */
  cache?: boolean;
}

type CacheEntry = {
  ino: number;
  mtimeMs: number;
  metricsSize: number;
  metricsMtimeMs: number;
  summary: Omit<RunSummary, 'dir'>;
};
type CacheFile = { version: 1; root: string; entries: Record<string, CacheEntry> };

const FINAL: readonly RunStatus[] = ['done', 'failed', 'interrupted'];

/** Where the ls cache of a runs root lives: `$XDG_CACHE_HOME/repro`, else `~/.cache/repro`. */
export function cacheFile(runsRoot: string): string {
  const base = process.env.XDG_CACHE_HOME || join(os.homedir(), '.cache');
  return join(base, 'repro', `ls-${sha256Hex(runsRoot).slice(0, 16)}.json`);
}

/**
 * Every result folder under the runs root (folders with a config.json), sorted by start time,
 * with status, config and metric summaries.
 *
 * The cache is always right: a folder is read again when its inode or modification time
 * changed (a file was added or removed: end.json, effective.json), when its metrics.jsonl
 * grew or changed, or when its run had not ended (a running run can crash without touching a
 * file). Deleted folders drop out because the listing starts from the folder itself.
 */
export function listRuns(options: ListRunsOptions = {}): RunSummary[] {
  const project = options.project ?? findProject({ cwd: options.cwd });
  const root = project.runsRoot;
  let names: string[];
  try {
    names = fs.readdirSync(root);
  } catch {
    return [];
  }
  const useCache = options.cache ?? true;
  const file = cacheFile(root);
  const old = useCache ? readCache(file) : undefined;
  const previous = old?.version === 1 && old.root === root ? old.entries : {};
  const entries: Record<string, CacheEntry> = {};
  let changed = Object.keys(previous).length !== names.length;
  const runs: RunSummary[] = [];
  for (const name of names) {
    if (name.startsWith('.')) continue;
    const dir = join(root, name);
    let st: import('node:fs').Stats;
    try {
      st = fs.statSync(dir);
    } catch {
      continue;
    }
    if (!st.isDirectory()) continue;
    const metrics = statOrNull(join(dir, RUN_FILES.metrics));
    const hit = previous[name];
    let entry: CacheEntry | undefined;
    if (
      hit &&
      hit.ino === st.ino &&
      hit.mtimeMs === st.mtimeMs &&
      hit.metricsSize === (metrics?.size ?? -1) &&
      hit.metricsMtimeMs === (metrics?.mtimeMs ?? -1) &&
      FINAL.includes(hit.summary.status)
    ) {
      entry = hit;
    } else {
      const summary = summarize(dir, name);
      if (!summary) continue;
      entry = {
        ino: st.ino,
        mtimeMs: st.mtimeMs,
        metricsSize: metrics?.size ?? -1,
        metricsMtimeMs: metrics?.mtimeMs ?? -1,
        summary,
      };
      changed = true;
    }
    entries[name] = entry;
    runs.push({ ...entry.summary, dir });
  }
  if (useCache && changed) writeCache(file, { version: 1, root, entries });
  return runs.sort(
    (a, b) => (a.started_at ?? '').localeCompare(b.started_at ?? '') || a.name.localeCompare(b.name),
  );
}

function statOrNull(file: string): { size: number; mtimeMs: number } | null {
  try {
    const st = fs.statSync(file);
    return { size: st.size, mtimeMs: st.mtimeMs };
  } catch {
    return null;
  }
}

function summarize(dir: string, name: string): Omit<RunSummary, 'dir'> | undefined {
  const config = readJsonFile<JsonObject>(join(dir, RUN_FILES.config));
  if (!config || typeof config !== 'object') return undefined;
  const state = readRunState(dir);
  const started = state.record?.started_at ?? null;
  const effective = readJsonFile<{ defaults?: JsonObject }>(join(dir, RUN_FILES.effective));
  return {
    name,
    status: state.status,
    reason: state.reason,
    config_name: state.record?.config.name ?? null,
    started_at: started,
    duration_s:
      state.end?.duration_s ??
      (started && state.status === 'running' ? (Date.now() - Date.parse(started)) / 1000 : null),
    exit_code: state.end?.exit_code ?? null,
    config: Object.fromEntries(flattenConfig(config)),
    defaults: effective?.defaults ?? {},
    metrics: summarizeMetrics(readMetricRows(dir)),
  };
}

/** JSON that keeps NaN and ±Infinity (a diverged loss is worth seeing): they travel as strings. */
export function stringifyNumbers(value: unknown, space?: number): string {
  return JSON.stringify(
    value,
    (_k, v) => (typeof v === 'number' && !Number.isFinite(v) ? String(v) : v),
    space,
  );
}

const NON_FINITE: Record<string, number> = {
  NaN: Number.NaN,
  Infinity: Number.POSITIVE_INFINITY,
  '-Infinity': Number.NEGATIVE_INFINITY,
};

function readCache(file: string): CacheFile | undefined {
  try {
    // only metric numbers are ever stored as these strings in the cache
    return JSON.parse(fs.readFileSync(file, 'utf8'), (k, v) =>
      (k === 'last' || k === 'best') && typeof v === 'string' && v in NON_FINITE ? NON_FINITE[v] : v,
    ) as CacheFile;
  } catch {
    return undefined;
  }
}

// a cache, not a result: replaced whole through a rename, and losing it costs only time
function writeCache(file: string, cache: CacheFile): void {
  try {
    fs.mkdirSync(join(file, '..'), { recursive: true });
    const tmp = `${file}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, stringifyNumbers(cache));
    fs.renameSync(tmp, file);
  } catch {
    // a read-only home: list without a cache
  }
}

/** A filter of `repro ls --where`: `key=value`, `key!=value`, `key>value`, `key<value`, `>=`, `<=`. */
export interface RunFilter {
  key: string;
  op: '=' | '!=' | '>' | '<' | '>=' | '<=';
  value: Json;
}

export function parseWhere(text: string): RunFilter {
  const m = /^([^=!<>]+)(!=|>=|<=|=|>|<)(.*)$/s.exec(text);
  if (!m) {
    throw new UsageError(
      `--where "${text}" is not key=value, key>value or key<value`,
      'For example --where lr=0.001 --where loss<0.5',
    );
  }
  return { key: (m[1] as string).trim(), op: m[2] as RunFilter['op'], value: parseSetValue(m[3] as string) };
}

/**
 * The value a filter or sort key reads from a run: `name`, `status`, `started`, `duration`; a
 * config key (a default the script used counts); else a metric's last value (`loss`, or
 * `loss.best` for its best).
 */
export function runValue(run: RunSummary, key: string): Json | undefined {
  switch (key) {
    case 'name':
      return run.name;
    case 'status':
      return run.status;
    case 'started':
      return run.started_at;
    case 'duration':
      return run.duration_s;
  }
  if (run.config[key] !== undefined) return run.config[key];
  if (run.defaults[key] !== undefined) return run.defaults[key];
  const metric = run.metrics[key];
  if (metric) return metric.last;
  const best = key.endsWith('.best') ? run.metrics[key.slice(0, -5)] : undefined;
  return best?.best;
}

export function matches(run: RunSummary, f: RunFilter): boolean {
  const v = runValue(run, f.key);
  if (v === undefined) return false;
  if (f.op === '=' || f.op === '!=') {
    const same = JSON.stringify(v) === JSON.stringify(f.value) || String(v) === String(f.value);
    return f.op === '=' ? same : !same;
  }
  if (typeof v !== 'number' || typeof f.value !== 'number') return false;
  switch (f.op) {
    case '>':
      return v > f.value;
    case '<':
      return v < f.value;
    case '>=':
      return v >= f.value;
    default:
      return v <= f.value;
  }
}

/** Sorts by a key (`-key` for descending); runs without the key go last. */
export function sortRuns(runs: RunSummary[], spec: string): RunSummary[] {
  const desc = spec.startsWith('-');
  const key = desc ? spec.slice(1) : spec;
  return [...runs].sort((a, b) => {
    const va = runValue(a, key);
    const vb = runValue(b, key);
    if (va === undefined || vb === undefined) return va === vb ? 0 : va === undefined ? 1 : -1;
    const c =
      typeof va === 'number' && typeof vb === 'number' ? va - vb : String(va).localeCompare(String(vb));
    return desc ? -c : c;
  });
}
