// What every command's process shares, whichever entry loaded it (main.ts, fast.ts): the
// process's context, the global --debug flag, and how an error is reported.
import { fileSystemError, ReproError } from '../errors.ts';
import type { CommandContext } from './spec.ts';

/** The process's own context: its folder, streams and environment. */
export function processContext(): CommandContext {
  return { cwd: process.cwd(), stdout: process.stdout, stderr: process.stderr, env: process.env };
}

/** --debug is global: anywhere before a "--" that ends repro's own arguments. */
export function debugFlag(argv: readonly string[]): { debug: boolean; args: string[] } {
  const end = argv.indexOf('--');
  const mine = (i: number) => end < 0 || i < end;
  return {
    debug: argv.some((a, i) => a === '--debug' && mine(i)),
    args: argv.filter((a, i) => a !== '--debug' || !mine(i)),
  };
}

/** Prints `error: ...` and `hint: ...`; the stack only with --debug. */
export function reportError(thrown: unknown, debug: boolean, ctx: Pick<CommandContext, 'stderr'>): number {
  const error = fileSystemError(thrown);
  if (error instanceof ReproError) {
    ctx.stderr.write(`error: ${error.message}\n`);
    if (error.hint) ctx.stderr.write(`hint: ${error.hint}\n`);
    if (debug && error.stack) ctx.stderr.write(`${error.stack}\n`);
    return error.exitCode;
  }
  const err = error as Error;
  ctx.stderr.write(`error: ${err?.message ?? String(error)}\n`);
  ctx.stderr.write(
    debug && err?.stack
      ? `${err.stack}\n`
      : 'hint: this looks like a bug in repro; rerun with --debug and report the stack trace\n',
  );
  return 1;
}
