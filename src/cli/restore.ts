import { relative } from '../_builtins.ts';
import { restoreResults } from '../graph/rm.ts';
import { defineCommand, print, warnTo } from './spec.ts';

export default defineCommand({
  name: 'restore',
  summary: 'bring results back from the attic (undoes rm, --retry, --rebuild)',
  api: ['restoreResults', 'restoreFromAttic'],
  description: `Moves each named result back from the attic (runs/.attic) to its name in the runs root, whole and untouched, by one atomic rename, and logs the move in runs/.attic/moves.jsonl beside the moves that put it there. A name or a glob over names brings back the copy of each name moved there last; a folder of the attic, by its name (model@2026-11-28T10-31-02Z) or its path, brings back that one. repro ls --attic lists them.

A result is never overwritten: when its name is taken in the runs root (a result rebuilt since), nothing is restored and the hint says to move that one aside first (repro rm). Two copies of one name are refused, as is a target the attic does not hold; every check happens before anything moves. Results built on others come back after them; one whose upstream is in neither place is named, stale (upstream missing) until that upstream is back.`,
  args: [
    {
      name: 'results',
      required: true,
      variadic: true,
      description: 'result names or globs over them (the copy moved last), or attic folders by name or path',
    },
  ],
  options: {
    'dry-run': { type: 'boolean', description: 'say what would come back; move nothing' },
  },
  examples: [
    'repro restore model',
    "repro restore 'model*' --dry-run",
    'repro restore runs/.attic/model@2026-11-28T10-31-02Z',
  ],
  async run({ args, options }, ctx) {
    const { restored, planned } = restoreResults({
      targets: args,
      dryRun: options['dry-run'],
      cwd: ctx.cwd,
      warn: warnTo(ctx),
    });
    if (options['dry-run']) {
      print(ctx, planned.map((e) => `would restore ${e.name} <- ${relative(ctx.cwd, e.dir)}`).join('\n'));
      return 0;
    }
    print(ctx, restored.map((m) => `restored ${m.name} <- ${relative(ctx.cwd, m.from)}`).join('\n'));
    return 0;
  },
});
