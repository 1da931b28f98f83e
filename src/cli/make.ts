import { renderTable } from '../compare/table.ts';
import { UsageError } from '../errors.ts';
import { make } from '../graph/make.ts';
import { intOption, parseCommand, print } from './args.ts';

export const USAGE = `usage: repro make NAME... [-j N] [--dry-run] [--keep-going]

Computes every missing result upstream of the targets, in dependency order, running
independent stages in parallel up to -j. Each stage runs exactly as repro run. A stage that
already has a result is never rerun (results are immutable); a stale one is reported. A
failure stops what depends on it, and everything else too unless --keep-going.

options:
  -j, --jobs N    stages at once (default 1; with more, their output is only saved, not shown)
  --dry-run       say what would run
  --keep-going    after a failure, go on with what does not depend on it`;

export async function main(argv: string[]): Promise<number> {
  const args = parseCommand(
    argv,
    {
      jobs: { type: 'string', short: 'j' },
      'dry-run': { type: 'boolean' },
      'keep-going': { type: 'boolean' },
    },
    USAGE,
  );
  if (!args) return 0;
  if (args.positionals.length === 0)
    throw new UsageError('repro make needs targets', 'Name the configs to produce: repro make evaluation');
  const summary = await make({
    targets: args.positionals,
    jobs: intOption(args.values.jobs, 'jobs', 1),
    dryRun: args.values['dry-run'],
    keepGoing: args.values['keep-going'],
  });
  const count = (o: string) => summary.stages.filter((s) => s.outcome === o).length;
  process.stderr.write(
    `${renderTable(
      ['stage', 'outcome', 'detail'],
      summary.stages.map((s) => [s.name, s.outcome, s.detail]),
    )}\n`,
  );
  print(
    `${count('ran')} ran, ${count('failed')} failed, ${count('skipped')} skipped, ${count('exists')} already done${count('planned') ? `, ${count('planned')} would run` : ''}`,
  );
  return summary.ok ? 0 : 1;
}
