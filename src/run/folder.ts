import { fs, join, relative } from '../_builtins.ts';
import type { JsonObject } from '../config/json.ts';
import { type LoadedConfig, loadConfig } from '../config/load.ts';
import { applyOverrides, type Override, type ParsedOverride } from '../config/overrides.ts';
import { resultName } from '../config/postfix.ts';
import {
  FolderLostError,
  fileSystemError,
  ReproError,
  ResultExistsError,
  ResultFileExistsError,
} from '../errors.ts';
import { findProject, type Project } from '../project/project.ts';
import { RUN_FILES } from './layout.ts';

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
  if (Buffer.byteLength(name) > 255)
    throw new ReproError(
      'REPRO_NAME_TOO_LONG',
      `the result folder name would be ${Buffer.byteLength(name)} bytes (${name.slice(0, 60)}…); file systems allow 255`,
    );
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

/**
 * The result folder a run made, held open so that its identity is known: a record is written
 * only while the path still names this very folder. If someone removed or replaced it during the
 * run (`rm -rf runs/x`, then a new run of the same config), the run writes nothing there, so the
 * new folder never receives the old run's records. The open handle keeps the folder's inode from
 * being reused while the run lives.
 */
export class RunFolder {
  readonly dir: string;
  readonly #fd: number | undefined;
  readonly #dev: number;
  readonly #ino: number;

  constructor(dir: string) {
    this.dir = dir;
    let fd: number | undefined;
    try {
      fd = fs.openSync(dir, 'r');
    } catch {
      // a platform that cannot open a folder: the stat identity alone
    }
    this.#fd = fd;
    const st = fd === undefined ? fs.statSync(dir) : fs.fstatSync(fd);
    this.#dev = st.dev;
    this.#ino = st.ino;
  }

  /** True while the path still names the folder this run made. */
  owns(): boolean {
    const st = fs.statSync(this.dir, { throwIfNoEntry: false });
    return st !== undefined && st.ino === this.#ino && st.dev === this.#dev;
  }

  /** Throws REPRO_FOLDER_LOST unless the path still names this run's folder. */
  check(what: string): void {
    if (!this.owns()) throw new FolderLostError(this.dir, what);
  }

  /** Writes a new file into the folder: exclusively, and only while the folder is this run's. */
  write(name: string, data: string | Uint8Array): void {
    this.check(name);
    writeExclusive(join(this.dir, name), data);
  }

  close(): void {
    if (this.#fd !== undefined) fs.closeSync(this.#fd);
  }
}

/**
 * The second step: creates the result folder with an exclusive, non-recursive mkdir and writes the
 * merged config (and `extra` files, such as the inputs' fingerprint) into it exclusively. If that
 * write fails, the new folder is removed again so no half-made result is left looking whole; an
 * existing folder is never touched.
 */
export function createRunFolder(
  prepared: PreparedRun,
  extra: Record<string, string> = {},
): { folder: RunFolder; startedAt: Date } {
  fs.mkdirSync(prepared.project.runsRoot, { recursive: true });
  try {
    fs.mkdirSync(prepared.dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') {
      throw new ResultExistsError(relative(prepared.cwd, prepared.dir) || prepared.dir, prepared.loaded.name);
    }
    throw fileSystemError(error);
  }
  const folder = new RunFolder(prepared.dir);
  try {
    folder.write(RUN_FILES.config, `${JSON.stringify(prepared.config, null, 2)}\n`);
    for (const [name, text] of Object.entries(extra)) folder.write(name, text);
  } catch (error) {
    folder.close();
    fs.rmSync(prepared.dir, { recursive: true, force: true });
    throw fileSystemError(error, relative(prepared.cwd, join(prepared.dir, RUN_FILES.config)));
  }
  return { folder, startedAt: new Date() };
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
