import { relative } from '../_builtins.ts';
import { removeResults } from '../graph/rm.ts';
import { defineCommand, print, warnTo } from './spec.ts';

export default defineCommand({
  name: 'rm',
  summary: 'move results aside into the attic (nothing is deleted)',
  api: ['removeResults', 'moveToAttic'],
  description: `Moves each named result, whole and untouched, into the attic inside the runs root (runs/.attic/<name>@<UTC time>, e.g. runs/.attic/model@2026-11-28T10-31-02Z) by one atomic rename, and logs the move in runs/.attic/moves.jsonl. Listings, globs, status, graph, make and the dashboard leave the attic out; repro ls --attic lists it, diff and plot take an attic result by its path, and repro restore brings it back. Only you delete: rm -rf runs/.attic/<name>@… when you are sure.

A running result is refused, and nothing moves then. --downstream moves the results built on the named ones as well (the downstream ones first); without it they stay, and a warning names them: they are stale from then on (upstream missing). When two commands move the same result at once, one moves it and the other fails cleanly (REPRO_RESULT_GONE).`,
  args: [
    { name: 'names', required: true, variadic: true, description: 'configs or results whose results move' },
  ],
  options: {
    downstream: { type: 'boolean', description: 'also move every result built on them' },
    'dry-run': { type: 'boolean', description: 'say what would move; move nothing' },
  },
  examples: ['repro rm model', 'repro rm data --downstream --dry-run'],
  async run({ args, options }, ctx) {
    const { moved, planned } = removeResults({
      targets: args,
      downstream: options.downstream,
      dryRun: options['dry-run'],
      cwd: ctx.cwd,
      warn: warnTo(ctx),
    });
    if (options['dry-run']) {
      print(ctx, planned.length ? planned.map((n) => `would move ${n}`).join('\n') : 'nothing to move');
      return 0;
    }
    print(ctx, moved.map((m) => `moved ${m.name} -> ${relative(ctx.cwd, m.to)}`).join('\n'));
    return 0;
  },
});
