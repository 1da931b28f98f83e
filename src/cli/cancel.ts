import { UsageError } from '../errors.ts';
import { findProject } from '../project/project.ts';
import { cancelStages } from '../slurm/slurm.ts';
import { defineCommand, print } from './spec.ts';

export default defineCommand({
  name: 'cancel',
  summary: 'cancel the SLURM jobs of stages that make --launcher slurm submitted',
  api: ['cancelStages'],
  description: `Cancels (scancel) the pending or running SLURM job of each named stage, and the jobs submitted to wait for it (they could never start), as the submission records in <runs>/.slurm name them. A running stage's repro run gets SIGTERM and marks its result interrupted; a pending one never makes a folder. Names may be globs ('model*'); --all cancels every stage still pending or running. For the shared database's queue, see repro queue cancel.`,
  args: [{ name: 'names', variadic: true, description: 'the stages to cancel (names or globs)' }],
  options: {
    all: { type: 'boolean', description: 'every stage still pending or running in SLURM' },
  },
  examples: ['repro cancel evaluation', "repro cancel 'model*'", 'repro cancel --all'],
  async run({ args, options }, ctx) {
    if (!options.all && args.length === 0)
      throw new UsageError('repro cancel needs stage names, or --all', 'repro status shows what is queued.');
    const result = cancelStages(findProject({ cwd: ctx.cwd }), options.all ? 'all' : args, ctx.env);
    for (const e of result.ended)
      ctx.stderr.write(`repro cancel: ${e.name} (slurm ${e.job}) has already ended\n`);
    for (const c of result.cancelled)
      print(ctx, `cancelled ${c.name} (slurm ${c.job}, was ${c.state.toLowerCase()})`);
    if (result.cancelled.length === 0) print(ctx, 'nothing to cancel');
    return 0;
  },
});
