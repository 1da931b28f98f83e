import { fs, join } from '../_builtins.ts';
import { sha256Hex } from '../config/hash.ts';
import { isJsonObject, type JsonObject } from '../config/json.ts';
import { UsageError } from '../errors.ts';
import { cacheDir, writeCacheFile } from '../project/cache.ts';
import { findProject, type Project } from '../project/project.ts';
import { RUN_FILES } from '../run/layout.ts';
import { parseMetricsCounted } from '../run/metrics.ts';
import type { RunStatus } from '../run/record.ts';
import { judgeRunState, type RunState, readRecordFiles } from '../run/status.ts';
import { flattenConfig } from './flatten.ts';
import { type MetricSummary, summarizeMetrics } from './metrics.ts';

export { runValue, shownStatus, sortRuns } from './values.ts';

import { matchesFilter, parseFilter, type RunFilter } from './values.ts';

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
   * Keep summaries between calls in the user's cache folder, so that only changed folders are
   * read again. @default true
   */
  cache?: boolean;
}

type Summary = Omit<RunSummary, 'dir'>;
/** A cached run; its config is an index into the cache's table of distinct configs. */
type CacheEntry = {
  ino: number;
  mtimeMs: number;
  metricsSize: number;
  metricsMtimeMs: number;
  config: number;
  summary: Omit<Summary, 'config'>;
};
type CacheFile = { version: 5; root: string; configs: JsonObject[]; entries: Record<string, CacheEntry> };

const FINAL: readonly RunStatus[] = ['done', 'failed', 'interrupted'];

/** Where the ls cache of a runs root lives: `$XDG_CACHE_HOME/repro`, else `~/.cache/repro`. */
export function cacheFile(runsRoot: string): string {
  return join(cacheDir(), `ls-${sha256Hex(runsRoot).slice(0, 16)}.json`);
}

/**
 * Every result folder under the runs root (folders with a config.json), sorted by start time,
 * with status, config and metric summaries.
 *
 * The cache is always right: a folder is read again when its inode or modification time
 * changed (a file was added or removed: end.json, effective.json, metrics.jsonl), when its
 * metrics.jsonl grew or changed, or when its run had not ended (a running run can crash without
 * touching a file). Deleted folders drop out because the listing starts from the runs root.
 */
export async function listRuns(options: ListRunsOptions = {}): Promise<RunSummary[]> {
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
  const previous = old?.root === root ? old : undefined;
  const configs: JsonObject[] = [];
  const configIds = new Map<string, number>();
  const internConfig = (config: JsonObject) => {
    const key = JSON.stringify(config);
    let id = configIds.get(key);
    if (id === undefined) {
      id = configs.length;
      configs.push(config);
      configIds.set(key, id);
    }
    return id;
  };
  const entries: Record<string, CacheEntry> = {};
  const misses: { name: string; dir: string; st: { ino: number; mtimeMs: number } }[] = [];
  for (const name of names) {
    if (name.startsWith('.')) continue;
    const dir = join(root, name);
    const st = fs.statSync(dir, { throwIfNoEntry: false });
    if (!st?.isDirectory()) continue;
    const hit = previous?.entries[name];
    if (hit && hit.ino === st.ino && hit.mtimeMs === st.mtimeMs && FINAL.includes(hit.summary.status)) {
      // a metrics file that appears changes the folder's time; one that grows does not
      const metrics = hit.metricsSize < 0 ? null : statOrNull(join(dir, RUN_FILES.metrics));
      if ((metrics?.size ?? -1) === hit.metricsSize && (metrics?.mtimeMs ?? -1) === hit.metricsMtimeMs) {
        entries[name] = { ...hit, config: internConfig(previous?.configs[hit.config] ?? {}) };
        continue;
      }
    }
    misses.push({ name, dir, st });
  }
  for (const { name, dir, st } of misses) {
    const read = summarize(dir, name);
    if (!read) continue;
    const { config, ...summary } = read.summary;
    entries[name] = {
      ino: st.ino,
      mtimeMs: st.mtimeMs,
      metricsSize: read.metrics?.size ?? -1,
      metricsMtimeMs: read.metrics?.mtimeMs ?? -1,
      config: internConfig(config),
      summary,
    };
  }
  // rewrite the cache only when something was read again or a folder went away
  const changed =
    !previous || misses.length > 0 || Object.keys(previous.entries).length !== Object.keys(entries).length;
  if (useCache && changed) writeCache(file, { version: 5, root, configs, entries });
  const runs = Object.entries(entries).map(
    ([name, e]): RunSummary => ({ ...e.summary, config: configs[e.config] ?? {}, dir: join(root, name) }),
  );
  return runs.sort(
    (a, b) => (a.started_at ?? '').localeCompare(b.started_at ?? '') || a.name.localeCompare(b.name),
  );
}

function statOrNull(file: string): { size: number; mtimeMs: number } | null {
  const st = fs.statSync(file, { throwIfNoEntry: false });
  return st ? { size: st.size, mtimeMs: st.mtimeMs } : null;
}

function readTextOr(file: string, fallback: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return fallback;
  }
}

function readJson<T>(file: string): T | undefined {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as T;
  } catch {
    return undefined;
  }
}

/** Reads one result folder: one listing, then only the files it has. */
function summarize(
  dir: string,
  name: string,
): { summary: Summary; metrics: { size: number; mtimeMs: number } | null } | undefined {
  let files: Set<string>;
  try {
    files = new Set(fs.readdirSync(dir));
  } catch {
    return undefined;
  }
  if (!files.has(RUN_FILES.config)) return undefined;
  // open only the files the folder has: a failed open costs an exception
  const read = <T>(f: string) => (files.has(f) ? readJson<T>(join(dir, f)) : undefined);
  const config = read<JsonObject>(RUN_FILES.config);
  const effective = read<{ defaults?: JsonObject }>(RUN_FILES.effective);
  const metrics = files.has(RUN_FILES.metrics) ? statOrNull(join(dir, RUN_FILES.metrics)) : null;
  const metricsText = metrics ? readTextOr(join(dir, RUN_FILES.metrics), '') : '';
  const rows = metricsText ? parseMetricsCounted(metricsText) : { rows: [], skipped: 0 };
  const state: RunState = isJsonObject(config)
    ? judgeRunState(dir, readRecordFiles(dir, files))
    : {
        status: 'damaged',
        reason: `${RUN_FILES.config} is ${config === undefined ? 'not JSON' : 'not an object'}`,
        record: undefined,
        end: undefined,
      };
  const started = state.record?.started_at ?? null;
  return {
    metrics: metrics ? { size: metrics.size, mtimeMs: metrics.mtimeMs } : null,
    summary: {
      name,
      status: state.status,
      reason: state.reason,
      config_name: state.record?.config.name ?? null,
      started_at: started,
      duration_s:
        state.end?.duration_s ??
        (started && state.status === 'running' ? (Date.now() - Date.parse(started)) / 1000 : null),
      exit_code: state.end?.exit_code ?? null,
      config: isJsonObject(config) ? Object.fromEntries(flattenConfig(config)) : {},
      defaults: isJsonObject(effective) && isJsonObject(effective.defaults) ? effective.defaults : {},
      metrics: summarizeMetrics(rows.rows),
      metrics_skipped: rows.skipped,
    },
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

/**
 * The cache as last parsed in this process, with the file's identity: a long-lived process (the
 * dashboard's server) parses the file again only when it changed, not on every request. Nothing
 * read from it is changed in place (listRuns makes new entries).
 */
let parsed: { file: string; stamp: string; cache: CacheFile } | undefined;

function readCache(file: string): CacheFile | undefined {
  const st = fs.statSync(file, { throwIfNoEntry: false });
  const stamp = st ? `${st.ino}:${st.mtimeMs}:${st.size}` : '';
  if (parsed && parsed.file === file && parsed.stamp === stamp) return parsed.cache;
  const cache = parseCache(file);
  parsed = cache && stamp ? { file, stamp, cache } : undefined;
  return cache;
}

function parseCache(file: string): CacheFile | undefined {
  try {
    const cache = JSON.parse(fs.readFileSync(file, 'utf8')) as CacheFile;
    if (cache.version !== 5) return undefined;
    // metric numbers are the only ones stored as "NaN" or "Infinity" strings (a reviver would
    // cost a call per value)
    for (const entry of Object.values(cache.entries ?? {})) {
      for (const m of Object.values(entry.summary.metrics)) {
        if (typeof m.last === 'string') m.last = NON_FINITE[m.last] ?? Number.NaN;
        if (typeof m.best === 'string') m.best = NON_FINITE[m.best] ?? Number.NaN;
      }
    }
    return cache;
  } catch {
    return undefined;
  }
}

function writeCache(file: string, cache: CacheFile): void {
  writeCacheFile(file, stringifyNumbers(cache));
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
    return { ...run, config };
  });
}

/**
 * Every key `ls` and the dashboard can read from these runs (for --where, --sort and --columns):
 * the fixed ones, config keys and defaults, metrics and their `.best`, and the prefixed forms.
 */
export function knownKeys(runs: readonly RunSummary[]): Set<string> {
  const keys = new Set(['name', 'status', 'started', 'duration', 'reason', 'stale']);
  for (const r of runs) {
    for (const k of [...Object.keys(r.config), ...Object.keys(r.defaults)]) {
      keys.add(k);
      keys.add(`config:${k}`);
    }
    for (const m of Object.keys(r.metrics))
      for (const k of [m, `${m}.best`]) {
        keys.add(k);
        keys.add(`metric:${k}`);
      }
  }
  return keys;
}
