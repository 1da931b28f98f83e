/**
 * `repro run` and `repro begin` (every run of a script starts one of them: `repro run` itself, or
 * the Python module's start_run by hand) in a file of their own: built without shared chunks as
 * dist/fast.js, where the CLI's shared chunks made ~29 small modules to load for them (one file
 * starts ~20-30 ms sooner here; docs/benchmarks.md). bin.ts sends these two commands here and
 * every other one to main.ts, which knows them too (`repro help run`, the tests in-process).
 */
import { runCommand } from './command.ts';
import { debugFlag, processContext, reportError } from './report.ts';
import type { CommandContext, CommandSpec } from './spec.ts';

export { processContext, reportError };

/** The commands this file runs. */
export const FAST_COMMANDS: Record<string, () => Promise<{ default: CommandSpec }>> = {
  run: () => import('./run.ts') as never,
  begin: () => import('./begin.ts') as never,
};

/** main.ts's main for FAST_COMMANDS alone: the same parsing, --debug and error reports. */
export async function main(argv: readonly string[], ctx: CommandContext = processContext()): Promise<number> {
  const { debug, args } = debugFlag(argv);
  const [name, ...rest] = args;
  try {
    const load = name && Object.hasOwn(FAST_COMMANDS, name) ? FAST_COMMANDS[name] : undefined;
    if (!load) throw new Error(`fast.ts runs ${Object.keys(FAST_COMMANDS).join(' and ')}, not ${name}`);
    return await runCommand((await load()).default, rest, ctx);
  } catch (error) {
    return reportError(error, debug, ctx);
  }
}
