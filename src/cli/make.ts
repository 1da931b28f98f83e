import { renderTable } from '../compare/table.ts';
import { UsageError } from '../errors.ts';
import { make } from '../graph/make.ts';
import { defineCommand, print, warnTo } from './spec.ts';

export default defineCommand({
  name: 'make',
  summary: 'compute every missing result upstream of targets',
  api: ['make'],
  description: `Computes every missing result upstream of the targets (and the targets), in dependency order, running independent stages in parallel up to -j. Each stage runs exactly as repro run (same folder, records and checks). A stage with a result is never rerun unless --rebuild: a done one is used as it is (and reported when stale, with the command that rebuilds it); a failed, crashed or interrupted one blocks what depends on it. With --rebuild, every stale, failed, interrupted or crashed result upstream of the targets moves to the attic (runs/.attic; nothing is deleted), and they are built again in order; since staleness flows downstream, everything built on a stale result moves and is rebuilt too. A failure stops the stages that depend on it, and everything not yet started unless --keep-going. Progress lines on stderr say which stage starts or ends and how many wait; with -j 1 the scripts' output is shown live, with more it is only saved in each result folder. The summary table lists every stage as ran, failed, skipped, exists, running (another process, such as a second make, is making it right now) or planned (--dry-run); progress counts finished stages, so it only goes up. Exit 0 when nothing failed, was skipped or is still being made elsewhere.

With --launcher slurm, each missing stage is submitted as one sbatch job that runs repro run --if-missing <config> in the project folder (a cluster's shared filesystem holds the project, this Node.js and repro), with --dependency=afterok on the jobs of its upstream stages and --kill-on-invalid-dep=yes, so SLURM orders the graph and cancels what is built on a failed stage (the rest goes on, as with --keep-going). It prints the job ids and returns; --wait follows the jobs and reports each as it ends (Ctrl-C stops waiting, not the jobs); --dry-run prints the sbatch lines as a shell script. Resources come from repro.json "slurm" (by config name or glob: {"model*": {"partition": "gpu", "gres": "gpu:1", "time": "4:00:00"}}) and --slurm-args, never from a config, and are recorded in the run record. A stage done or already pending or running in SLURM is not submitted again (submission records in <runs>/.slurm, which status, ls and cancel read; two makes at once take turns), and a job that finds its result already made exits 0 saying so.`,
  args: [
    {
      name: 'targets',
      required: true,
      variadic: true,
      description: 'the configs to produce, with everything upstream',
    },
  ],
  options: {
    jobs: {
      type: 'integer',
      short: 'j',
      default: 1,
      description: 'stages at once (with more than 1, their output is only saved)',
    },
    rebuild: {
      type: 'boolean',
      description:
        'move stale, failed, interrupted and crashed results upstream of the targets to the attic, then build them again',
    },
    downstream: { type: 'boolean', description: 'also make everything downstream of the targets' },
    'dry-run': { type: 'boolean', description: 'say what would move and run; do nothing' },
    'require-clean': {
      type: 'boolean',
      description:
        'refuse to start while tracked files have uncommitted changes (also "requireClean": true in repro.json)',
    },
    strict: {
      type: 'boolean',
      description:
        'a stage whose config has a likely typo (a key no earlier run of its script read) does not start (also "strict": true in repro.json)',
    },
    'keep-going': { type: 'boolean', description: 'after a failure, go on with what does not depend on it' },
    launcher: {
      type: 'string',
      value: 'WHERE',
      choices: ['local', 'slurm'],
      default: 'local',
      description: 'local: run the stages here; slurm: submit each as a SLURM job (sbatch)',
    },
    wait: {
      type: 'boolean',
      description: 'with --launcher slurm: wait for the jobs and report each as it ends',
    },
    'slurm-args': {
      type: 'string',
      value: 'ARGS',
      description:
        "with --launcher slurm: more sbatch options for every stage, e.g. '--qos=high --account=lab'",
    },
  },
  examples: [
    'repro make evaluation',
    'repro make evaluation prediction export -j 2',
    'repro make evaluation --rebuild --dry-run',
    'repro make evaluation --launcher slurm --wait',
  ],
  async run({ args, options }, ctx) {
    const slurm = options.launcher === 'slurm';
    if (!slurm && (options.wait || options['slurm-args'] !== undefined))
      throw new UsageError(
        `${options.wait ? '--wait' : '--slurm-args'} goes with --launcher slurm`,
        'Add --launcher slurm, or leave it out to run the stages here.',
      );
    if (slurm && options.jobs !== 1)
      ctx.stderr.write(
        'repro make: -j does not apply with --launcher slurm: SLURM decides how many run at once\n',
      );
    const { parseSlurmArgs } = slurm ? await import('../slurm/slurm.ts') : { parseSlurmArgs: () => [] };
    const summary = await make({
      launcher: slurm ? 'slurm' : 'local',
      wait: options.wait,
      // how often --wait asks squeue (REPRO_SLURM_POLL_MS; 2 s by default)
      pollMs: Number(ctx.env.REPRO_SLURM_POLL_MS) || undefined,
      slurmArgs: parseSlurmArgs(options['slurm-args']),
      targets: args,
      jobs: options.jobs,
      dryRun: options['dry-run'],
      rebuild: options.rebuild,
      downstream: options.downstream,
      keepGoing: options['keep-going'],
      requireClean: options['require-clean'] || undefined,
      strict: options.strict || undefined,
      cwd: ctx.cwd,
      env: ctx.env,
      log: warnTo(ctx),
      stdout: ctx.stdout,
      stderr: ctx.stderr,
    });
    const count = (o: string) => summary.stages.filter((s) => s.outcome === o).length;
    ctx.stderr.write(
      `${renderTable(
        ['stage', 'outcome', 'detail'],
        summary.stages.map((s) => [s.name, s.outcome, s.detail]),
      )}\n`,
    );
    print(
      ctx,
      `${count('ran')} ran, ${count('failed')} failed, ${count('skipped')} skipped, ${count('exists')} already done${count('running') ? `, ${count('running')} being made elsewhere` : ''}${count('submitted') ? `, ${count('submitted')} submitted to SLURM` : ''}${count('queued') ? `, ${count('queued')} already in SLURM` : ''}${count('planned') ? `, ${count('planned')} would ${slurm ? 'be submitted' : 'run'}` : ''}`,
    );
    return summary.ok ? 0 : 1;
  },
});
