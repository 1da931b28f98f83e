import { fs, isAbsolute, relative, resolve } from '../_builtins.ts';
import type { JsonObject } from '../config/json.ts';
import { isReservedKey } from '../config/reserved.ts';
import { fingerprintConfigInputs } from '../data/inputs.ts';
import { ReproError } from '../errors.ts';
import { likelyTypos } from '../hints.ts';
import type { Project } from '../project/project.ts';
import { uncommittedChanges } from './facts.ts';
import { createRunFolder, type PreparedRun, type RunFolder } from './folder.ts';
import { keysReadBy } from './keys.ts';
import { RUN_FILES } from './layout.ts';
import { gatherSlowFacts, newRunId, PendingRecord, type RecordInputs } from './record.ts';
import type { ResolvedScript } from './script.ts';
import { type ResolvedSource, resolveSources } from './sources.ts';

/** A run whose folder exists: what the process runner and the in-process API go on with. */
export interface BegunRun {
  /** The run's unique id (run.json `id`). */
  id: string;
  folder: RunFolder;
  startedAt: Date;
  /** run.json, written when git and the interpreter have answered. */
  record: PendingRecord;
  sources: ResolvedSource[];
}

export interface BeginRunOptions {
  /** What the record needs besides the sources, which beginRun resolves. */
  inputs: Omit<RecordInputs, 'sources' | 'staleSources' | 'code'>;
  /** Where warnings go, one line each. */
  warn: (line: string) => void;
  /** Runs after every check and before the folder is made (the runner's --retry makes room). */
  beforeCreate?: () => void;
  /** Refuse to start while tracked files have uncommitted changes. @default repro.json requireClean */
  requireClean?: boolean;
  /**
   * A key that no earlier run of the script read, close to one they read, stops the run instead
   * of a warning. @default repro.json strict
   */
  strict?: boolean;
  /**
   * Why each source is stale, when the caller knows already (make has the statuses of the whole
   * graph): the graph is then not read again for every stage. @default worked out here
   */
  staleSources?: ReadonlyMap<string, string[]>;
  /**
   * The caller starts the script's process after this and passes its pid to
   * `record.scriptStarted` (the runner): the interpreter's facts are then read from that process
   * when the command is a shim. @default false
   */
  startsScript?: boolean;
}

/**
 * The one "begin a run" step of `repro run` and `startRun()`: warns about the config (flatness),
 * resolves the sources (a missing or unfinished upstream stops the run here), warns when an
 * upstream result is stale and records why, fingerprints the declared input data, then makes the
 * result folder with config.json (and inputs.json) while git and the interpreter's version are
 * learned; run.json follows when they answer. Every check happens before anything is written.
 */
export async function beginRun(prepared: PreparedRun, options: BeginRunOptions): Promise<BegunRun> {
  const { project, label, warn } = { ...prepared, ...options };
  const config = prepared.config as JsonObject;
  for (const w of prepared.loaded.warnings) warn(`repro: warning: ${label}: ${w.message}`);
  if (options.requireClean ?? project.requireClean) requireClean(project, warn);
  const sources = resolveSources(config, project, label, prepared.cwd);
  const [manifest, staleSources] = await Promise.all([
    fingerprintConfigInputs(config, project, label),
    options.staleSources ?? upstreamStaleness(project, sources, warn),
    checkLikelyTypos(project, options.inputs.script, config, label, options.strict ?? project.strict, warn),
  ]);
  for (const [name, reasons] of staleSources) {
    if (reasons.length === 0) continue;
    const more = reasons.length > 1 ? ` (+${reasons.length - 1} more)` : '';
    warn(
      `repro: warning: ${label}: upstream ${name} is stale: ${reasons[0]}${more}; this run reads it as it is and records that (repro make ${prepared.loaded.name} --rebuild builds everything again from fresh data)`,
    );
  }
  options.beforeCreate?.();
  const id = newRunId();
  const code = codeFiles(project, options.inputs.script, config);
  const inputs: RecordInputs = { ...options.inputs, sources, staleSources, code };
  // the runner starts the script after this: its pid comes through scriptStarted
  let started: ((pid: number | undefined) => void) | undefined;
  const scriptPid = options.startsScript
    ? new Promise<number | undefined>((resolve) => {
        started = resolve;
      })
    : undefined;
  const slow = gatherSlowFacts(project, inputs.script, scriptPid);
  let made: ReturnType<typeof createRunFolder>;
  try {
    made = createRunFolder(
      prepared,
      manifest ? { [RUN_FILES.inputs]: `${JSON.stringify(manifest, null, 2)}\n` } : {},
    );
  } catch (error) {
    started?.(undefined);
    await slow.catch(() => undefined);
    throw error;
  }
  const record = new PendingRecord(prepared, made.folder, id, inputs, made.startedAt, slow, warn, started);
  return { id, folder: made.folder, startedAt: made.startedAt, record, sources };
}

/**
 * `--require-clean`: tracked files with uncommitted changes stop the run; outside git there is
 * nothing to check, which a one-line notice says (run.json then has `"git": null`).
 */
function requireClean(project: Project, warn: (line: string) => void): void {
  const changed = project.gitRoot ? uncommittedChanges(project.root) : null;
  if (changed === null) {
    warn(
      'repro: notice: not a git work tree, so --require-clean cannot check the code (run.json records "git": null)',
    );
    return;
  }
  if (changed.length)
    throw new ReproError(
      'REPRO_UNCOMMITTED',
      `tracked files have uncommitted changes: ${changed.slice(0, 5).join(', ')}${changed.length > 5 ? `, and ${changed.length - 5} more` : ''}; --require-clean runs only committed code`,
    );
}

/**
 * The code a rebuild needs besides what git keeps: the script, and every file a config value
 * names inside the project (not results, not folders), relative to the project root.
 */
function codeFiles(project: Project, script: ResolvedScript | null, config: JsonObject): string[] {
  const out = new Set<string>();
  const add = (abs: string) => {
    const rel = relative(project.root, abs);
    if (!rel || rel.startsWith('..') || isAbsolute(rel)) return;
    const inRuns = relative(project.runsRoot, abs);
    if (!inRuns.startsWith('..') && !isAbsolute(inRuns)) return;
    if (fs.statSync(abs, { throwIfNoEntry: false })?.isFile()) out.add(rel);
  };
  if (script?.file) add(script.file);
  for (const value of Object.values(config))
    if (typeof value === 'string' && value.length < 4096 && /[./]/.test(value) && !value.includes('*'))
      add(resolve(project.root, value));
  return [...out].sort();
}

/**
 * The graph and its statuses (`src/upstream.ts`), loaded from beside this module at run time: they
 * stay out of the one-file bundle a script imports (`dist/index.js`), so a script without sources
 * never parses them. From dist/index.js it is ./upstream.js, from a CLI chunk ../upstream.js,
 * from the sources ../upstream.ts.
 */
async function upstreamModule(): Promise<typeof import('../upstream.ts')> {
  for (const candidate of ['./upstream.js', '../upstream.js', '../upstream.ts']) {
    const url = new URL(candidate, import.meta.url);
    if (fs.existsSync(url)) return import(url.href);
  }
  throw new Error('dist/upstream.js is missing beside this module');
}

/**
 * Why each source is stale, by name (only the stale ones). The graph of the sources and their
 * upstream is loaded only for a config with sources, and lazily (it sits above run/); a graph
 * that cannot be read never stops a run.
 */
async function upstreamStaleness(
  project: Project,
  sources: readonly ResolvedSource[],
  warn: (line: string) => void,
): Promise<Map<string, string[]>> {
  const stale = new Map<string, string[]>();
  if (sources.length === 0) return stale;
  try {
    const { loadUpstream, graphStatus } = await upstreamModule();
    // the sources and what is upstream of them, not the whole project
    const named = sources.map((s) => s.name);
    const graph = loadUpstream(project, named);
    const names = named.filter((n) => graph.nodes.has(n));
    for (const s of await graphStatus(graph, names)) if (s.stale.length) stale.set(s.name, s.stale);
  } catch (error) {
    warn(
      `repro: warning: could not tell whether the upstream results are stale: ${(error as Error).message}`,
    );
  }
  return stale;
}

/**
 * The typo guard before a run starts: a config key that no earlier ended run of the same script
 * read (their effective.json), and that is close to a key they did read, is warned about, or with
 * `strict` stops the run. Scripts that record nothing read (no API, no Python module) give no
 * evidence, and so no warning. Only results new since the last start are read (run/keys.ts).
 */
async function checkLikelyTypos(
  project: Project,
  script: ResolvedScript | null,
  config: JsonObject,
  label: string,
  strict: boolean,
  warn: (line: string) => void,
): Promise<void> {
  if (!script?.path || !fs.existsSync(project.runsRoot)) return;
  let read: Set<string>;
  try {
    read = keysReadBy(project.runsRoot, script.path);
  } catch {
    // the guard is advice: a listing that fails never stops a run
    return;
  }
  if (read.size === 0) return;
  const typos = likelyTypos(
    Object.keys(config).filter((k) => !isReservedKey(k)),
    [...read],
  );
  const lines = typos.map(
    ({ key, near }) => `"${key}" was never read by an earlier run of ${script.path}; did you mean "${near}"?`,
  );
  if (strict && lines.length) throw new ReproError('REPRO_LIKELY_TYPO', `${label}: ${lines.join('; ')}`);
  for (const line of lines) warn(`repro: warning: ${label}: ${line}`);
}
