import { ReproError } from '../errors.ts';
import { reproVersion } from '../version.ts';

/** A CLI command: parses its argv, calls the library, prints, returns the exit code. */
export type Command = (argv: string[]) => Promise<number>;

const COMMANDS: Record<string, { summary: string; load: () => Promise<{ main: Command }> }> = {
  run: { summary: "run a config's script into a new result folder", load: () => import('./run.ts') },
  ls: { summary: 'list result folders with their status', load: () => import('./ls.ts') },
  diff: { summary: 'show the keys that differ across configs or results', load: () => import('./diff.ts') },
  clone: {
    summary: 'copy a config with changes, under the next free letter',
    load: () => import('./clone.ts'),
  },
  sweep: {
    summary: 'write one config per point of a grid or random search',
    load: () => import('./sweep.ts'),
  },
  cross: { summary: 'breed a child config from two parents', load: () => import('./cross.ts') },
  plot: { summary: 'draw a metric of several runs on one chart', load: () => import('./plot.ts') },
  tree: { summary: 'cluster configs into a family tree (dendrogram)', load: () => import('./tree.ts') },
  graph: { summary: "show the config graph with each node's status", load: () => import('./graph.ts') },
  status: {
    summary: 'say which results are missing, done, failed or stale',
    load: () => import('./status.ts'),
  },
  make: { summary: 'compute every missing result upstream of targets', load: () => import('./make.ts') },
  verify: { summary: "rerun a result's config and prove it reproduces", load: () => import('./verify.ts') },
  check: { summary: "lint the project's configs, sources and scripts", load: () => import('./check.ts') },
  fingerprint: {
    summary: 'fingerprint input data: paths, file list or checksums',
    load: () => import('./fingerprint.ts'),
  },
  queue: {
    summary: 'push configs to the shared database; list, retry, cancel',
    load: () => import('./queue.ts'),
  },
  worker: {
    summary: 'compute queued configs from the database on this machine',
    load: () => import('./worker.ts'),
  },
  pull: { summary: 'copy results from the shared storage into runs/', load: () => import('./pull.ts') },
  db: { summary: 'create or upgrade the database schema', load: () => import('./db.ts') },
  ui: { summary: 'serve a local dashboard over the runs', load: () => import('./ui.ts') },
};

const USAGE = `repro ${reproVersion()}: reproducible experiments from flat JSON configs

usage: repro <command> [options]

commands:
${Object.entries(COMMANDS)
  .map(([name, c]) => `  ${name.padEnd(8)}${c.summary}`)
  .join('\n')}

global options:
  --debug     show stack traces on errors
  -h, --help  show help (repro <command> --help for a command)
  --version   print the version

docs: README.md and docs/cli.md`;

/** Runs the CLI on `argv` (without node and the script) and returns the exit code. */
export async function main(argv: string[]): Promise<number> {
  const debug = argv.includes('--debug');
  const args = argv.filter((a, i) => a !== '--debug' || argv.indexOf('--') < i);
  const [name, ...rest] = args;
  if (!name || name === '-h' || name === '--help' || name === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return name ? 0 : 2;
  }
  if (name === '--version' || name === '-v') {
    process.stdout.write(`${reproVersion()}\n`);
    return 0;
  }
  const command = COMMANDS[name];
  if (!command) {
    process.stderr.write(
      `error: unknown command "${name}"\nhint: commands are ${Object.keys(COMMANDS).join(', ')}; see repro --help\n`,
    );
    return 2;
  }
  try {
    const { main: run } = await command.load();
    return await run(rest);
  } catch (error) {
    return reportError(error, debug);
  }
}

/** Prints `error: ...` and `hint: ...`; the stack only with --debug. */
export function reportError(error: unknown, debug: boolean): number {
  if (error instanceof ReproError) {
    process.stderr.write(`error: ${error.message}\n`);
    if (error.hint) process.stderr.write(`hint: ${error.hint}\n`);
    if (debug && error.stack) process.stderr.write(`${error.stack}\n`);
    return error.exitCode;
  }
  const err = error as Error;
  process.stderr.write(`error: ${err?.message ?? String(error)}\n`);
  process.stderr.write(
    debug && err?.stack
      ? `${err.stack}\n`
      : 'hint: this looks like a bug in repro; rerun with --debug and report the stack trace\n',
  );
  return 1;
}
