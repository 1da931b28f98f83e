import type { WriteStream } from 'node:fs';
import { childProcess, fs, join, os, relative } from '../_builtins.ts';
import type { JsonObject } from '../config/json.ts';
import { fingerprintConfigInputs } from '../data/inputs.ts';
import { ReproError, ResultExistsError } from '../errors.ts';
import { type AtticMove, atticDir, moveToAttic } from './attic.ts';
import {
  openRunFolder,
  type PreparedRun,
  type PrepareRunOptions,
  prepareRun,
  type RecordInputs,
  writeEndRecord,
} from './folder.ts';
import { startHeartbeat } from './heartbeat.ts';
import { RUN_FILES, SCRIPT_ENV_DEFAULTS } from './layout.ts';
import type { EndRecord, EndStatus, RunStatus } from './record.ts';
import { resolveCommand, resolveScript } from './script.ts';
import { resolveSources } from './sources.ts';
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
   * When the result exists and failed, was interrupted or crashed: move it to the attic and run
   * again. A done result is still refused. @default false
   */
  retry?: boolean;
  /**
   * The environment the script runs in (plus SCRIPT_ENV_DEFAULTS for what it lacks).
   * @default process.env
   */
  env?: Readonly<Record<string, string | undefined>>;
}

export interface RunResult {
  name: string;
  dir: string;
  status: EndStatus;
  /** The script's exit code (128 + signal number when it died of a signal); 130 when interrupted. */
  exitCode: number;
  end: EndRecord;
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
  for (const w of prepared.loaded.warnings) err.write(`repro: warning: ${label}: ${w.message}\n`);

  // every check before anything is written
  const script = options.command?.length
    ? resolveCommand(project, options.command)
    : resolveScript(project, prepared.config.script, label);
  const sources = resolveSources(prepared.config as JsonObject, project, label, prepared.cwd);
  // the data's fingerprint, before anything is written (a missing input stops the run here)
  const manifest = await fingerprintConfigInputs(prepared.config as JsonObject, project, label);
  const retried = makeRoomForRetry(prepared, options.retry);
  if (retried && !options.quiet)
    err.write(`repro: moved the ${retried.status} result to ${relative(prepared.cwd, retried.move.to)}\n`);

  const configInRun = join(prepared.dir, RUN_FILES.config);
  const command = [...script.command, '-c', configInRun];
  const env = { ...SCRIPT_ENV_DEFAULTS, ...(options.env ?? process.env) };
  const inputs: RecordInputs = {
    mode: 'cli',
    argv: options.argv ?? process.argv,
    command,
    script,
    sources,
    env,
  };
  // git and the interpreter's version are learned while the folder is made and the script
  // starts; run.json is written when they answer, always before end.json
  const { startedAt, record } = await openRunFolder(prepared, inputs, manifest, (line) =>
    err.write(`${line}\n`),
  );
  const shown = relative(prepared.cwd, prepared.dir) || prepared.dir;
  if (!options.quiet) err.write(`repro: ${shown} <- ${label}${script.path ? ` (${script.path})` : ''}\n`);

  const logs = {
    stdout: fs.createWriteStream(join(prepared.dir, RUN_FILES.stdout), { flags: 'wx' }),
    stderr: fs.createWriteStream(join(prepared.dir, RUN_FILES.stderr), { flags: 'wx' }),
  };
  const [bin, ...args] = command as [string, ...string[]];
  const child = childProcess().spawn(bin, args, {
    cwd: project.root,
    stdio: ['inherit', 'pipe', 'pipe'],
    env: {
      ...env,
      REPRO_RUN_DIR: prepared.dir,
      REPRO_CONFIG: configInRun,
      REPRO_CONFIG_NAME: prepared.loaded.name,
      REPRO_RUN_NAME: prepared.name,
      REPRO_PROJECT_ROOT: project.root,
      // output goes through a pipe: keep Python from holding it back in a buffer
      PYTHONUNBUFFERED: '1',
    },
  });
  child.stdout.on('data', (chunk: Buffer) => {
    out.write(chunk);
    logs.stdout.write(chunk);
  });
  child.stderr.on('data', (chunk: Buffer) => {
    err.write(chunk);
    logs.stderr.write(chunk);
  });

  const stopHeartbeat = startHeartbeat(prepared.dir);

  // Ctrl-C: pass it on; a second one sends SIGTERM, a third SIGKILL
  let interrupted: NodeJS.Signals | undefined;
  let presses = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    interrupted ??= signal;
    presses++;
    const send: NodeJS.Signals = presses === 1 ? signal : presses === 2 ? 'SIGTERM' : 'SIGKILL';
    if (presses > 1) err.write(`repro: sending ${send} to the script\n`);
    child.kill(send);
  };
  if (options.handleSignals ?? true) {
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  }
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
  stopHeartbeat();
  process.off('SIGINT', onSignal);
  process.off('SIGTERM', onSignal);
  options.signal?.removeEventListener('abort', onAbort);
  if (spawnError) {
    const line = `repro: cannot start ${bin}: ${spawnError.message}\n`;
    err.write(line);
    logs.stderr.write(line);
  }
  await Promise.all([closeStream(logs.stdout), closeStream(logs.stderr), record.done]);

  const status: EndStatus = interrupted ? 'interrupted' : code === 0 ? 'done' : 'failed';
  const exitCode = interrupted
    ? interrupted === 'SIGTERM'
      ? 143
      : 130
    : (code ?? 128 + signalNumber(signal));
  const end = writeEndRecord(prepared.dir, startedAt, status, code, signal);
  if (!options.quiet) {
    const how =
      status === 'done'
        ? 'done'
        : status === 'failed'
          ? `failed (exit ${exitCode}; see ${shown}/${RUN_FILES.stderr})`
          : 'interrupted';
    err.write(`repro: ${shown} ${how} in ${formatSeconds(end.duration_s)}\n`);
  }
  return { name: prepared.name, dir: prepared.dir, status, exitCode, end };
}

/**
 * The result folder must be free. With `retry`, a failed, interrupted or crashed result there
 * moves to the attic (nothing is deleted); a done or running one is refused either way.
 */
function makeRoomForRetry(
  prepared: PreparedRun,
  retry: boolean | undefined,
): { status: RunStatus; move: AtticMove } | null {
  const { dir, cwd, project, label } = prepared;
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
      `Run it again with --retry (repro run ${label} --retry): the old result moves to ${relative(cwd, atticDir(project))}, nothing is deleted.`,
    );
  }
  return { status: state.status, move: moveToAttic(project, dir, `retry of a ${state.status} result`) };
}

function closeStream(stream: WriteStream): Promise<void> {
  return new Promise((done) => stream.end(() => done()));
}

function signalNumber(signal: NodeJS.Signals | null): number {
  return signal ? (os.constants.signals[signal] ?? 0) : 0;
}

export function formatSeconds(s: number): string {
  if (s < 60) return `${s.toFixed(s < 10 ? 2 : 1)} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${Math.round(s % 60)} s`;
  return `${Math.floor(m / 60)} h ${m % 60} min`;
}
