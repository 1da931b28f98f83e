import { basename } from '../_builtins.ts';
import { ReproError, ResultExistsError, UsageError } from '../errors.ts';
import { runConfig } from '../run/runner.ts';
import { defineCommand } from './spec.ts';

export default defineCommand({
  name: 'run',
  summary: "run a config's script into a new result folder",
  api: ['runConfig'],
  description: `Creates the result folder runs/<name> (plus a postfix when overrides change the config), saves the merged config and the run record into it, runs the config's "script" (or the command after --) with -c <folder>/config.json, and saves its output.

1. Loads the config and merges the overrides, in the order given: --conf '{"lr": 0.001}' merges a JSON object; --set lr=0.001 sets one key (the value is JSON when it parses, else a string: --set opt=adam).
2. Checks, before anything is written: the script exists, is inside the project and can be run; every \`source\` has a finished, successful result; the result folder does not exist.
3. Creates runs/<name> with an exclusive mkdir (the name: docs/config.md), writes the merged config to config.json exclusively, and the run record run.json.
4. Runs the config's \`script\` (or the command after --) from the project root with -c <folder>/config.json appended and REPRO_RUN_DIR, REPRO_CONFIG, REPRO_CONFIG_NAME, REPRO_RUN_NAME, REPRO_PROJECT_ROOT set (and PYTHONHASHSEED=0 unless set: docs/results.md). Its stdout and stderr are shown live and saved to stdout.log and stderr.log.
5. Writes end.json with the status (done, failed, interrupted), exit code and duration.

A result that exists is never overwritten: a done one is refused (with --if-missing: reported, exit 0); a failed, interrupted or crashed one is refused with a pointer to --retry, which moves it to the attic (runs/.attic, see repro rm) and runs the config again.

The script's interpreter comes from its extension: .ts, .mts, .cts through tsx (a dependency of repro), .js, .mjs, .cjs with this Node.js, .py with python3, .sh with bash; any other file must be executable. repro.json can map more (docs/config.md).

Exit code: the script's (128 + the signal number if a signal killed it). Ctrl-C (SIGINT) is passed on to the script, the run is marked interrupted and repro exits 130 (143 for SIGTERM); a second Ctrl-C sends SIGTERM, a third SIGKILL (a script still running 3 s after the first, such as one busy in a loop that never lets its own handler run, gets a line saying so); a script still running 30 s after any SIGTERM (time to save a checkpoint) gets SIGKILL.`,
  args: [{ name: 'config', description: 'the config file (or give it with -c)' }],
  overrides: true,
  passThrough: true,
  options: {
    postfix: { type: 'string', value: 'X', description: 'name the result <name>~X' },
    quiet: {
      type: 'boolean',
      short: 'q',
      description: "print only the script's output, not repro's two lines",
    },
    'require-clean': {
      type: 'boolean',
      description:
        'refuse to start while tracked files have uncommitted changes (also "requireClean": true in repro.json)',
    },
    strict: {
      type: 'boolean',
      description:
        'stop when the config has a key that no earlier run of its script read, close to one they read (also "strict": true in repro.json)',
    },
    retry: {
      type: 'boolean',
      description: 'when the result failed, was interrupted or crashed: move it to the attic and run again',
    },
    'if-missing': {
      type: 'boolean',
      description:
        'when the result is already done, say so and exit 0 instead of refusing (a SLURM job of make --launcher slurm runs with it)',
    },
  },
  examples: [
    'repro run configs/model.json',
    'repro run configs/model.json --set lr=0.1',
    'repro run configs/model.json -- python train.py',
  ],
  async run({ args, options, overrides, command, config }, ctx) {
    const file = config ?? args[0];
    if (!file) throw new UsageError('repro run needs a config', 'See repro run --help');
    if (config && args[0]) {
      throw new UsageError(
        `unexpected argument "${args[0]}"`,
        'Put a command after "--": repro run configs/x.json -- python train.py',
      );
    }
    if (command && command.length === 0)
      throw new UsageError('nothing after "--"', 'Give a command: -- python train.py');
    let result: Awaited<ReturnType<typeof runConfig>>;
    try {
      result = await runConfig({
        config: file,
        overrides,
        postfix: options.postfix,
        command,
        quiet: options.quiet,
        retry: options.retry,
        requireClean: options['require-clean'] || undefined,
        strict: options.strict || undefined,
        cwd: ctx.cwd,
        env: ctx.env,
        stdout: ctx.stdout,
        stderr: ctx.stderr,
      });
    } catch (error) {
      if (error instanceof ResultExistsError && options['if-missing']) {
        ctx.stderr.write(`repro run: ${error.dir} is already done; nothing to do (--if-missing)\n`);
        return 0;
      }
      throw error instanceof ResultExistsError ? await explainExisting(error, ctx.cwd) : error;
    }
    return result.exitCode;
  },
});

/** A refused done result that is stale says so, and how to rebuild it. */
async function explainExisting(error: ResultExistsError, cwd: string): Promise<ReproError> {
  try {
    const { findProject } = await import('../project/project.ts');
    const { loadGraph } = await import('../graph/graph.ts');
    const { graphStatus } = await import('../graph/status.ts');
    const name = basename(error.dir);
    const graph = loadGraph(findProject({ cwd }));
    const [status] = await graphStatus(graph, [name]);
    if (!status?.stale.length) return error;
    return new ReproError(
      'REPRO_RESULT_EXISTS',
      `${error.dir} already exists and is stale: ${status.stale[0]}`,
      `Rebuild it and what it needs (the old results move to the attic, nothing is deleted): repro make ${name} --rebuild`,
    );
  } catch {
    return error;
  }
}
