import type { WriteStream } from 'node:fs';
import { dirname, fs, isAbsolute, join, relative, resolve } from '../_builtins.ts';
import { parseRunArgs } from '../config/argv.ts';
import type { JsonObject } from '../config/json.ts';
import { loadConfig } from '../config/load.ts';
import type { Override } from '../config/overrides.ts';
import { type FingerprintLevel, fingerprint, type Manifest, matchInputs } from '../data/fingerprint.ts';
import { paranoiaOf } from '../data/inputs.ts';
import { fileSystemError, PathOutsideRunError, ResultFileExistsError, UsageError } from '../errors.ts';
import { findProject, type Project } from '../project/project.ts';
import { beginRun } from './begin.ts';
import { prepareRun, RunFolder, writeExclusive } from './folder.ts';
import { startHeartbeat } from './heartbeat.ts';
import { RUN_FILES } from './layout.ts';
import { MetricsLog, type MetricsRow } from './metrics.ts';
import { type EffectiveConfig, Params } from './params.ts';
import { type EndStatus, newRunId, type PendingRecord, writeEndRecord } from './record.ts';
import { type ResolvedSource, resolveSources } from './sources.ts';

export interface StartRunOptions {
  /** Arguments to parse (`-c`, `--conf`, `--set`, `--postfix`). @default process.argv.slice(2) */
  argv?: readonly string[];
  /** The config file; takes the place of `-c`. @default from argv */
  config?: string;
  /** Changes applied after those in argv. @default [] */
  overrides?: readonly Override[];
  /** Result folder postfix; takes the place of `--postfix`. @default from argv */
  postfix?: string;
  /** Where paths resolve and the project is looked for. @default process.cwd() */
  cwd?: string;
  /**
   * Write the end record and effective config when the process exits, and mark the run
   * `interrupted` on SIGINT/SIGTERM (under `repro run`, SIGINT only: SIGTERM, repro run's second
   * Ctrl-C, ends the script at once even in a loop that never yields, and repro run records the
   * end). Turn off to end the run yourself with `run.finish()`.
   * @default true
   */
  handleExit?: boolean;
  /** Copy this process's stdout and stderr into the folder (standalone runs only). @default true */
  captureOutput?: boolean;
  /**
   * A config key that no earlier run of this script read, close to one they read, stops the run
   * instead of a warning. @default repro.json strict
   */
  strict?: boolean;
  /** Where warnings go (flatness, unread keys). @default process.stderr */
  warn?: (line: string) => void;
}

/**
 * A running experiment: its result folder, its merged config and the ways to write into the
 * folder, none of which can overwrite.
 */
export class Run {
  /** Result folder name, e.g. `model` or `model~lr=0.001`. */
  readonly name: string;
  /** Absolute path of the result folder. */
  readonly dir: string;
  /** The config's name (its file name without .json). */
  readonly configName: string;
  /** The merged config, frozen. Prefer `params.get` so reads are recorded. */
  readonly config: Readonly<JsonObject>;
  /** Recorded access to the config: `params.get(key, default)`, `params.require(key)`. */
  readonly params: Params;
  readonly project: Project;
  /** True when `repro run` made the folder and this process adopted it. */
  readonly adopted: boolean;
  /** The run's unique id (run.json `id`). */
  readonly id: string;
  /** The folder, held so that nothing is written once it is no longer this run's. */
  readonly folder: RunFolder;

  readonly #metrics: MetricsLog;
  readonly #warn: (line: string) => void;
  /**
   * Settles when run.json is on disk. It is written as soon as git has answered, without
   * holding up the script; `finish()` writes it at once if it is still missing.
   */
  readonly recorded: Promise<void>;

  readonly #startedAt: Date;
  readonly #record: PendingRecord | undefined;
  #finished = false;
  readonly #inputs: Manifest[] = [];
  #cleanup: (() => void)[] = [];

  /** @internal use `startRun` */
  constructor(init: {
    name: string;
    configName: string;
    config: Readonly<JsonObject>;
    project: Project;
    adopted: boolean;
    id: string;
    folder: RunFolder;
    warn: (line: string) => void;
    startedAt?: Date;
    record?: PendingRecord;
  }) {
    this.id = init.id;
    this.folder = init.folder;
    this.#startedAt = init.startedAt ?? new Date();
    this.#record = init.record;
    this.recorded = init.record?.done ?? Promise.resolve();
    this.name = init.name;
    this.dir = init.folder.dir;
    this.configName = init.configName;
    this.config = init.config;
    this.project = init.project;
    this.adopted = init.adopted;
    this.params = new Params(init.config as JsonObject, init.configName);
    this.#metrics = new MetricsLog(init.folder.dir, () => init.folder.check(RUN_FILES.metrics));
    this.#warn = init.warn;
  }

  /** Absolute path of `name` inside the result folder; refuses anything that leaves it. */
  path(name: string): string {
    const full = resolve(this.dir, name);
    const rel = relative(this.dir, full);
    if (name === '' || isAbsolute(name) || rel === '' || rel.startsWith('..') || isAbsolute(rel)) {
      throw new PathOutsideRunError(name);
    }
    return full;
  }

  /** Writes a new file into the folder (sub-folders are made); an existing file is an error. */
  async writeFile(name: string, data: string | Uint8Array): Promise<string> {
    const file = this.path(name);
    this.folder.check(name);
    fs.mkdirSync(dirname(file), { recursive: true });
    writeExclusive(file, data);
    return file;
  }

  /** An exclusive write stream for a new file in the folder (sub-folders are made). */
  create(name: string): WriteStream {
    const file = this.path(name);
    this.folder.check(name);
    fs.mkdirSync(dirname(file), { recursive: true });
    // open synchronously so an existing file fails here, not later on the stream
    let fd: number;
    try {
      fd = fs.openSync(file, 'wx');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EEXIST') throw new ResultFileExistsError(file);
      throw error;
    }
    return fs.createWriteStream(file, { fd });
  }

  /** Appends one row to metrics.jsonl: `run.log({ step, loss })`. */
  log(row: MetricsRow): void {
    this.#metrics.append(row);
  }

  /**
   * Declares input data the script reads: returns the files the paths or globs match (relative
   * to the project root, absolute paths returned) and records their fingerprint at the
   * config's paranoia level (`level` to choose); the fingerprints go into inputs-read.json at
   * the end, and `repro status` reports the result stale when the data changes.
   */
  async inputs(
    patterns: string | readonly string[],
    options: { level?: FingerprintLevel; allowEmpty?: boolean } = {},
  ): Promise<string[]> {
    const list = typeof patterns === 'string' ? [patterns] : [...patterns];
    this.params.markRead('paranoia', 'inputs_allow_empty');
    const manifest = await fingerprint(list, {
      level:
        options.level ?? paranoiaOf(this.config as JsonObject, this.project, `config ${this.configName}`),
      root: this.project.root,
      allowEmpty: options.allowEmpty ?? this.config.inputs_allow_empty === true,
    });
    this.#inputs.push(manifest);
    return (await matchInputs(list, this.project.root)).map((f) => resolve(this.project.root, f));
  }

  /** The one upstream result named by the config's `source` key. */
  source(): ResolvedSource {
    const all = this.sources();
    if (all.length !== 1) {
      throw new UsageError(
        `config ${this.configName} names ${all.length} sources; run.source() wants exactly one`,
        all.length
          ? 'Use run.sources() for a list of sources.'
          : 'Add "source": "<upstream result name>" to the config.',
      );
    }
    return all[0] as ResolvedSource;
  }

  /** Every upstream result named by `source`, each checked to be finished and `done`. */
  sources(): ResolvedSource[] {
    this.params.markRead('source');
    return resolveSources(this.config as JsonObject, this.project, `config ${this.configName}`);
  }

  /** The effective config so far: every value read, the defaults used, keys never read. */
  effective(): EffectiveConfig {
    return this.params.effective();
  }

  /**
   * Ends the run: writes effective.json, reports keys never read, and (unless `repro run`
   * owns the folder) creates end.json. Runs once; later calls do nothing.
   */
  finish(
    status: EndStatus = 'done',
    exitCode: number | null = status === 'done' ? 0 : 1,
    signal: string | null = null,
  ): void {
    if (this.#finished) return;
    this.#finished = true;
    const effective = this.params.effective();
    // warn before the output capture is undone, so stderr.log has the warnings too
    for (const u of effective.unread) this.#warn(`repro: warning: ${u.message}`);
    for (const undo of this.#cleanup.splice(0)) undo();
    this.#metrics.close();
    try {
      this.folder.write(RUN_FILES.effective, `${JSON.stringify(effective, null, 2)}\n`);
      if (this.#inputs.length)
        this.folder.write(RUN_FILES.inputsRead, `${JSON.stringify(this.#inputs, null, 2)}\n`);
      if (!this.adopted) {
        // the start record first, even when the run ends before git answered
        this.#record?.flushSync();
        writeEndRecord(this.folder, this.#startedAt, status, exitCode, signal);
      }
    } catch (error) {
      // at the end of a run there is no one to throw to: say it, in plain words
      const e = fileSystemError(error, RUN_FILES.end) as Error;
      this.#warn(`repro: warning: the end of the run (${status}) is not fully recorded: ${e.message}`);
    } finally {
      this.folder.close();
    }
  }

  /** @internal */
  _onFinish(undo: () => void): void {
    this.#cleanup.push(undo);
  }
}

/**
 * Sets up a script in the shape every repro script has (README, "Writing a script"): parses `-c/--config`, `--conf`, `--set`,
 * `--postfix`; merges; creates the result folder; writes the config exclusively; returns the
 * run. Started by `repro run`, it adopts the folder that repro made instead of making another.
 */
export async function startRun(options: StartRunOptions = {}): Promise<Run> {
  const cwd = options.cwd ?? process.cwd();
  const argv = options.argv ?? process.argv.slice(2);
  const args = parseRunArgs(argv);
  const warn = options.warn ?? ((line: string) => process.stderr.write(`${line}\n`));
  const configFile = options.config ?? args.config;
  const handleExit = options.handleExit ?? true;

  const adopted = adoptedFolder(configFile, cwd);
  if (adopted) {
    const project = findProject({ cwd });
    const loaded = loadConfig(adopted.config, { name: adopted.configName });
    const run = new Run({
      name: adopted.name,
      configName: adopted.configName,
      config: Object.freeze(loaded.config),
      project,
      adopted: true,
      id: adopted.id,
      folder: new RunFolder(adopted.dir),
      warn,
    });
    if (handleExit) installExitHandlers(run);
    return run;
  }

  if (!configFile) {
    throw new UsageError('no config given', 'Pass the config file: -c configs/model.json');
  }
  const prepared = prepareRun({
    config: configFile,
    overrides: [...args.overrides, ...(options.overrides ?? [])],
    postfix: options.postfix ?? args.postfix,
    cwd,
  });
  const script = process.argv[1] ? resolve(process.argv[1]) : null;
  // a missing or unfinished upstream stops the run before anything is written; git runs while
  // the folder is made and the script gets going, and run.json follows when it answers
  const begun = await beginRun(prepared, {
    inputs: {
      mode: 'api',
      argv: process.argv,
      command: null,
      script: script
        ? {
            file: script,
            path: relative(prepared.project.root, script),
            interpreter: [process.execPath],
            command: [],
            versionOf: null,
          }
        : null,
    },
    strict: options.strict,
    warn,
  });
  const run = new Run({
    name: prepared.name,
    configName: prepared.loaded.name,
    config: prepared.config,
    project: prepared.project,
    adopted: false,
    id: begun.id,
    folder: begun.folder,
    warn,
    startedAt: begun.startedAt,
    record: begun.record,
  });
  if (options.captureOutput ?? true) captureOutput(run);
  run._onFinish(startHeartbeat(begun.folder));
  if (handleExit) installExitHandlers(run);
  return run;
}

/** The folder `repro run` made for this process, when REPRO_RUN_DIR is set and -c names its config. */
function adoptedFolder(configFile: string | undefined, cwd: string) {
  const dir = process.env.REPRO_RUN_DIR;
  const config = process.env.REPRO_CONFIG;
  const configName = process.env.REPRO_CONFIG_NAME;
  if (!dir || !config || !configName) return undefined;
  // a script that a run starts with another config is a run of its own
  if (configFile && resolve(cwd, configFile) !== resolve(config)) return undefined;
  return {
    dir,
    config,
    configName,
    name: process.env.REPRO_RUN_NAME ?? configName,
    id: process.env.REPRO_RUN_ID ?? newRunId(),
  };
}

function captureOutput(run: Run): void {
  const outFd = fs.openSync(join(run.dir, RUN_FILES.stdout), 'ax');
  const errFd = fs.openSync(join(run.dir, RUN_FILES.stderr), 'ax');
  const tee = (stream: NodeJS.WriteStream, fd: number) => {
    const original = stream.write;
    stream.write = function (this: NodeJS.WriteStream, chunk: unknown, ...rest: unknown[]) {
      try {
        if (typeof chunk === 'string') fs.writeSync(fd, chunk);
        else if (chunk instanceof Uint8Array) fs.writeSync(fd, chunk);
      } catch {
        // the log is a copy; the terminal output goes on
      }
      return (original as (...a: unknown[]) => boolean).call(this, chunk, ...rest);
    } as typeof stream.write;
    run._onFinish(() => {
      stream.write = original;
    });
  };
  // process.stdout and process.stderr are made on first use (a pipe loads net and streams,
  // ~3 ms): tee each when the script first touches it, not before
  for (const [name, fd] of [
    ['stdout', outFd],
    ['stderr', errFd],
  ] as const) {
    const descriptor = Object.getOwnPropertyDescriptor(process, name);
    const getter = descriptor?.get;
    if (!descriptor || !getter || !descriptor.configurable) {
      tee(process[name], fd);
      continue;
    }
    Object.defineProperty(process, name, {
      configurable: true,
      enumerable: descriptor.enumerable ?? false,
      get() {
        Object.defineProperty(process, name, descriptor);
        const stream = getter.call(process) as NodeJS.WriteStream;
        tee(stream, fd);
        return stream;
      },
    });
    run._onFinish(() => {
      if (Object.getOwnPropertyDescriptor(process, name)?.get !== getter)
        Object.defineProperty(process, name, descriptor);
    });
  }
  run._onFinish(() => {
    fs.closeSync(outFd);
    fs.closeSync(errFd);
  });
  // Node prints an uncaught error straight to fd 2, around process.stderr: log it here
  const onUncaught = (error: unknown) => {
    try {
      fs.writeSync(errFd, `${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    } catch {
      // the terminal still shows it
    }
  };
  process.on('uncaughtExceptionMonitor', onUncaught);
  run._onFinish(() => process.off('uncaughtExceptionMonitor', onUncaught));
}

function installExitHandlers(run: Run): void {
  let interrupted: NodeJS.Signals | undefined;
  const onExit = (code: number) => {
    const status: EndStatus = interrupted ? 'interrupted' : code === 0 ? 'done' : 'failed';
    run.finish(status, code, interrupted ?? null);
  };
  const onSignal = (signal: NodeJS.Signals) => {
    interrupted = signal;
    // a script with its own handler (say, to save a checkpoint) decides when to exit
    if (process.listenerCount(signal) > 1) return;
    process.exit(signal === 'SIGINT' ? 130 : 143);
  };
  // Under `repro run` SIGTERM keeps its default action: repro run sends it at the second Ctrl-C
  // and records the end itself. Node runs a handler only when the event loop turns, so a handler
  // here would keep a training loop that never yields running until SIGKILL, 30 s later.
  const signals: NodeJS.Signals[] = run.adopted ? ['SIGINT'] : ['SIGINT', 'SIGTERM'];
  process.on('exit', onExit);
  for (const s of signals) process.on(s, onSignal);
  run._onFinish(() => {
    process.off('exit', onExit);
    for (const s of signals) process.off(s, onSignal);
  });
}
