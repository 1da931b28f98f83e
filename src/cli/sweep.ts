import { sweepConfigs } from '../breed/sweep.ts';
import { formatValue, renderTable } from '../compare/table.ts';
import { UsageError } from '../errors.ts';
import { intOption, parseCommand, print } from './args.ts';

export const USAGE = `usage: repro sweep <config.json> --grid JSON [--random N [--seed S]] [--prefix NAME] [--dry-run] [--json]

Writes one config per combination of the grid, named with digits (model1 ... model4;
zero-padded past nine: model01 ... model12), all or nothing: if any name is taken, nothing is
written. With --random N, samples N configs instead, reproducibly for the seed; a key may then
also be a range: {"uniform": [a, b]}, {"log_uniform": [a, b]}, {"int": [a, b]}.

  repro sweep configs/model.json --grid '{"lr": [1e-3, 1e-4], "filters": [5, 10]}'
  repro sweep configs/model.json --grid '{"lr": {"log_uniform": [1e-5, 1e-2]}}' --random 20 --seed 7`;

export async function main(argv: string[]): Promise<number> {
  const args = parseCommand(
    argv,
    {
      grid: { type: 'string' },
      random: { type: 'string' },
      seed: { type: 'string' },
      prefix: { type: 'string' },
      'dry-run': { type: 'boolean' },
      json: { type: 'boolean' },
    },
    USAGE,
  );
  if (!args) return 0;
  const config = args.positionals[0];
  if (!config || args.positionals.length > 1) throw new UsageError('repro sweep takes one config', USAGE);
  if (!args.values.grid) throw new UsageError('repro sweep needs --grid', USAGE);
  const result = sweepConfigs({
    config,
    space: args.values.grid,
    random: args.values.random === undefined ? undefined : intOption(args.values.random, 'random', 0),
    seed: intOption(args.values.seed, 'seed', 1),
    prefix: args.values.prefix,
    dryRun: args.values['dry-run'],
  });
  if (args.values.json) {
    print(JSON.stringify(result, null, 2));
    return 0;
  }
  const keys = Object.keys(result.configs[0]?.changes ?? {});
  print(
    renderTable(
      ['file', ...keys],
      result.configs.map((c) => [c.file, ...keys.map((k) => formatValue(c.changes[k] ?? null))]),
    ),
  );
  process.stderr.write(
    result.written
      ? `wrote ${result.configs.length} configs\n`
      : `dry run: ${result.configs.length} configs, nothing written\n`,
  );
  return 0;
}
