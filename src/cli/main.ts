import { IndexDamagedError, type ReproError, UsageError } from '../errors.ts';
import { reproVersion } from '../version.ts';
import { debugFlag, processContext, reportError } from './report.ts';
import type { CommandContext, CommandSpec } from './spec.ts';

export { processContext, reportError };

/**
 * Every command, loaded only when asked for (a command's module brings its part of the
 * library). Each module's default export declares the command: name, help, options, run.
 */
export const COMMANDS: Record<string, () => Promise<{ default: CommandSpec }>> = {
  run: () => import('./run.ts') as never,
  ls: () => import('./ls.ts') as never,
  diff: () => import('./diff.ts') as never,
  clone: () => import('./clone.ts') as never,
  sweep: () => import('./sweep.ts') as never,
  cross: () => import('./cross.ts') as never,
  plot: () => import('./plot.ts') as never,
  tree: () => import('./tree.ts') as never,
  graph: () => import('./graph.ts') as never,
  status: () => import('./status.ts') as never,
  make: () => import('./make.ts') as never,
  cancel: () => import('./cancel.ts') as never,
  verify: () => import('./verify.ts') as never,
  rm: () => import('./rm.ts') as never,
  restore: () => import('./restore.ts') as never,
  check: () => import('./check.ts') as never,
  fingerprint: () => import('./fingerprint.ts') as never,
  queue: () => import('./queue.ts') as never,
  worker: () => import('./worker.ts') as never,
  pull: () => import('./pull.ts') as never,
  db: () => import('./db.ts') as never,
  ui: () => import('./ui.ts') as never,
  begin: () => import('./begin.ts') as never,
  'python-path': () => import('./python-path.ts') as never,
};

/** Every command's declaration, in the order of COMMANDS. */
export async function loadCommands(): Promise<CommandSpec[]> {
  return Promise.all(Object.values(COMMANDS).map(async (load) => (await load()).default));
}

/** `repro --help`: the commands with their summaries. */
export async function usage(): Promise<string> {
  const specs = await loadCommands();
  const width = Math.max(...specs.map((s) => s.name.length)) + 2;
  return `repro ${reproVersion()}: reproducible experiments from flat JSON configs

usage: repro <command> [options]

commands:
${specs.map((s) => `  ${s.name.padEnd(width)}${s.summary}`).join('\n')}

global options:
  --debug     show stack traces on errors (before or after the command)
  -h, --help  show help (repro <command> --help for a command)
  --version   print the version

docs: README.md and docs/cli.md
`;
}

/** Runs the CLI on `argv` (without node and the script) and returns the exit code. */
export async function main(argv: readonly string[], ctx: CommandContext = processContext()): Promise<number> {
  const { debug, args } = debugFlag(argv);
  const [name, ...rest] = args;
  try {
    if (name === '--version' || name === '-v') {
      ctx.stdout.write(`${reproVersion()}\n`);
      return 0;
    }
    if (!name || name === '-h' || name === '--help') {
      (name ? ctx.stdout : ctx.stderr).write(await usage());
      return name ? 0 : 2;
    }
    if (name === 'help') {
      const topic = rest[0] && COMMANDS[rest[0]];
      const { helpText } = await import('./help.ts');
      ctx.stdout.write(topic ? helpText((await topic()).default) : await usage());
      return 0;
    }
    const load = COMMANDS[name];
    if (!load) throw await unknownCommand(name);
    // the parser loads with the command, never for --version
    const [{ runCommand }, spec] = await Promise.all([import('./command.ts'), load()]);
    if (!READ_ONLY.has(name)) return await runCommand(spec.default, rest, ctx);
    let printed = false;
    const { stdout } = ctx;
    const watched: CommandContext['stdout'] = {
      write: (chunk) => {
        printed = true;
        return stdout.write(chunk);
      },
      get columns() {
        return stdout.columns;
      },
      get rows() {
        return stdout.rows;
      },
      get isTTY() {
        return stdout.isTTY;
      },
      get destroyed() {
        return stdout.destroyed;
      },
      once: (event, listener) => stdout.once?.(event, listener),
      off: (event, listener) => stdout.off?.(event, listener),
    };
    try {
      return await runCommand(spec.default, rest, { ...ctx, stdout: watched });
    } catch (error) {
      // a part of the results index that no longer matches its checksum, found as it was read:
      // the index is gone, so the command runs again on the folders (when it printed nothing yet)
      if (!(error instanceof IndexDamagedError) || printed) throw error;
      ctx.stderr.write(`repro: ${error.message}; reading the result folders again\n`);
      return await runCommand(spec.default, rest, ctx);
    }
  } catch (error) {
    return reportError(error, debug, ctx);
  }
}

/**
 * The commands that read the results index and only read: one that finds a part of it damaged
 * runs again on the folders (diff, plot and tree read result folders, not the index).
 */
const READ_ONLY = new Set(['ls', 'graph', 'status', 'check']);

/** An unknown command, with the closest one when it is near. */
async function unknownCommand(name: string): Promise<ReproError> {
  const { nearestNames } = await import('../hints.ts');
  const names = Object.keys(COMMANDS);
  const [near] = nearestNames(name, names, { max: Math.max(1, Math.floor(name.length / 3)), k: 1 });
  return new UsageError(
    `unknown command "${name}"${near ? ` (did you mean ${near}?)` : ''}`,
    `Commands are ${names.join(', ')}; see repro --help`,
  );
}
