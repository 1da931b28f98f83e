import { basename, dirname, fs, join, os, parseJsonFile, readBytes, relative } from '../_builtins.ts';
import { hashConfig } from '../config/hash.ts';
import { describeJsonType, isJsonObject, type JsonObject } from '../config/json.ts';
import { fileSystemError } from '../errors.ts';
import type { Project } from '../project/project.ts';
import { reproVersion } from '../version.ts';
import {
  type GitFacts,
  type GitResult,
  gatherGitFacts,
  gatherGitFactsSync,
  gatherHostFacts,
  type HostFacts,
  interpreterFacts,
  interpreterFactsSync,
  isTracked,
  nodePackages,
  processStartTicks,
  type RuntimeFacts,
  recordedEnv,
} from './facts.ts';
import type { PreparedRun, RunFolder } from './folder.ts';
import { RECORDED_ENV, RUN_FILES } from './layout.ts';
import { hashFile, type ResolvedScript } from './script.ts';
import type { ResolvedSource } from './sources.ts';

/** How a run ended. `crashed` and `running` are never written: they are told from the outside. */
export type EndStatus = 'done' | 'failed' | 'interrupted';
/** `damaged`: a record file is there but is not a record (docs/results.md, "Damaged results"). */
export type RunStatus = EndStatus | 'running' | 'crashed' | 'damaged';
const END_STATUSES: readonly string[] = ['done', 'failed', 'interrupted'];

/** The start record, `run.json`: written once, exclusively, before the script starts. */
export interface RunRecord {
  format: 1;
  /** Unique id of this run (a UUID); sources name the runs they read by it. Older records lack it. */
  id?: string;
  repro_version: string;
  /** Result folder name, e.g. `model~lr=0.001`. */
  name: string;
  /** Who made the folder: `repro run` around a script, or the in-process API. */
  mode: 'cli' | 'api';
  config: {
    /** Config name, e.g. `model`. */
    name: string;
    /** The config file as given, relative to the project root when inside it. */
    file: string | null;
    /** `sha256:` of the canonical merged config. */
    hash: string;
    /** `sha256:` of the canonical config as loaded, before overrides. */
    base_hash: string;
  };
  overrides: { kind: 'conf' | 'set'; text: string }[];
  postfix: string | null;
  /** The argv of the process that made the folder. */
  argv: string[];
  /** The command that runs the script, when repro started it. */
  command: string[] | null;
  cwd: string;
  project_root: string;
  script: {
    path: string;
    sha256: string | null;
    interpreter: string[];
    interpreter_version: string | null;
  } | null;
  git: GitFacts | null;
  host: HostFacts;
  pid: number;
  /** Linux start time of `pid`, to tell a reused pid from the run's own process. */
  pid_start: string | null;
  /**
   * With `repro run`: the script's process (it leads its own process group) and its start time.
   * While it lives the run is running, even when `pid` (repro's process) was killed alone.
   */
  script_pid?: number;
  script_pid_start?: string | null;
  env: Record<string, string>;
  /** The upstream results this run read, as they were when it started. */
  sources?: SourceRecord[];
  /** The runtime's installed packages: Python's distributions, or the project's Node.js dependencies. */
  packages?: RuntimeFacts['packages'];
  /**
   * Files git does not track (the script, files the config names) copied into `repro-code/`
   * so that a rebuild a year later has them; those over the size limit are listed, not copied.
   */
  code?: { copied: string[]; skipped: { path: string; bytes: number }[]; limit_bytes: number };
  /**
   * The SLURM job that ran it (`repro make --launcher slurm`): its id, the resource options it
   * was submitted with (repro.json "slurm", --slurm-args), its partition and nodes.
   */
  slurm?: { job_id: string; options: string[]; partition: string | null; nodes: string | null };
  started_at: string;
}

/** An upstream result as a run found it when it started. */
export interface SourceRecord {
  name: string;
  /** The upstream run's id; absent in records made before runs had ids. */
  id?: string | null;
  started_at: string | null;
  ended_at?: string | null;
  config_hash: string | null;
  /** Why the upstream result was stale when this run started (the run was warned). */
  stale?: string[];
}

/**
 * What a result's staleness rests on (graph/status.ts), from its two records: the results index
 * keeps it in columns of its own, so that a status over 100,000 results parses no record.
 */
export interface RunFacts {
  /** run.json's id; null in records made before runs had ids. */
  id: string | null;
  started_at: string;
  /** end.json's; null while the run has not ended. */
  ended_at: string | null;
  /** run.json's config.base_hash: the config file the run was made from, before overrides. */
  base_hash: string | null;
  /**
   * run.json's config.name and config.file (relative to the project root, or absolute outside
   * it): a result under another name (`model~lr=0.1`) is stale when that file changed.
   */
  config_name: string | null;
  config_file: string | null;
  /** The script as it was hashed when the run started; null when none was recorded. */
  script: { path: string; sha256: string } | null;
  /** The upstream runs it read. */
  sources: readonly Pick<SourceRecord, 'name' | 'id' | 'started_at'>[];
}

/** The sources of every run that read none: one list, never changed. */
export const NO_SOURCES: RunFacts['sources'] = Object.freeze([]);

/** The facts of a run from its records; null without a start record. */
export function runFacts(record: RunRecord | undefined, end: EndRecord | undefined): RunFacts | null {
  if (!record) return null;
  const { script } = record;
  return {
    id: record.id ?? null,
    started_at: record.started_at,
    ended_at: end?.ended_at ?? null,
    base_hash: record.config?.base_hash ?? null,
    config_name: record.config?.name ?? null,
    config_file: record.config?.file ?? null,
    script: script?.path && script.sha256 ? { path: script.path, sha256: script.sha256 } : null,
    sources: record.sources?.length
      ? record.sources.map(({ name, id, started_at }) => ({ name, id: id ?? null, started_at }))
      : NO_SOURCES,
  };
}

/** The end record, `end.json`: created when the run ends. */
export interface EndRecord {
  status: EndStatus;
  exit_code: number | null;
  signal: string | null;
  ended_at: string;
  duration_s: number;
}

/**
 * A record file as read: its value when it is a valid record, else why it is damaged. A file
 * that is not there is neither.
 */
export interface Checked<T> {
  value?: T;
  damage?: string;
}

/** Reads a JSON file and checks it; `{}` when the file is missing. */
export function readChecked<T>(file: string, check: (value: unknown) => string | null): Checked<T> {
  let value: unknown;
  try {
    value = parseJsonFile(file);
  } catch (error) {
    if (error instanceof SyntaxError)
      return { damage: `${basename(file)} is not JSON (${(error as Error).message})` };
    const code = (error as NodeJS.ErrnoException).code;
    return code === 'ENOENT' || code === 'ENOTDIR'
      ? {}
      : { damage: `cannot read ${basename(file)} (${code})` };
  }
  const problem = check(value);
  return problem ? { damage: `${basename(file)}: ${problem}` } : { value: value as T };
}

const isStringOrNull = (v: unknown) => v === null || v === undefined || typeof v === 'string';

/**
 * Why `value` is not a start record, or null when it is one. Only what readers rely on is
 * checked: a script or a person may have written the file.
 */
export function checkRunRecord(value: unknown): string | null {
  if (!isJsonObject(value)) return `not an object (${describeJsonType(value)})`;
  if (typeof value.name !== 'string') return 'no "name"';
  if (typeof value.started_at !== 'string' || Number.isNaN(Date.parse(value.started_at)))
    return 'no valid "started_at"';
  const config = value.config;
  if (
    !isJsonObject(config) ||
    typeof config.name !== 'string' ||
    typeof config.hash !== 'string' ||
    typeof config.base_hash !== 'string'
  )
    return '"config" lacks name, hash or base_hash';
  if (!isJsonObject(value.host) || typeof value.host.hostname !== 'string') return '"host" lacks hostname';
  if (!isStringOrNull(value.host.boot_id)) return '"host.boot_id" is not a string';
  if (typeof value.pid !== 'number') return 'no "pid"';
  if (!isStringOrNull(value.pid_start)) return '"pid_start" is not a string';
  if (value.script_pid !== undefined && typeof value.script_pid !== 'number')
    return '"script_pid" is not a number';
  if (!isStringOrNull(value.script_pid_start)) return '"script_pid_start" is not a string';
  if (value.id !== undefined && typeof value.id !== 'string') return '"id" is not a string';
  if (value.script !== null && value.script !== undefined) {
    const script = value.script;
    if (!isJsonObject(script) || typeof script.path !== 'string' || !isStringOrNull(script.sha256))
      return '"script" lacks path';
  }
  if (value.git !== null && value.git !== undefined && !isJsonObject(value.git))
    return '"git" is not an object';
  if (value.env !== undefined && !isJsonObject(value.env)) return '"env" is not an object';
  if (value.sources !== undefined) {
    if (!Array.isArray(value.sources)) return '"sources" is not a list';
    for (const s of value.sources)
      if (
        !isJsonObject(s) ||
        typeof s.name !== 'string' ||
        !isStringOrNull(s.started_at) ||
        !isStringOrNull(s.id)
      )
        return '"sources" holds an entry without a name';
  }
  return null;
}

/** Why `value` is not an end record, or null when it is one. */
export function checkEndRecord(value: unknown): string | null {
  if (!isJsonObject(value)) return `not an object (${describeJsonType(value)})`;
  if (typeof value.status !== 'string' || !END_STATUSES.includes(value.status))
    return `"status" is ${JSON.stringify(value.status) ?? 'missing'}, not done, failed or interrupted`;
  if (typeof value.ended_at !== 'string' || Number.isNaN(Date.parse(value.ended_at)))
    return 'no valid "ended_at"';
  if (value.exit_code !== null && typeof value.exit_code !== 'number') return '"exit_code" is not a number';
  if (typeof value.duration_s !== 'number') return 'no "duration_s"';
  return null;
}

/** A JSON file parsed; undefined when it is missing or is not JSON. */
export function readJsonFile<T>(file: string): T | undefined {
  try {
    return parseJsonFile(file) as T;
  } catch {
    return undefined;
  }
}

/** The start record; undefined when it is missing or damaged (readRunState tells which). */
export function readRecord(dir: string): RunRecord | undefined {
  return readChecked<RunRecord>(join(dir, RUN_FILES.record), checkRunRecord).value;
}

/** The end record; undefined when it is missing or damaged. */
export function readEnd(dir: string): EndRecord | undefined {
  return readChecked<EndRecord>(join(dir, RUN_FILES.end), checkEndRecord).value;
}

export function mtimeMs(file: string): number | undefined {
  try {
    return fs.statSync(file).mtimeMs;
  } catch {
    return undefined;
  }
}

// --- writing the records ----------------------------------------------------------------------

/** What the caller knows that the record needs. */
export interface RecordInputs {
  mode: RunRecord['mode'];
  argv: string[];
  command: string[] | null;
  script: ResolvedScript | null;
  /** The upstream results, resolved before the folder was made. */
  sources?: ResolvedSource[];
  /** Why an upstream result was stale when the run started, by source name. */
  staleSources?: ReadonlyMap<string, readonly string[]>;
  /** The environment the script runs in. @default process.env */
  env?: Readonly<Record<string, string | undefined>>;
  /** The code files to copy when git does not track them (relative to the project root). */
  code?: readonly string[];
  /** The process that runs the script, when it is not this one (`repro begin`). @default process.pid */
  pid?: number;
  /** The script's own process, when this one started it (`repro run`). */
  scriptPid?: number;
}

/**
 * The facts that take a process to learn: git state, the interpreter's version and packages,
 * and which of the code files git tracks. Learned in the background while the script starts.
 */
export interface SlowFacts {
  git: GitResult;
  runtime: RuntimeFacts;
}

const NO_RUNTIME: RuntimeFacts = { version: null, packages: null };

/** Node.js scripts (and the API) record the project's dependencies; others ask the interpreter. */
function runtimeOf(
  project: Project,
  script: ResolvedScript | null,
  ask: (c: string) => RuntimeFacts | Promise<RuntimeFacts>,
) {
  if (script?.versionOf) return ask(script.versionOf);
  return script ? { version: null, packages: nodePackages(project.root) } : NO_RUNTIME;
}

/**
 * Starts learning the slow facts, in parallel; nothing is written. `scriptPid`: the script's
 * process once started, when this process starts it (a shim's choice of Python is read there).
 */
export async function gatherSlowFacts(
  project: Project,
  script: ResolvedScript | null,
  scriptPid?: Promise<number | undefined>,
): Promise<SlowFacts> {
  const [git, runtime] = await Promise.all([
    project.gitRoot ? gatherGitFacts(project.root) : null,
    runtimeOf(project, script, (command) => interpreterFacts(command, scriptPid)),
  ]);
  return { git, runtime };
}

export function gatherSlowFactsSync(project: Project, script: ResolvedScript | null): SlowFacts {
  return {
    git: project.gitRoot ? gatherGitFactsSync(project.root) : null,
    runtime: runtimeOf(project, script, interpreterFactsSync) as RuntimeFacts,
  };
}

/**
 * A new run id: a random UUID (v4). The 16 random bytes come from /dev/urandom where there is
 * one: loading Node's crypto for them costs a script 3 ms at start.
 */
export function newRunId(): string {
  let bytes: Buffer;
  try {
    bytes = readBytes('/dev/urandom', 16, null);
    if (bytes.length !== 16) throw new Error('short read');
  } catch {
    return process.getBuiltinModule('node:crypto').randomUUID();
  }
  bytes[6] = ((bytes[6] as number) & 0x0f) | 0x40;
  bytes[8] = ((bytes[8] as number) & 0x3f) | 0x80;
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** The start record from what is known now plus the slow facts. */
export function buildRecord(
  prepared: PreparedRun,
  id: string,
  inputs: RecordInputs,
  startedAt: Date,
  slow: SlowFacts,
): RunRecord {
  const { project, loaded } = prepared;
  const configRel = relative(project.root, loaded.file);
  return {
    format: 1,
    id,
    repro_version: reproVersion(),
    name: prepared.name,
    mode: inputs.mode,
    config: {
      name: loaded.name,
      file: configRel.startsWith('..') ? loaded.file : configRel,
      hash: hashConfig(prepared.config as JsonObject),
      base_hash: hashConfig(loaded.config),
    },
    overrides: prepared.overrides.map(({ kind, text }) => ({ kind, text })),
    postfix: prepared.postfix ?? null,
    argv: inputs.argv,
    command: inputs.command,
    cwd: prepared.cwd,
    project_root: project.root,
    script: inputs.script
      ? {
          path: inputs.script.path ?? '',
          sha256: hashFile(inputs.script.file),
          interpreter: inputs.script.interpreter,
          interpreter_version: slow.runtime.version,
        }
      : null,
    git: slow.git ? { ...slow.git.facts, diff: slow.git.diffText ? RUN_FILES.diff : null } : null,
    host: gatherHostFacts(),
    pid: inputs.pid ?? process.pid,
    pid_start: processStartTicks(inputs.pid ?? process.pid),
    ...(inputs.scriptPid === undefined
      ? {}
      : { script_pid: inputs.scriptPid, script_pid_start: processStartTicks(inputs.scriptPid) }),
    env: recordedEnv([...RECORDED_ENV, ...project.env], inputs.env),
    sources: (inputs.sources ?? []).map((src) => {
      const stale = inputs.staleSources?.get(src.name);
      return {
        name: src.name,
        id: src.record?.id ?? null,
        started_at: src.record?.started_at ?? null,
        ended_at: src.end?.ended_at ?? null,
        config_hash: src.record?.config.hash ?? null,
        ...(stale?.length ? { stale: [...stale] } : {}),
      };
    }),
    packages: slow.runtime.packages,
    ...slurmFacts(inputs.env ?? process.env),
    started_at: startedAt.toISOString(),
  };
}

/** The job and its resources, when the run is a stage that `make --launcher slurm` submitted. */
function slurmFacts(env: Readonly<Record<string, string | undefined>>): Pick<RunRecord, 'slurm'> {
  const job = env.SLURM_JOB_ID;
  const given = env.REPRO_SLURM_OPTIONS;
  if (!job || given === undefined) return {};
  let options: string[] = [];
  try {
    const parsed: unknown = JSON.parse(given);
    if (Array.isArray(parsed)) options = parsed.map(String);
  } catch {
    options = [given];
  }
  return {
    slurm: {
      job_id: job,
      options,
      partition: env.SLURM_JOB_PARTITION ?? null,
      nodes: env.SLURM_JOB_NODELIST ?? null,
    },
  };
}

/**
 * Writes run.json (and git.diff) once the slow facts arrive, so that neither the script nor the
 * caller waits for git. `flushSync` writes it at once, learning the facts synchronously if they
 * have not arrived: an end record is never written before its start record. Nothing is written
 * when the folder is no longer the run's (RunFolder).
 */
export class PendingRecord {
  readonly done: Promise<void>;
  #written = false;

  constructor(
    private readonly prepared: PreparedRun,
    private readonly folder: RunFolder,
    readonly id: string,
    private readonly inputs: RecordInputs,
    private readonly startedAt: Date,
    slow: Promise<SlowFacts>,
    private readonly warn: (line: string) => void,
    /** Hands the script's pid to the slow facts that wait for it (gatherSlowFacts). */
    private readonly started?: (pid: number | undefined) => void,
  ) {
    this.done = slow.then(
      (facts) => this.#write(facts),
      () => this.#write({ git: null, runtime: NO_RUNTIME }),
    );
  }

  /**
   * The script's process, once started: recorded with the rest (the record is written when the
   * slow facts answer, which is after the script starts; a record written before has none).
   */
  scriptStarted(pid: number | undefined): void {
    if (!this.#written && pid !== undefined) this.inputs.scriptPid = pid;
    this.started?.(pid);
  }

  flushSync(): void {
    if (!this.#written) this.#write(gatherSlowFactsSync(this.prepared.project, this.inputs.script));
  }

  #write(slow: SlowFacts): void {
    if (this.#written) return;
    this.#written = true;
    try {
      const record = buildRecord(this.prepared, this.id, this.inputs, this.startedAt, slow);
      const code = copyUntrackedCode(this.prepared.project, this.folder, this.inputs.code ?? [], slow.git);
      if (code) record.code = code;
      if (slow.git?.diffText) this.folder.write(RUN_FILES.diff, slow.git.diffText);
      this.folder.write(RUN_FILES.record, `${JSON.stringify(record, null, 2)}\n`);
    } catch (error) {
      const e = fileSystemError(error, RUN_FILES.record) as Error;
      this.warn(`repro: warning: the run record was not written: ${e.message}`);
    }
  }
}

/**
 * Copies the code files git does not track (all of them outside git) into `repro-code/`, each at
 * its path under the project root, until their total passes the project's `copyLimitBytes`; the
 * rest are listed with their size. Null when every file is tracked.
 */
function copyUntrackedCode(
  project: Project,
  folder: RunFolder,
  files: readonly string[],
  git: GitResult,
): RunRecord['code'] | null {
  // git status paths are relative to the work tree's root; the project may sit below it
  const prefix = project.gitRoot ? relative(project.gitRoot, project.root) : '';
  const untracked = git ? files.filter((f) => !isTracked(f, git.notTracked, prefix)) : [...files];
  if (untracked.length === 0) return null;
  const limit = project.copyLimitBytes;
  const copied: string[] = [];
  const skipped: { path: string; bytes: number }[] = [];
  let total = 0;
  for (const path of untracked) {
    let data: Buffer;
    try {
      data = fs.readFileSync(join(project.root, path));
    } catch {
      continue;
    }
    if (total + data.length > limit) {
      skipped.push({ path, bytes: data.length });
      continue;
    }
    const target = join(RUN_FILES.code, path);
    fs.mkdirSync(join(folder.dir, dirname(target)), { recursive: true });
    folder.write(target, data);
    copied.push(path);
    total += data.length;
  }
  return { copied, skipped, limit_bytes: limit };
}

/** How a run ended, from what happened to its process. */
export function endOf(
  interrupted: NodeJS.Signals | undefined,
  code: number | null,
  signal: NodeJS.Signals | string | null,
): { status: EndStatus; exitCode: number } {
  if (interrupted) return { status: 'interrupted', exitCode: interrupted === 'SIGTERM' ? 143 : 130 };
  const exitCode = code ?? 128 + (signal ? (os.constants.signals[signal as NodeJS.Signals] ?? 0) : 0);
  return { status: code === 0 ? 'done' : 'failed', exitCode };
}

/** How the run ended, as of now: what `end.json` holds. */
export function endRecord(
  startedAt: Date,
  status: EndStatus,
  exitCode: number | null,
  signal: string | null,
): EndRecord {
  return {
    status,
    exit_code: exitCode,
    signal,
    ended_at: new Date().toISOString(),
    duration_s: Math.round((Date.now() - startedAt.getTime()) / 10) / 100,
  };
}

/** Creates `end.json`, the only record of how the run ended; throws when it cannot. */
export function writeEndRecord(
  folder: RunFolder,
  startedAt: Date,
  status: EndStatus,
  exitCode: number | null,
  signal: string | null,
): EndRecord {
  const end = endRecord(startedAt, status, exitCode, signal);
  folder.write(RUN_FILES.end, `${JSON.stringify(end, null, 2)}\n`);
  return end;
}
