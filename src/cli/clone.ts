import { cloneConfig } from '../breed/clone.ts';
import { renderDiff } from '../compare/table.ts';
import { parseRunArgs } from '../config/argv.ts';
import { UsageError } from '../errors.ts';
import { print } from './args.ts';

export const USAGE = `usage: repro clone <config.json> [--set key=value]... [--conf JSON]... [--name NAME]

Writes a copy of the config with the changes, next to it, named with the next free letter
(model -> modela, modelb, ... modelz, modelza, ...) or --name. Prints the new file and how it
differs from the original. A clone that changes nothing is refused.`;

export async function main(argv: string[]): Promise<number> {
  const args = parseRunArgs(argv, { name: { type: 'string' }, help: { type: 'boolean', short: 'h' } });
  if (args.values.help) {
    print(USAGE);
    return 0;
  }
  const config = args.config ?? args.positionals[0];
  if (!config || args.positionals.length > (args.config ? 0 : 1))
    throw new UsageError('repro clone takes one config', USAGE);
  const result = cloneConfig({
    config,
    overrides: args.overrides,
    name: args.values.name as string | undefined,
  });
  print(`${result.file}\n${renderDiff(result.diff)}`);
  return 0;
}
