import { renderTable } from '../compare/table.ts';
import { make } from '../graph/make.ts';
import { defineCommand, print, warnTo } from './spec.ts';

export default defineCommand({
  name: 'make',
  summary: 'compute every missing result upstream of targets',
  api: ['make'],
  description: `Computes every missing result upstream of the targets (and the targets), in dependency order, running independent stages in parallel up to -j. Each stage runs exactly as repro run (same folder, records and checks). A stage with a result is never rerun unless --rebuild: a done one is used as it is (and reported when stale, with the command that rebuilds it); a failed, crashed or interrupted one blocks what depends on it. With --rebuild, every stale, failed, interrupted or crashed result upstream of the targets moves to the attic (runs/.attic; nothing is deleted), and they are built again in order; since staleness flows downstream, everything built on a stale result moves and is rebuilt too. A failure stops the stages that depend on it, and everything not yet started unless --keep-going. Progress lines on stderr say which stage starts or ends and how many wait; with -j 1 the scripts' output is shown live, with more it is only saved in each result folder. The summary table lists every stage as ran, failed, skipped, exists, running (another process, such as a second make, is making it right now) or planned (--dry-run); progress counts finished stages, so it only goes up. Exit 0 when nothing failed, was skipped or is still being made elsewhere.`,
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
  },
  examples: [
    'repro make evaluation',
    'repro make evaluation prediction export -j 2',
    'repro make evaluation --rebuild --dry-run',
  ],
  async run({ args, options }, ctx) {
    const summary = await make({
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
      `${count('ran')} ran, ${count('failed')} failed, ${count('skipped')} skipped, ${count('exists')} already done${count('running') ? `, ${count('running')} being made elsewhere` : ''}${count('planned') ? `, ${count('planned')} would run` : ''}`,
    );
    return summary.ok ? 0 : 1;
  },
});
