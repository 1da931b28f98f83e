import { diffConfigs } from '../compare/diff.ts';
import { selectConfigs } from '../compare/select.ts';
import { diffToCsv, diffToJson, renderDiff } from '../compare/table.ts';
import { UsageError } from '../errors.ts';
import { parseCommand, print } from './args.ts';
import { projectFor, REMOTE_OPTIONS, REMOTE_USAGE } from './remote.ts';

export const USAGE = `usage: repro diff <config|result|name|glob>... [--base NAME] [--all] [--transpose] [--csv|--json] [--skip-bad]

Prints only the keys whose values differ across the configs: one row per config, one column
per key. Inputs are config files, result folders (their saved config), names, or globs such as
'configs/model*.json' and 'runs/*'. An absent key shows as —; a value a result's script took
from its default shows as value*.

options:
  --base NAME    compare every config against this one (shown first)
  --all          show every key, not only those that differ
  --transpose    keys as rows, configs as columns
  --csv          RFC 4180 CSV on stdout (> results.csv opens in a spreadsheet)
  --json         JSON on stdout
  --skip-bad     leave out inputs that are not configs, with a warning
${REMOTE_USAGE}`;

export async function main(argv: string[]): Promise<number> {
  const args = parseCommand(
    argv,
    {
      ...REMOTE_OPTIONS,
      base: { type: 'string' },
      all: { type: 'boolean' },
      transpose: { type: 'boolean' },
      csv: { type: 'boolean' },
      json: { type: 'boolean' },
      'skip-bad': { type: 'boolean' },
    },
    USAGE,
  );
  if (!args) return 0;
  if (args.positionals.length === 0) throw new UsageError('repro diff needs configs to compare', USAGE);
  const entries = selectConfigs(args.positionals, {
    skipBad: args.values['skip-bad'],
    project: await projectFor(args.values),
  });
  if (entries.length < 2 && !args.values.all) {
    throw new UsageError(
      `only ${entries.length} config to compare`,
      'Give two or more configs, or --all to see every key of one.',
    );
  }
  const diff = diffConfigs(entries, { base: args.values.base, all: args.values.all });
  if (args.values.csv) process.stdout.write(diffToCsv(diff));
  else if (args.values.json) print(JSON.stringify(diffToJson(diff), null, 2));
  else print(renderDiff(diff, { transpose: args.values.transpose }));
  return 0;
}
