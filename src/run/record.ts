import { basename, fs, join } from '../_builtins.ts';
import type { GitFacts, HostFacts } from './facts.ts';
import { RUN_FILES } from './layout.ts';

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
  env: Record<string, string>;
  /** The upstream results this run read, as they were when it started. */
  sources?: SourceRecord[];
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
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return code === 'ENOENT' || code === 'ENOTDIR'
      ? {}
      : { damage: `cannot read ${basename(file)} (${code})` };
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return { damage: `${basename(file)} is not JSON (${(error as Error).message})` };
  }
  const problem = check(value);
  return problem ? { damage: `${basename(file)}: ${problem}` } : { value: value as T };
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
const isStringOrNull = (v: unknown) => v === null || v === undefined || typeof v === 'string';

/**
 * Why `value` is not a start record, or null when it is one. Only what readers rely on is
 * checked: a script or a person may have written the file.
 */
export function checkRunRecord(value: unknown): string | null {
  if (!isObject(value))
    return `not an object (${value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value})`;
  if (typeof value.name !== 'string') return 'no "name"';
  if (typeof value.started_at !== 'string' || Number.isNaN(Date.parse(value.started_at)))
    return 'no valid "started_at"';
  const config = value.config;
  if (
    !isObject(config) ||
    typeof config.name !== 'string' ||
    typeof config.hash !== 'string' ||
    typeof config.base_hash !== 'string'
  )
    return '"config" lacks name, hash or base_hash';
  if (!isObject(value.host) || typeof value.host.hostname !== 'string') return '"host" lacks hostname';
  if (!isStringOrNull(value.host.boot_id)) return '"host.boot_id" is not a string';
  if (typeof value.pid !== 'number') return 'no "pid"';
  if (!isStringOrNull(value.pid_start)) return '"pid_start" is not a string';
  if (value.id !== undefined && typeof value.id !== 'string') return '"id" is not a string';
  if (value.script !== null && value.script !== undefined) {
    const script = value.script;
    if (!isObject(script) || typeof script.path !== 'string' || !isStringOrNull(script.sha256))
      return '"script" lacks path';
  }
  if (value.git !== null && value.git !== undefined && !isObject(value.git)) return '"git" is not an object';
  if (value.env !== undefined && !isObject(value.env)) return '"env" is not an object';
  if (value.sources !== undefined) {
    if (!Array.isArray(value.sources)) return '"sources" is not a list';
    for (const s of value.sources)
      if (
        !isObject(s) ||
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
  if (!isObject(value))
    return `not an object (${value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value})`;
  if (typeof value.status !== 'string' || !END_STATUSES.includes(value.status))
    return `"status" is ${JSON.stringify(value.status) ?? 'missing'}, not done, failed or interrupted`;
  if (typeof value.ended_at !== 'string' || Number.isNaN(Date.parse(value.ended_at)))
    return 'no valid "ended_at"';
  if (value.exit_code !== null && typeof value.exit_code !== 'number') return '"exit_code" is not a number';
  if (typeof value.duration_s !== 'number') return 'no "duration_s"';
  return null;
}

export function readJsonFile<T>(file: string): T | undefined {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as T;
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
