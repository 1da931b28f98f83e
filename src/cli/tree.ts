import { fs } from '../_builtins.ts';
import { selectConfigs } from '../compare/select.ts';
import { UsageError } from '../errors.ts';
import { averageLinkage, distanceMatrix, renderTreeSvg, renderTreeText } from '../plot/tree.ts';
import { parseCommand, print } from './args.ts';

export const USAGE = `usage: repro tree <config|result|name|glob>... [--numeric exact|relative] [-o tree.svg] [--skip-bad]

Clusters configs by their differences and draws the family tree (a dendrogram): as text in
the terminal, as SVG with -o. The distance of two configs is how many keys differ over the
union of their keys (a key one lacks counts as different); with --numeric relative, two
numbers count |a - b| / max(|a|, |b|) instead of 1. Clusters merge by average linkage
(UPGMA); a merge's height is the average distance between its two sides.`;

export async function main(argv: string[]): Promise<number> {
  const args = parseCommand(
    argv,
    {
      numeric: { type: 'string' },
      output: { type: 'string', short: 'o' },
      title: { type: 'string' },
      'skip-bad': { type: 'boolean' },
    },
    USAGE,
  );
  if (!args) return 0;
  const numeric = args.values.numeric ?? 'exact';
  if (numeric !== 'exact' && numeric !== 'relative')
    throw new UsageError(`--numeric takes exact or relative, not "${numeric}"`);
  const entries = selectConfigs(args.positionals, { skipBad: args.values['skip-bad'] });
  if (entries.length < 2)
    throw new UsageError(`a tree needs two or more configs, got ${entries.length}`, USAGE);
  const root = averageLinkage(
    distanceMatrix(entries, { numeric }),
    entries.map((e) => e.name),
  );
  const output = args.values.output;
  if (!output) {
    print(renderTreeText(root));
    return 0;
  }
  if (!output.toLowerCase().endsWith('.svg'))
    throw new UsageError(`-o ${output}: the tree is written as .svg`);
  try {
    fs.writeFileSync(output, renderTreeSvg(root, { title: args.values.title }), { flag: 'wx' });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST')
      throw new UsageError(`${output} already exists; repro never overwrites a file`);
    throw error;
  }
  process.stderr.write(`wrote ${output}: ${entries.length} configs\n`);
  return 0;
}
