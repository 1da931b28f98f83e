import { resolve } from '../_builtins.ts';
import { selectConfigs } from '../compare/select.ts';
import { UsageError } from '../errors.ts';
import { averageLinkage, distanceMatrix, renderTreeSvg, renderTreeText } from '../plot/tree.ts';
import { defineCommand, print, warnTo, writeNewFile } from './spec.ts';

export default defineCommand({
  name: 'tree',
  summary: 'cluster configs into a family tree (dendrogram)',
  api: ['distanceMatrix', 'averageLinkage'],
  description: `Clusters configs by their differences and draws the dendrogram: as text in the terminal, as SVG with -o. The distance of two configs is the number of keys whose values differ over the union of their keys (a key one of them lacks counts as different; nested values by dotted key). With --numeric relative, two numbers count |a - b| / max(|a|, |b|) instead of 1, so lr 0.001 and 0.0011 are nearer than 0.001 and 0.1. Clusters merge by average linkage (UPGMA), computed with the nearest-neighbour chain in O(n²); a merge's height is the average distance between its two sides. The text form:

  3 ┬─ 1 ┬─ model
    │    └─ modela
    └─ data`,
  args: [
    { name: 'configs', required: true, variadic: true, description: 'configs, results, names or globs' },
  ],
  options: {
    numeric: {
      type: 'string',
      value: 'HOW',
      choices: ['exact', 'relative'],
      default: 'exact',
      description: 'how two numbers differ: exact (0 or 1) or relative',
    },
    output: { type: 'string', short: 'o', value: 'FILE', description: 'write the tree as SVG to FILE' },
    title: { type: 'string', value: 'TEXT', description: 'a title over the SVG' },
    'skip-bad': { type: 'boolean', description: 'leave out inputs that are not configs, with a warning' },
  },
  examples: ["repro tree 'configs/*.json'", "repro tree 'runs/model*' -o tree.svg --numeric relative"],
  async run({ args, options }, ctx) {
    const entries = selectConfigs(args, { skipBad: options['skip-bad'], cwd: ctx.cwd, warn: warnTo(ctx) });
    if (entries.length < 2)
      throw new UsageError(
        `a tree needs two or more configs, got ${entries.length}`,
        'See repro tree --help',
      );
    const root = averageLinkage(
      distanceMatrix(entries, { numeric: options.numeric as 'exact' | 'relative' }),
      entries.map((e) => e.name),
    );
    const output = options.output;
    if (!output) {
      print(ctx, renderTreeText(root));
      return 0;
    }
    if (!output.toLowerCase().endsWith('.svg'))
      throw new UsageError(`-o ${output}: the tree is written as .svg`);
    writeNewFile(resolve(ctx.cwd, output), output, renderTreeSvg(root, { title: options.title }));
    ctx.stderr.write(`wrote ${output}: ${entries.length} configs\n`);
    return 0;
  },
});
