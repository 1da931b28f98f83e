import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { hashConfig } from '../config/hash.ts';
import type { JsonObject } from '../config/json.ts';
import { type LoadedConfig, loadConfig } from '../config/load.ts';
import { applyOverrides, type Override, type ParsedOverride } from '../config/overrides.ts';
import { resultName } from '../config/postfix.ts';
import { ResultExistsError, ResultFileExistsError } from '../errors.ts';
import { findProject, type Project } from '../project/project.ts';
import { reproVersion } from '../version.ts';
import {
  gatherGitFacts,
  gatherHostFacts,
  interpreterVersion,
  processStartTicks,
  recordedEnv,
} from './facts.ts';
import { RECORDED_ENV, RUN_FILES } from './layout.ts';
import type { EndRecord, EndStatus, RunRecord } from './record.ts';
import { hashFile, type ResolvedScript } from './script.ts';

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

/** Steps 1–2 of every script: load the config and merge the overrides. Nothing is written. */
export function prepareRun(options: PrepareRunOptions): PreparedRun {
  const cwd = options.cwd ?? process.cwd();
  const project = options.project ?? findProject({ cwd });
  const loaded = loadConfig(options.config, { cwd });
  const { config, applied } = applyOverrides(loaded.config, options.overrides ?? []);
  const name = resultName(loaded.name, loaded.config, config, options.postfix);
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
}

/** Gathers everything for `run.json`; git, the interpreter's version and the script's hash in parallel. */
export async function gatherRecord(
  prepared: PreparedRun,
  inputs: RecordInputs,
): Promise<{ record: RunRecord; diffText: string | null }> {
  const { project, loaded } = prepared;
  const [git, version] = await Promise.all([
    project.gitRoot ? gatherGitFacts(project.root) : Promise.resolve(null),
    inputs.script?.versionOf ? interpreterVersion(inputs.script.versionOf) : Promise.resolve(null),
  ]);
  const configRel = relative(project.root, loaded.file);
  const record: RunRecord = {
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
          interpreter_version: version,
        }
      : null,
    git: git ? { ...git.facts, diff: git.diffText ? RUN_FILES.diff : null } : null,
    host: gatherHostFacts(),
    pid: process.pid,
    pid_start: processStartTicks(process.pid),
    env: recordedEnv([...RECORDED_ENV, ...project.env]),
    started_at: new Date().toISOString(),
  };
  return { record, diffText: git?.diffText ?? null };
}

/**
 * Steps 3–4: creates the result folder with an exclusive, non-recursive mkdir, then writes the
 * merged config, the git diff and the start record, each exclusively. If anything fails after
 * the mkdir, the new folder is removed again so no half-made result is left looking whole; an
 * existing folder is never touched.
 */
export function createRunFolder(prepared: PreparedRun, record: RunRecord, diffText: string | null): void {
  mkdirSync(prepared.project.runsRoot, { recursive: true });
  try {
    mkdirSync(prepared.dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') {
      throw new ResultExistsError(relative(prepared.cwd, prepared.dir) || prepared.dir, prepared.loaded.name);
    }
    throw error;
  }
  try {
    writeExclusive(join(prepared.dir, RUN_FILES.config), `${JSON.stringify(prepared.config, null, 2)}\n`);
    if (diffText) writeExclusive(join(prepared.dir, RUN_FILES.diff), diffText);
    writeExclusive(join(prepared.dir, RUN_FILES.record), `${JSON.stringify(record, null, 2)}\n`);
    writeExclusive(join(prepared.dir, RUN_FILES.heartbeat), '');
  } catch (error) {
    rmSync(prepared.dir, { recursive: true, force: true });
    throw error;
  }
}

/** Writes a new file; an existing file is an error and is left as it was. */
export function writeExclusive(file: string, data: string | Uint8Array): void {
  try {
    writeFileSync(file, data, { flag: 'wx' });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') throw new ResultFileExistsError(file);
    throw error;
  }
}

/** Creates `end.json`: the only record of how the run ended. */
export function writeEndRecord(
  dir: string,
  startedAt: number,
  status: EndStatus,
  exitCode: number | null,
  signal: string | null,
): EndRecord {
  const end: EndRecord = {
    status,
    exit_code: exitCode,
    signal,
    ended_at: new Date().toISOString(),
    duration_s: Math.round((Date.now() - startedAt) / 10) / 100,
  };
  writeExclusive(join(dir, RUN_FILES.end), `${JSON.stringify(end, null, 2)}\n`);
  return end;
}
