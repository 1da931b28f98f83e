import type { ChildProcess } from 'node:child_process';
import { basename, childProcess, fs, join, relative } from '../_builtins.ts';
import { fileSystemError, ReproError, ResultExistsError } from '../errors.ts';
import { type AtticMove, atticDir, moveToAttic } from './attic.ts';
import { beginRun } from './begin.ts';
import { isPython } from './facts.ts';
import { type PreparedRun, type PrepareRunOptions, prepareRun, type RunFolder } from './folder.ts';
import { formatSeconds } from './format.ts';
import { startHeartbeat } from './heartbeat.ts';
import { RESERVE_BYTES, RUN_FILES, SCRIPT_ENV_DEFAULTS } from './layout.ts';
import {
  type EndRecord,
  type EndStatus,
  endOf,
  endRecord,
  type RunStatus,
  writeEndRecord,
} from './record.ts';
import { pythonPath, type ResolvedScript, resolveCommand, resolveScript } from './script.ts';
import { readRunState } from './status.ts';

/** Where output goes: a stream, or anything with write (a test's buffer). */
export interface Output {
  write(chunk: string | Uint8Array): unknown;
}

export interface RunConfigOptions extends PrepareRunOptions {
  /** A command to run instead of the config's `script` (`repro run cfg.json -- python x.py`). */
  command?: string[];
  /** The argv to record. @default process.argv */
  argv?: string[];
  /** Where the script's output is shown live. @default process.stdout / process.stderr */
  stdout?: Output;
  stderr?: Output;
  /** Pass SIGINT/SIGTERM on to the script and mark the run `interrupted`. @default true */
  handleSignals?: boolean;
  /** Print only the script's own output, not repro's start and end lines. @default false */
  quiet?: boolean;
  /** Stops the script (SIGTERM) when aborted; the run ends `interrupted`. */
  signal?: AbortSignal;
  /**
   * Milliseconds a script has to end after a SIGTERM repro passed on (a checkpoint to save)
   * before repro sends SIGKILL: a script that handles SIGTERM while busy in a loop never runs
   * its handler. @default 30000 (SLURM's KillWait and Kubernetes' grace period)
   */
  killAfterMs?: number;
  /**
   * When the result exists and failed, was interrupted or crashed: move it to the attic and run
   * again. A done result is still refused. @default false
   */
  retry?: boolean;
  /** Refuse to start while tracked files have uncommitted changes. @default repro.json requireClean */
  requireClean?: boolean;
  /**
   * A config key that no earlier run of the script read, close to one they read, stops the run
   * instead of a warning. @default repro.json strict
   */
  strict?: boolean;
  /** Why each source is stale, when the caller knows (make). @default worked out from the graph */
  staleSources?: ReadonlyMap<string, string[]>;
  /**
   * The environment the script runs in (plus SCRIPT_ENV_DEFAULTS for what it lacks).
   * @default process.env
   */
  env?: Readonly<Record<string, string | undefined>>;
}

export interface RunResult {
  name: string;
  /** The run's unique id (run.json `id`). */
  id: string;
  dir: string;
  status: EndStatus;
  /** The script's exit code (128 + signal number when it died of a signal); 130 when interrupted. */
  exitCode: number;
  end: EndRecord;
  /**
   * False when end.json could not be written: the disk was full, or the folder was removed or
   * replaced during the run (nothing is then written into the folder at that path).
   */
  recorded: boolean;
}

/**
 * `repro run`: loads and merges the config, checks the script and the sources, creates the result
 * folder and its records, runs the script with the folder in `REPRO_RUN_DIR` and `-c
 * <folder>/config.json`, shows and saves its output, and writes `end.json` when it ends.
 * Every check happens before anything is written.
 */
export async function runConfig(options: RunConfigOptions): Promise<RunResult> {
  const out = options.stdout ?? process.stdout;
  const err = options.stderr ?? process.stderr;
  const prepared = prepareRun(options);
  const { project, label } = prepared;

  // every check before anything is written
  const script = options.command?.length
    ? resolveCommand(project, options.command)
    : resolveScript(project, prepared.config.script, label);
  const configInRun = join(prepared.dir, RUN_FILES.config);
  const command = [...script.command, '-c', configInRun];
  const env = withPythonPath(script, { ...SCRIPT_ENV_DEFAULTS, ...(options.env ?? process.env) });
  const warn = (line: string) => err.write(`${line}\n`);
  // an existing result is refused before anything else is said about the run; with --retry it
  // moves aside only after every check, just before the new folder is made
  if (!options.retry) makeRoomForRetry(prepared, false);
  // until the script runs, a signal ends repro as if it had no handler, but only between tasks:
  // never between making the folder and starting the script (one task). Killed in there, a run
  // left a folder without a record, which `repro run` refused as `running (starting)` for a minute
  const handled: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];
  const handleSignals = options.handleSignals ?? true;
  const early = (signal: NodeJS.Signals) => {
    for (const s of handled) process.off(s, early);
    process.kill(process.pid, signal);
  };
  if (handleSignals) for (const s of handled) process.on(s, early);
  // git and the interpreter's version are learned while the folder is made and the script
  // starts; run.json is written when they answer, always before end.json
  const begun = await beginRun(prepared, {
    inputs: { mode: 'cli', argv: options.argv ?? process.argv, command, script, env },
    warn,
    requireClean: options.requireClean,
    strict: options.strict,
    staleSources: options.staleSources,
    startsScript: true,
    beforeCreate: options.retry
      ? () => {
          const retried = makeRoomForRetry(prepared, true);
          if (retried && !options.quiet)
            err.write(
              `repro: moved the ${retried.status} result to ${relative(prepared.cwd, retried.move.to)}\n`,
            );
        }
      : undefined,
  }).catch((error) => {
    for (const s of handled) process.off(s, early);
    throw error;
  });
  const { folder, startedAt, record } = begun;
  const shown = relative(prepared.cwd, prepared.dir) || prepared.dir;
  if (!options.quiet) err.write(`repro: ${shown} <- ${label}${script.path ? ` (${script.path})` : ''}\n`);

  const reserve = holdReserve(folder);
  const logs = {
    stdout: openLog(join(prepared.dir, RUN_FILES.stdout), shown, warn, false),
    // the script's last words (a traceback) are kept, for a disk that fills up before them
    stderr: openLog(join(prepared.dir, RUN_FILES.stderr), shown, warn, true),
  };
  const [bin, ...args] = command as [string, ...string[]];
  const child = childProcess().spawn(bin, args, {
    cwd: project.root,
    stdio: ['inherit', 'pipe', 'pipe'],
    // its own session and process group: a Ctrl-C in the terminal reaches repro alone, which
    // passes it on once (the script would otherwise get the terminal's signal and ours)
    detached: true,
    env: {
      ...env,
      REPRO_RUN_DIR: prepared.dir,
      REPRO_RUN_ID: begun.id,
      REPRO_CONFIG: configInRun,
      REPRO_CONFIG_NAME: prepared.loaded.name,
      REPRO_RUN_NAME: prepared.name,
      REPRO_PROJECT_ROOT: project.root,
      // output goes through a pipe: keep Python from holding it back in a buffer
      PYTHONUNBUFFERED: '1',
    },
  });
  record.scriptStarted(child.pid);
  child.stdout.on('data', (chunk: Buffer) => {
    out.write(chunk);
    logs.stdout.write(chunk);
  });
  child.stderr.on('data', (chunk: Buffer) => {
    err.write(chunk);
    logs.stderr.write(chunk);
  });

  const stopHeartbeat = startHeartbeat(folder);

  // Ctrl-C, `kill`, a closed terminal: the script's process group gets exactly one signal per
  // signal repro gets; a second one sends SIGTERM, a third SIGKILL (as does a SIGTERM the
  // script has not ended 30 s after)
  let interrupted: NodeJS.Signals | undefined;
  let presses = 0;
  let signalled: (() => void) | undefined;
  const onSignal = (signal: NodeJS.Signals) => {
    interrupted ??= signal;
    signalled?.();
    presses++;
    const send: NodeJS.Signals = presses === 1 ? signal : presses === 2 ? 'SIGTERM' : 'SIGKILL';
    if (presses > 1) {
      // the line about what the next Ctrl-C does is out of date once it came
      clearTimeout(slowStop);
      err.write(`repro: sending ${send} to the script\n`);
    }
    signalGroup(child, send);
    // a script that handles SIGTERM but is busy in a loop never runs its handler: it is given
    // killAfter to end, then killed, as SLURM and Kubernetes do
    if (send === 'SIGTERM' && !killLater)
      killLater = setTimeout(() => {
        err.write(
          `repro: the script did not end ${killAfter / 1000} s after SIGTERM (a loop that never yields cannot run its handler): sending SIGKILL\n`,
        );
        signalGroup(child, 'SIGKILL');
      }, killAfter).unref();
    // a script busy in a loop that never yields cannot run its handler: say what comes next
    // (a SIGTERM needs no such line: SIGKILL follows it by itself)
    if (presses === 1 && send !== 'SIGKILL' && send !== 'SIGTERM')
      slowStop = setTimeout(
        () =>
          err.write(
            `repro: the script is still running ${SLOW_STOP_MS / 1000} s after ${send}; ${signal === 'SIGINT' ? 'Ctrl-C' : 'the same signal'} again sends SIGTERM, a third time SIGKILL\n`,
          ),
        SLOW_STOP_MS,
      ).unref();
  };
  let slowStop: NodeJS.Timeout | undefined;
  let killLater: NodeJS.Timeout | undefined;
  const killAfter = options.killAfterMs ?? KILL_AFTER_MS;
  // the script's handler on before the early one is off: with none, a signal kills at once
  if (handleSignals) for (const s of handled) process.on(s, onSignal);
  for (const s of handled) process.off(s, early);
  const onAbort = () => onSignal('SIGTERM');
  options.signal?.addEventListener('abort', onAbort, { once: true });

  const { code, signal, spawnError } = await new Promise<{
    code: number | null;
    signal: NodeJS.Signals | null;
    spawnError?: Error;
  }>((done) => {
    child.on('error', (error) => done({ code: 127, signal: null, spawnError: error }));
    child.on('close', (c, s) => done({ code: c, signal: s }));
  });
  // a script dead of SIGINT, SIGTERM or SIGHUP while repro was sent none: the same signal may be
  // on its way to repro (SLURM's scancel signals every process of the job, the script and repro
  // in either order), and a run stopped so is interrupted, not failed. It is given a moment.
  if (!interrupted && signal && handled.includes(signal) && (options.handleSignals ?? true))
    await new Promise<void>((done) => {
      const timer = setTimeout(done, SIGNAL_GRACE_MS);
      signalled = () => {
        clearTimeout(timer);
        done();
      };
    });
  stopHeartbeat();
  clearTimeout(slowStop);
  clearTimeout(killLater);
  for (const s of handled) process.off(s, onSignal);
  options.signal?.removeEventListener('abort', onAbort);
  if (spawnError) {
    const line = `repro: cannot start ${bin}: ${spawnError.message}\n`;
    err.write(line);
    logs.stderr.write(line);
  }
  await Promise.all([logs.stdout.close(), logs.stderr.close(), record.done]);

  const { status, exitCode } = endOf(interrupted, code, signal);
  // the space held back makes room for the end record, and for the tail of stderr that a full
  // disk kept out of stderr.log
  reserve.release();
  const end = finishFolder(folder, shown, startedAt, { status, exitCode, code, signal }, warn);
  logs.stderr.salvage(folder);
  folder.close();
  if (!options.quiet) {
    const how =
      status === 'done'
        ? 'done'
        : status === 'failed'
          ? `failed (exit ${exitCode}; see ${shown}/${RUN_FILES.stderr})`
          : 'interrupted';
    err.write(`repro: ${shown} ${how} in ${formatSeconds(end.duration_s)}\n`);
  }
  return {
    name: prepared.name,
    id: begun.id,
    dir: prepared.dir,
    status,
    exitCode,
    end,
    recorded: end.recorded,
  };
}

/**
 * Writes end.json when the folder is still the run's and the disk allows; otherwise says why
 * in plain words. The end as it happened comes back either way.
 */
function finishFolder(
  folder: RunFolder,
  shown: string,
  startedAt: Date,
  how: { status: EndStatus; exitCode: number; code: number | null; signal: NodeJS.Signals | null },
  warn: (line: string) => void,
): EndRecord & { recorded: boolean } {
  try {
    return { ...writeEndRecord(folder, startedAt, how.status, how.code, how.signal), recorded: true };
  } catch (error) {
    const e = fileSystemError(error, `${shown}/${RUN_FILES.end}`) as Error;
    warn(
      `repro: warning: the end of the run (${how.status}, exit ${how.exitCode}) is not recorded: ${e.message}`,
    );
    return { ...endRecord(startedAt, how.status, how.code, how.signal), recorded: false };
  }
}

/** The `repro run` command that names the same result: the config, its overrides, its postfix. */
function rerunCommand(prepared: PreparedRun): string {
  const quote = (t: string) => (/^[A-Za-z0-9_./=,+:@%-]+$/.test(t) ? t : `'${t.replace(/'/g, "'\\''")}'`);
  const parts = ['repro run', quote(prepared.label)];
  for (const o of prepared.overrides) parts.push(`--${o.kind}`, quote(o.text));
  if (prepared.postfix) parts.push('--postfix', quote(prepared.postfix));
  return parts.join(' ');
}

/** Sends a signal to the script's process group (its own children too), else to it alone. */
function signalGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    child.kill(signal);
  }
}

/** RUN_FILES.reserve, written now (when the disk allows) and removed by `release`. */
function holdReserve(folder: RunFolder): { release(): void } {
  let held = false;
  try {
    folder.write(RUN_FILES.reserve, new Uint8Array(RESERVE_BYTES));
    held = true;
  } catch {
    // a disk already this full fails at the logs, and says so there
  }
  return {
    release() {
      if (held && folder.owns()) fs.rmSync(join(folder.dir, RUN_FILES.reserve), { force: true });
      held = false;
    },
  };
}

/**
 * A log file of the run that never crashes the runner: a failed write is said once, then
 * skipped. With `keepTail`, the last TAIL_BYTES written are kept, so that what a full disk kept
 * out of the file can be added at the end (`salvage`) once the reserve is given back.
 */
interface Log {
  write(chunk: Buffer | string): void;
  close(): Promise<void>;
  salvage(folder: RunFolder): void;
}

const TAIL_BYTES = 16 * 1024;

function openLog(file: string, shown: string, warn: (line: string) => void, keepTail: boolean): Log {
  let broken = false;
  let tail: Buffer[] = [];
  let tailBytes = 0;
  const stream = fs.createWriteStream(file, { flags: 'wx' });
  stream.on('error', (error) => {
    if (broken) return;
    broken = true;
    const e = fileSystemError(error, `${shown}/${basename(file)}`) as Error;
    warn(`repro: warning: ${e.message}; the script goes on, its output still shows here`);
  });
  return {
    write(chunk) {
      if (keepTail) {
        const buffer = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
        tail.push(buffer);
        tailBytes += buffer.length;
        while (tailBytes - (tail[0]?.length ?? 0) >= TAIL_BYTES) tailBytes -= tail.shift()?.length ?? 0;
      }
      if (!broken) stream.write(chunk);
    },
    salvage(folder) {
      // stream.errored as well: a write that failed destroys the stream at once, but its 'error'
      // event (which sets broken) may come after close() has returned
      if (!(broken || stream.errored) || !folder.owns()) return;
      const text = Buffer.concat(tail).subarray(-TAIL_BYTES);
      try {
        fs.appendFileSync(
          file,
          Buffer.concat([
            Buffer.from(
              `\n[repro: the disk was full; the last ${text.length} bytes the script wrote here follow]\n`,
            ),
            text,
          ]),
        );
      } catch {
        // the terminal had it all
      }
      tail = [];
    },
    close: () =>
      new Promise((done) => {
        if (broken || stream.destroyed) return done();
        stream.end(() => done());
        stream.once('error', () => done());
      }),
  };
}

/**
 * The result folder must be free. With `retry`, a failed, interrupted or crashed result there
 * moves to the attic (nothing is deleted); a done or running one is refused either way.
 */
function makeRoomForRetry(
  prepared: PreparedRun,
  retry: boolean | undefined,
): { status: RunStatus; move: AtticMove } | null {
  const { dir, cwd, project } = prepared;
  if (!fs.existsSync(dir)) return null;
  const shown = relative(cwd, dir) || dir;
  const state = readRunState(dir);
  if (state.status === 'running')
    throw new ReproError(
      'REPRO_RESULT_RUNNING',
      `${shown} is running (${state.reason}); results are never overwritten`,
    );
  if (state.status === 'done') throw new ResultExistsError(shown, prepared.loaded.name);
  if (!retry) {
    const how = state.status === 'interrupted' ? 'was interrupted' : state.status;
    const exit = state.end?.exit_code == null ? '' : ` (exit ${state.end.exit_code})`;
    throw new ReproError(
      'REPRO_RESULT_FAILED',
      `${shown} exists and ${how}${exit}; results are never overwritten`,
      `Run it again with --retry (${rerunCommand(prepared)} --retry): the old result moves to ${relative(cwd, atticDir(project))}, nothing is deleted.`,
    );
  }
  return { status: state.status, move: moveToAttic(project, dir, `retry of the ${state.status} result`) };
}

export { formatSeconds } from './format.ts';

/** How long after a first signal a script still running gets repro's word on the next one. */
const SLOW_STOP_MS = 3000;
/** How long a script's death by a stop signal waits for the same signal to reach repro. */
const SIGNAL_GRACE_MS = 300;
/** How long a script has to end after SIGTERM before repro sends SIGKILL (RunConfigOptions.killAfterMs). */
const KILL_AFTER_MS = 30_000;

/**
 * A Python script finds the bundled module (`import repro`): its folder goes first on
 * PYTHONPATH, which the run records like the rest of its environment.
 */
function withPythonPath(
  script: ResolvedScript,
  env: Record<string, string | undefined>,
): Record<string, string | undefined> {
  const python = script.interpreter[0] ? isPython(script.interpreter[0]) : script.file?.endsWith('.py');
  if (!python) return env;
  const folder = pythonPath();
  const rest = (env.PYTHONPATH ?? '').split(':').filter((p) => p && p !== folder);
  return { ...env, PYTHONPATH: [folder, ...rest].join(':') };
}
