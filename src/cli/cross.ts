import { crossConfigs } from '../breed/cross.ts';
import { formatValue, renderTable } from '../compare/table.ts';
import { UsageError } from '../errors.ts';
import { intOption, parseCommand, print } from './args.ts';

export const USAGE = `usage: repro cross <a.json> <b.json> [--seed S] [--json]

Writes a child config that takes each key on which the parents differ from one of them
(uniform crossover, reproducible by seed), named with the next free letter of the first
parent, and prints which key came from whom.`;

export async function main(argv: string[]): Promise<number> {
  const args = parseCommand(argv, { seed: { type: 'string' }, json: { type: 'boolean' } }, USAGE);
  if (!args) return 0;
  const [a, b, ...rest] = args.positionals;
  if (!a || !b || rest.length) throw new UsageError('repro cross takes two configs', USAGE);
  const result = crossConfigs({ a, b, seed: intOption(args.values.seed, 'seed', 1) });
  if (args.values.json) {
    print(JSON.stringify(result, null, 2));
    return 0;
  }
  print(
    `${result.file}\n${renderTable(
      ['key', 'from', 'value'],
      result.origins.map((o) => [o.key, o.from, o.value === undefined ? '—' : formatValue(o.value)]),
    )}`,
  );
  return 0;
}
