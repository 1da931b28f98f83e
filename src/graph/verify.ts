import { fs, join, relative, resolve } from '../_builtins.ts';
import { sha256Hex } from '../config/hash.ts';
import type { Json } from '../config/json.ts';
import { NotAResultError, ReproError, ResultExistsError } from '../errors.ts';
import { findProject, type Project } from '../project/project.ts';
import { RUN_FILES, SCRIPT_ENV_DEFAULTS } from '../run/layout.ts';
import { parseMetrics } from '../run/metrics.ts';
import { type RunRecord, readRecord, runFacts } from '../run/record.ts';
import { type Output, type RunResult, runConfig } from '../run/runner.ts';
import { type RunState, readRunState } from '../run/status.ts';
import { dataStaleness, scriptChange } from './status.ts';

/**
 * Files that legitimately differ between two runs of the same config, left out of the
 * comparison: repro's own records and logs (times, pids, hosts, output timing) and the saved
 * diff. metrics.jsonl is compared value by value instead of byte by byte.
 */
export const VERIFY_IGNORED = [
  RUN_FILES.record,
  RUN_FILES.end,
  RUN_FILES.stdout,
  RUN_FILES.stderr,
  RUN_FILES.diff,
  RUN_FILES.heartbeat,
  RUN_FILES.reserve,
  RUN_FILES.code,
];

export interface VerifyOptions {
  /** The result folder to reproduce. */
  result: string;
  /** Relative tolerance for metrics: |a − b| <= rtol × max(|a|, |b|). @default 0 (exact) */
  rtol?: number;
  /** Name the rerun `<name>~verifyN`, listed like any result, instead of the hidden `.<name>~verifyN`. @default false */
  keep?: boolean;
  /** @default process.cwd() */
  cwd?: string;
  project?: Project;
  stdout?: Output;
  stderr?: Output;
  /** The rerun's environment (the recorded seeds are set over it). @default process.env */
  env?: Readonly<Record<string, string | undefined>>;
}

export interface VerifyReport {
  result: string;
  /** The new folder the config was rerun into. */
  rerun: string;
  reproduced: boolean;
  /** Files only in the original, only in the rerun, or with other content. */
  missing: string[];
  extra: string[];
  changed: string[];
  /** The first step at which each differing metric differs. */
  metrics: {
    metric: string;
    row: number;
    step: Json | undefined;
    original: Json | undefined;
    rerun: Json | undefined;
  }[];
  /** The rerun itself failed. */
  failure: string | null;
  /** What changed since the original run that explains a difference: its script, its input data. */
  explanations: string[];
  /**
   * Every difference is a number within a relative LAST_BITS_RTOL (in metrics or in JSON
   * files): the order of a floating-point sum changed, not the result.
   */
  lastBitsOnly: boolean;
}

/** Differences smaller than this (relative) come from the order of floating-point operations. */
export const LAST_BITS_RTOL = 1e-12;

/** What `verify` says when every difference is in the last bits. */
export const LAST_BITS_NOTE = `differs only in the last bits (summation order: set or dict iteration, threads, BLAS); rerun with --rtol ${LAST_BITS_RTOL} to accept, or make the order deterministic`;

/** Why a result is not done, in a few words: "it was interrupted (SIGINT)", "it is still running". */
export function notDone(state: RunState): string {
  const exit = state.end?.signal ?? (state.end?.exit_code != null ? `exit ${state.end.exit_code}` : null);
  if (state.status === 'running') return 'it is still running';
  if (state.status === 'interrupted') return `it was interrupted${exit ? ` (${exit})` : ''}`;
  if (state.status === 'failed') return `it failed${exit ? ` (${exit})` : ''}`;
  return `it ${state.status === 'crashed' ? 'crashed' : 'is damaged'}: ${state.reason}`;
}

/**
 * `repro verify`: reruns the saved config of a result with today's code into a new folder
 * (`runs/.<name>~verify1`, then `~verify2` ...: a dot name that listings leave out; never
 * over the original; with `keep`, `<name>~verify1`) and compares the set of
 * files, each file's content hash, and every metric in metrics.jsonl (exactly, or within
 * `rtol`). Files in VERIFY_IGNORED are left out. Only a done result can be reproduced
 * (`REPRO_VERIFY_NOT_DONE` otherwise).
 */
export async function verifyResult(options: VerifyOptions): Promise<VerifyReport> {
  const cwd = options.cwd ?? process.cwd();
  const project = options.project ?? findProject({ cwd });
  const dir = resolve(cwd, options.result);
  if (!fs.existsSync(join(dir, RUN_FILES.config))) throw new NotAResultError(relative(cwd, dir) || dir);
  const state = readRunState(dir);
  if (state.status !== 'done')
    throw new ReproError(
      'REPRO_VERIFY_NOT_DONE',
      `cannot verify ${relative(cwd, dir) || dir}: ${notDone(state)}; only a done result can be reproduced`,
    );
  const record = state.record ?? readRecord(dir);
  const name = dir.split('/').pop() as string;
  const configName = record?.config.name ?? name.split('~')[0] ?? name;
  let n = 1;
  // reruns go where listings do not look (a dot name), unless kept; beside the original either
  // way, since scripts find their sources next to their own folder
  const folder = options.keep ? '' : '.';
  while (fs.existsSync(join(project.runsRoot, `${folder}${name}~verify${n}`))) n++;
  // a config with no script was run with an explicit command: run that again, without its -c
  const saved = JSON.parse(fs.readFileSync(join(dir, RUN_FILES.config), 'utf8')) as { script?: unknown };
  const command = saved.script === undefined && record?.command ? record.command.slice(0, -2) : undefined;
  let rerun: RunResult | undefined;
  try {
    while (!rerun) {
      try {
        rerun = await runConfig({
          config: join(dir, RUN_FILES.config),
          name: configName,
          resultName: `${folder}${name}~verify${n}`,
          cwd,
          project,
          quiet: true,
          command,
          stdout: options.stdout,
          stderr: options.stderr,
          // the same per-process seeds as the original (an older record lacks them: repro's default)
          env: { ...(options.env ?? process.env), ...seedsOf(record?.env) },
        });
      } catch (error) {
        // another verify took this number between the look and the mkdir (its folder exists,
        // running or done): take the next
        const taken =
          error instanceof ResultExistsError ||
          (error instanceof ReproError && /^REPRO_RESULT_(RUNNING|FAILED)$/.test(error.code));
        if (taken && n < 1000) n++;
        else throw error;
      }
    }
  } catch (error) {
    if (error instanceof ReproError && /SOURCE/.test(error.code)) {
      throw new ReproError(
        'REPRO_VERIFY_UPSTREAM_GONE',
        `cannot verify ${relative(cwd, dir)}: ${error.message}`,
        'Verify needs the upstream results the original read. Produce them again (repro make), then verify.',
      );
    }
    throw error;
  }
  const report: VerifyReport = {
    result: dir,
    rerun: rerun.dir,
    reproduced: false,
    missing: [],
    extra: [],
    changed: [],
    metrics: [],
    lastBitsOnly: false,
    explanations: [],
    failure:
      rerun.status === 'done'
        ? null
        : `the rerun ${rerun.status} with exit code ${rerun.exitCode}; see ${relative(cwd, rerun.dir)}/${RUN_FILES.stderr}`,
  };
  const a = listFiles(dir);
  const b = listFiles(rerun.dir);
  for (const f of a.keys()) if (!b.has(f)) report.missing.push(f);
  for (const f of b.keys()) if (!a.has(f)) report.extra.push(f);
  const rtol = options.rtol ?? 0;
  // a file whose bytes differ still counts as the same when it is JSON (or JSON lines) whose
  // numbers agree within rtol; `nearly` collects those within the last bits
  let nearly = 0;
  for (const [f, hash] of a) {
    if (f === RUN_FILES.metrics || !b.has(f) || b.get(f) === hash) continue;
    let [x, y] = [readJsonish(join(dir, f)), readJsonish(join(rerun.dir, f))];
    // the inputs' fingerprints compare by what was read: a copied or reinstalled data set has
    // other modification times and the same bytes
    if (f === RUN_FILES.inputs || f === RUN_FILES.inputsRead) [x, y] = [withoutTimes(x), withoutTimes(y)];
    if (x !== undefined && y !== undefined && sameDeep(x, y, rtol)) continue;
    report.changed.push(f);
    if (x !== undefined && y !== undefined && sameDeep(x, y, LAST_BITS_RTOL)) nearly++;
  }
  if (a.has(RUN_FILES.metrics) && b.has(RUN_FILES.metrics)) {
    const files = [join(dir, RUN_FILES.metrics), join(rerun.dir, RUN_FILES.metrics)] as const;
    report.metrics = compareMetrics(...files, rtol);
    if (report.metrics.length)
      nearly += report.metrics.length - compareMetrics(...files, LAST_BITS_RTOL).length;
  }
  report.lastBitsOnly =
    !report.failure &&
    !report.missing.length &&
    !report.extra.length &&
    nearly > 0 &&
    nearly === report.changed.length + report.metrics.length;
  if (
    report.missing.length ||
    report.extra.length ||
    report.changed.length ||
    report.metrics.length ||
    report.failure
  ) {
    report.explanations = await explainChanges(dir, record, project);
  }
  report.reproduced =
    !report.failure &&
    !report.missing.length &&
    !report.extra.length &&
    !report.changed.length &&
    !report.metrics.length;
  return report;
}

/** Every file below a folder (relative path -> content hash), leaving out VERIFY_IGNORED at its top. */
function listFiles(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (sub: string) => {
    for (const entry of fs.readdirSync(join(dir, sub), { withFileTypes: true })) {
      const rel = sub ? `${sub}/${entry.name}` : entry.name;
      if (!sub && (VERIFY_IGNORED as readonly string[]).includes(entry.name)) continue;
      if (entry.isDirectory()) walk(rel);
      else if (entry.isFile()) out.set(rel, sha256Hex(fs.readFileSync(join(dir, rel))));
    }
  };
  walk('');
  return out;
}

function compareMetrics(fileA: string, fileB: string, rtol: number): VerifyReport['metrics'] {
  const a = parseMetrics(fs.readFileSync(fileA, 'utf8'));
  const b = parseMetrics(fs.readFileSync(fileB, 'utf8'));
  const found = new Map<string, VerifyReport['metrics'][number]>();
  const rows = Math.max(a.length, b.length);
  for (let i = 0; i < rows; i++) {
    const ra = a[i] ?? {};
    const rb = b[i] ?? {};
    for (const key of new Set([...Object.keys(ra), ...Object.keys(rb)])) {
      if (found.has(key)) continue;
      if (!same(ra[key], rb[key], rtol)) {
        found.set(key, { metric: key, row: i, step: ra.step ?? rb.step, original: ra[key], rerun: rb[key] });
      }
    }
  }
  return [...found.values()];
}

function same(x: Json | undefined, y: Json | undefined, rtol: number): boolean {
  if (typeof x === 'number' && typeof y === 'number') {
    if (x === y) return true;
    return Math.abs(x - y) <= rtol * Math.max(Math.abs(x), Math.abs(y));
  }
  return JSON.stringify(x) === JSON.stringify(y);
}

/**
 * A fingerprint (or a list of them) without the files' modification times where each file has
 * its digest: at `checksum` level the digest says whether the bytes are the same. At `list`
 * level the time is all there is, and stays.
 */
function withoutTimes(value: Json | undefined): Json | undefined {
  if (Array.isArray(value)) return value.map((v) => withoutTimes(v) as Json);
  if (!value || typeof value !== 'object') return value;
  if (typeof value.hash === 'string' && 'mtime_ms' in value) {
    const { mtime_ms: _, ...rest } = value;
    return rest;
  }
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, withoutTimes(v) as Json]));
}

/** Equal JSON values, numbers within rtol anywhere inside. */
function sameDeep(x: Json | undefined, y: Json | undefined, rtol: number): boolean {
  if (Array.isArray(x) && Array.isArray(y))
    return x.length === y.length && x.every((v, i) => sameDeep(v, y[i], rtol));
  if (x && y && typeof x === 'object' && typeof y === 'object' && !Array.isArray(x) && !Array.isArray(y)) {
    const keys = Object.keys(x);
    return (
      keys.length === Object.keys(y).length &&
      keys.every((k) => Object.hasOwn(y, k) && sameDeep(x[k], y[k], rtol))
    );
  }
  return same(x, y, rtol);
}

/** A JSON file as a value, a JSON-lines file as an array of values; undefined for anything else. */
function readJsonish(file: string): Json | undefined {
  let text: string;
  try {
    if (fs.statSync(file).size > 64 * 2 ** 20) return undefined;
    text = fs.readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
  try {
    return JSON.parse(text) as Json;
  } catch {}
  try {
    return text
      .split('\n')
      .filter((l) => l.trim())
      .map((l) => JSON.parse(l) as Json);
  } catch {
    return undefined;
  }
}

/** The per-process seeds a run was started with (SCRIPT_ENV_DEFAULTS' names), for a rerun. */
function seedsOf(env: Record<string, string> | undefined): Record<string, string> {
  const out: Record<string, string> = { ...SCRIPT_ENV_DEFAULTS };
  for (const name of Object.keys(SCRIPT_ENV_DEFAULTS)) {
    const value = env?.[name];
    if (value !== undefined) out[name] = value;
  }
  return out;
}

/** What changed since the original run, in words a user acts on. */
async function explainChanges(
  dir: string,
  record: RunRecord | undefined,
  project: Project,
): Promise<string[]> {
  const out: string[] = [];
  const script = scriptChange(runFacts(record, undefined)?.script, project.root);
  const path = record?.script?.path;
  if (script === 'gone') out.push(`the script ${path} is gone since the original run`);
  else if (script === 'changed')
    out.push(
      `the script ${path} changed since the original run (git diff ${record?.git?.commit?.slice(0, 12) ?? 'HEAD'} -- ${path})`,
    );
  for (const reason of await dataStaleness(dir, project)) out.push(`input ${reason} since the original run`);
  return out;
}
