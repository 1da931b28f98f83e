import { fs, join, relative } from '../_builtins.ts';
import { hashConfig } from '../config/hash.ts';
import type { JsonObject } from '../config/json.ts';
import { type LoadedConfig, loadConfig } from '../config/load.ts';
import { applyOverrides, type Override, type ParsedOverride } from '../config/overrides.ts';
import { resultName } from '../config/postfix.ts';
import { ResultExistsError, ResultFileExistsError } from '../errors.ts';
import { findProject, type Project } from '../project/project.ts';
import { reproVersion } from '../version.ts';
import {
  type GitResult,
  gatherGitFacts,
  gatherGitFactsSync,
  gatherHostFacts,
  interpreterVersion,
  interpreterVersionSync,
  processStartTicks,
  recordedEnv,
} from './facts.ts';
import { RECORDED_ENV, RUN_FILES } from './layout.ts';
import type { EndRecord, EndStatus, RunRecord } from './record.ts';
import { hashFile, type ResolvedScript } from './script.ts';
import type { ResolvedSource } from './sources.ts';

export interface PrepareRunOptions {
  /** Path of the config file. */
  config: string;
  /** `--conf` and `--set` changes, applied in order. @default [] */
  overrides?: readonly Override[];
  /** Explicit name postfix: the result goes to `<name>~<postfix>`. @default none */
  postfix?: string;
  /** Folder that relative paths resolve against and where the project is looked for. @default process.cwd() */
  cwd?: string;
  /** The project, when already found. @default findProject({ cwd }) */
  project?: Project;
  /** The config's name when the file name is not it (a result's config.json). @default from the file name */
  name?: string;
  /** The result folder's name, instead of the name and postfix scheme. @default resultName(...) */
  resultName?: string;
}

/** A run that is loaded, merged and named, but not yet on disk. */
export interface PreparedRun {
  project: Project;
  loaded: LoadedConfig;
  /** The config file as the user named it, for messages. */
  label: string;
  /** The folder paths in messages are relative to. */
  cwd: string;
  /** The merged config (frozen): what the script sees and what is saved. */
  config: Readonly<JsonObject>;
  overrides: ParsedOverride[];
  postfix: string | undefined;
  /** Result folder name, e.g. `model` or `model~lr=0.001`. */
  name: string;
  /** Absolute path of the result folder. */
  dir: string;
}

/** The first step of every run: load the config and merge the overrides. Nothing is written. */
export function prepareRun(options: PrepareRunOptions): PreparedRun {
  const cwd = options.cwd ?? process.cwd();
  const project = options.project ?? findProject({ cwd });
  const loaded = loadConfig(options.config, { cwd, name: options.name });
  const { config, applied } = applyOverrides(loaded.config, options.overrides ?? []);
  const name = options.resultName ?? resultName(loaded.name, loaded.config, config, options.postfix);
  return {
    project,
    loaded,
    label: options.config,
    cwd,
    config: Object.freeze(config),
    overrides: applied,
    postfix: options.postfix,
    name,
    dir: join(project.runsRoot, name),
  };
}

/** What the caller knows that the record needs. */
export interface RecordInputs {
  mode: RunRecord['mode'];
  argv: string[];
  command: string[] | null;
  script: ResolvedScript | null;
  /** The upstream results, resolved before the folder was made. */
  sources?: ResolvedSource[];
  /** The environment the script runs in. @default process.env */
  env?: Readonly<Record<string, string | undefined>>;
}

/** The facts that take a process to learn: git state and the interpreter's version. */
export interface SlowFacts {
  git: GitResult;
  interpreterVersion: string | null;
}

/** Starts learning the slow facts, in parallel; nothing is written. */
export async function gatherSlowFacts(project: Project, script: ResolvedScript | null): Promise<SlowFacts> {
  const [git, version] = await Promise.all([
    project.gitRoot ? gatherGitFacts(project.root) : null,
    script?.versionOf ? interpreterVersion(script.versionOf) : null,
  ]);
  return { git, interpreterVersion: version };
}

export function gatherSlowFactsSync(project: Project, script: ResolvedScript | null): SlowFacts {
  return {
    git: project.gitRoot ? gatherGitFactsSync(project.root) : null,
    interpreterVersion: script?.versionOf ? interpreterVersionSync(script.versionOf) : null,
  };
}

/** The start record from what is known now plus the slow facts. */
export function buildRecord(
  prepared: PreparedRun,
  inputs: RecordInputs,
  startedAt: Date,
  slow: SlowFacts,
): RunRecord {
  const { project, loaded } = prepared;
  const configRel = relative(project.root, loaded.file);
  return {
    format: 1,
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
          interpreter_version: slow.interpreterVersion,
        }
      : null,
    git: slow.git ? { ...slow.git.facts, diff: slow.git.diffText ? RUN_FILES.diff : null } : null,
    host: gatherHostFacts(),
    pid: process.pid,
    pid_start: processStartTicks(process.pid),
    env: recordedEnv([...RECORDED_ENV, ...project.env], inputs.env),
    sources: (inputs.sources ?? []).map((src) => ({
      name: src.name,
      started_at: src.record?.started_at ?? null,
      config_hash: src.record?.config.hash ?? null,
    })),
    started_at: startedAt.toISOString(),
  };
}

/**
 * The second step: creates the result folder with an exclusive, non-recursive mkdir and writes the
 * merged config (and `extra` files, such as the inputs' fingerprint) into it exclusively. If that write fails, the new folder is removed again so
 * no half-made result is left looking whole; an existing folder is never touched.
 */
export function createRunFolder(prepared: PreparedRun, extra: Record<string, string> = {}): Date {
  fs.mkdirSync(prepared.project.runsRoot, { recursive: true });
  try {
    fs.mkdirSync(prepared.dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') {
      throw new ResultExistsError(relative(prepared.cwd, prepared.dir) || prepared.dir, prepared.loaded.name);
    }
    throw error;
  }
  try {
    writeExclusive(join(prepared.dir, RUN_FILES.config), `${JSON.stringify(prepared.config, null, 2)}\n`);
    for (const [name, text] of Object.entries(extra)) writeExclusive(join(prepared.dir, name), text);
  } catch (error) {
    fs.rmSync(prepared.dir, { recursive: true, force: true });
    throw error;
  }
  return new Date();
}

/**
 * Makes the result folder (config.json, and inputs.json when there is a manifest) while git and
 * the interpreter's version are learned in parallel; run.json follows when they answer, always
 * before end.json. What `repro run` and `startRun()` both do.
 */
export async function openRunFolder(
  prepared: PreparedRun,
  inputs: RecordInputs,
  manifest: object | null,
  warn: (line: string) => void,
): Promise<{ startedAt: Date; record: PendingRecord }> {
  const slow = gatherSlowFacts(prepared.project, inputs.script);
  let startedAt: Date;
  try {
    startedAt = createRunFolder(
      prepared,
      manifest ? { [RUN_FILES.inputs]: `${JSON.stringify(manifest, null, 2)}\n` } : {},
    );
  } catch (error) {
    await slow.catch(() => undefined);
    throw error;
  }
  return { startedAt, record: new PendingRecord(prepared, inputs, startedAt, slow, warn) };
}

/**
 * Writes run.json (and git.diff) once the slow facts arrive, so that neither the script nor the
 * caller waits for git. `flushSync` writes it at once, learning the facts synchronously if they
 * have not arrived: an end record is never written before its start record.
 */
export class PendingRecord {
  readonly done: Promise<void>;
  #written = false;

  constructor(
    private readonly prepared: PreparedRun,
    private readonly inputs: RecordInputs,
    private readonly startedAt: Date,
    slow: Promise<SlowFacts>,
    private readonly warn: (line: string) => void,
  ) {
    this.done = slow.then(
      (facts) => this.#write(facts),
      () => this.#write({ git: null, interpreterVersion: null }),
    );
  }

  flushSync(): void {
    if (!this.#written) this.#write(gatherSlowFactsSync(this.prepared.project, this.inputs.script));
  }

  #write(slow: SlowFacts): void {
    if (this.#written) return;
    this.#written = true;
    try {
      const record = buildRecord(this.prepared, this.inputs, this.startedAt, slow);
      if (slow.git?.diffText) writeExclusive(join(this.prepared.dir, RUN_FILES.diff), slow.git.diffText);
      writeExclusive(join(this.prepared.dir, RUN_FILES.record), `${JSON.stringify(record, null, 2)}\n`);
    } catch (error) {
      this.warn(`repro: warning: cannot write the run record: ${(error as Error).message}`);
    }
  }
}

/** Writes a new file; an existing file is an error and is left as it was. */
export function writeExclusive(file: string, data: string | Uint8Array): void {
  try {
    fs.writeFileSync(file, data, { flag: 'wx' });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') throw new ResultFileExistsError(file);
    throw error;
  }
}

/** Creates `end.json`: the only record of how the run ended. */
export function writeEndRecord(
  dir: string,
  startedAt: Date,
  status: EndStatus,
  exitCode: number | null,
  signal: string | null,
): EndRecord {
  const end: EndRecord = {
    status,
    exit_code: exitCode,
    signal,
    ended_at: new Date().toISOString(),
    duration_s: Math.round((Date.now() - startedAt.getTime()) / 10) / 100,
  };
  writeExclusive(join(dir, RUN_FILES.end), `${JSON.stringify(end, null, 2)}\n`);
  return end;
}
