import { basename, dirname, fs, join, relative } from '../_builtins.ts';
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
import { RUN_FILES, writingName } from './layout.ts';

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

/** Files written by this process so far: each one's temporary name is its own. */
let writes = 0;

/** What link() answers on a file system without hard links. */
const NO_LINKS = new Set(['EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'ENOSYS', 'EXDEV', 'EMLINK']);

/**
 * Writes a new file; an existing file is an error and is left as it was. The file appears whole:
 * written under a temporary name beside it (writingName), then linked to its own name, which
 * fails if that exists. Written in place, a reader between the create and the write saw an
 * empty run.json or end.json and called a running result damaged. Where the file system has
 * no hard links, the file is written in place as before.
 */
export function writeExclusive(file: string, data: string | Uint8Array): void {
  const temp = join(dirname(file), writingName(basename(file), `${process.pid}-${++writes}`));
  try {
    try {
      // a stale one (a crash, and this process id again) is in the way: replaced
      fs.writeFileSync(temp, data);
    } catch {
      // a full disk, a folder gone: the file itself says so, as it did
      writeInPlace(file, data);
      return;
    }
    try {
      fs.linkSync(temp, file);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'EEXIST') throw new ResultFileExistsError(file);
      if (!(code && NO_LINKS.has(code))) throw error;
      writeInPlace(file, data);
    }
  } finally {
    fs.rmSync(temp, { force: true });
  }
}

function writeInPlace(file: string, data: string | Uint8Array): void {
  try {
    fs.writeFileSync(file, data, { flag: 'wx' });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') throw new ResultFileExistsError(file);
    throw error;
  }
}
