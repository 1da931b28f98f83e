import { fs, join } from '../_builtins.ts';
import type { GitFacts, HostFacts } from './facts.ts';
import { RUN_FILES } from './layout.ts';

/** How a run ended. `crashed` and `running` are never written: they are told from the outside. */
export type EndStatus = 'done' | 'failed' | 'interrupted';
export type RunStatus = EndStatus | 'running' | 'crashed';

/** The start record, `run.json`: written once, exclusively, before the script starts. */
export interface RunRecord {
  format: 1;
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
  sources?: { name: string; started_at: string | null; config_hash: string | null }[];
  started_at: string;
}

/** The end record, `end.json`: created when the run ends. */
export interface EndRecord {
  status: EndStatus;
  exit_code: number | null;
  signal: string | null;
  ended_at: string;
  duration_s: number;
}

export function readJsonFile<T>(file: string): T | undefined {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as T;
  } catch {
    return undefined;
  }
}

export function readRecord(dir: string): RunRecord | undefined {
  return readJsonFile<RunRecord>(join(dir, RUN_FILES.record));
}

export function readEnd(dir: string): EndRecord | undefined {
  return readJsonFile<EndRecord>(join(dir, RUN_FILES.end));
}

export function mtimeMs(file: string): number | undefined {
  try {
    return fs.statSync(file).mtimeMs;
  } catch {
    return undefined;
  }
}
