import { sweepConfigs } from '../breed/sweep.ts';
import { formatValue, renderTable } from '../compare/table.ts';
import { UsageError } from '../errors.ts';
import { defineCommand, print } from './spec.ts';

export default defineCommand({
  name: 'sweep',
  summary: 'write one config per point of a grid or random search',
  api: ['sweepConfigs'],
  description: `Writes one config per combination of the grid, the first key varying slowest, named with digits after the config's name (model1 … model4), zero-padded when there are more than nine (model01 … model12); a second sweep on the same base goes on from the highest number taken (model5 …). A point whose config already exists with the same content (the base itself, a clone, an earlier sweep) is named and not written again (--allow-duplicates writes it anyway). All or nothing: if any name is taken, nothing is written; --dry-run never refuses. --prefix names them <prefix>1 … instead.

--random N --seed S (seed 1 by default) samples N configs instead, the same for the same seed on any machine. Then a key may also be a range: {"uniform": [a, b]}, {"log_uniform": [a, b]} (a > 0) or {"int": [a, b]} (both ends included); floats keep six significant digits. A list is sampled uniformly. --dry-run prints what would be written and writes nothing.`,
  args: [{ name: 'config', required: true, description: 'the base config file' }],
  options: {
    grid: {
      type: 'string',
      value: 'JSON',
      description: 'the values of each key: {"lr": [0.1, 0.01], "epochs": [2, 3]}',
    },
    random: { type: 'integer', description: 'sample N configs instead of the whole grid' },
    seed: { type: 'integer', default: 1, description: 'the seed of --random' },
    prefix: { type: 'string', value: 'NAME', description: 'name the configs NAME1, NAME2, …' },
    'dry-run': { type: 'boolean', description: 'say what would be written; write nothing' },
    'new-key': {
      type: 'boolean',
      description: 'let --grid add a key close to one the base has (refused as a likely typo otherwise)',
    },
    'allow-duplicates': {
      type: 'boolean',
      description: 'write a config even when an existing one has the same content',
    },
    json: { type: 'boolean', description: 'the configs as JSON' },
  },
  examples: [
    'repro sweep configs/model.json --grid \'{"lr": [1e-3, 1e-4], "filters": [5, 10]}\'',
    'repro sweep configs/model.json --grid \'{"lr": {"log_uniform": [1e-5, 1e-2]}}\' --random 20 --seed 7',
  ],
  async run({ args, options }, ctx) {
    if (!options.grid) throw new UsageError('repro sweep needs --grid', 'See repro sweep --help');
    const result = sweepConfigs({
      config: args[0] as string,
      space: options.grid,
      random: options.random,
      seed: options.seed,
      prefix: options.prefix,
      dryRun: options['dry-run'],
      allowDuplicates: options['allow-duplicates'],
      newKeys: options['new-key'],
      cwd: ctx.cwd,
    });
    if (options.json) {
      print(ctx, JSON.stringify(result, null, 2));
      return 0;
    }
    const keys = Object.keys(result.configs[0]?.changes ?? result.existing[0]?.changes ?? {});
    const rows = [
      ...result.configs.map((c) => [c.file, ...keys.map((k) => formatValue(c.changes[k] ?? null))]),
      ...result.existing.map((c) => [
        `${c.file} (exists)`,
        ...keys.map((k) => formatValue(c.changes[k] ?? null)),
      ]),
    ];
    if (rows.length) print(ctx, renderTable(['file', ...keys], rows));
    const same = result.existing.length
      ? `; ${result.existing.length} already exist${result.existing.length === 1 ? 's' : ''} with the same content, not written again`
      : '';
    ctx.stderr.write(
      result.written
        ? `wrote ${result.configs.length} config${result.configs.length === 1 ? '' : 's'}${same}\n`
        : `dry run: ${result.configs.length} config${result.configs.length === 1 ? '' : 's'} to write${same}; nothing written\n`,
    );
    return 0;
  },
});
