import { crossConfigs } from '../breed/cross.ts';
import { formatValue, renderTable } from '../compare/table.ts';
import { defineCommand, print } from './spec.ts';

export default defineCommand({
  name: 'cross',
  summary: 'breed a child config from two parents',
  api: ['crossConfigs'],
  description: `Uniform crossover: each top-level key on which the parents differ comes from one of them by a seeded coin (a key that parent lacks stays absent in the child). The child is written next to the first parent under its next free letter, and the table says which key came from whom. Parents that do not differ, and a child that would equal a parent, are refused (try another --seed). A child whose content an existing config already has (an earlier cross with the same seed, a clone) is not written: that config is named instead (--allow-duplicates writes it anyway).`,
  args: [
    { name: 'a', required: true, description: 'the first parent config (the child is named after it)' },
    { name: 'b', required: true, description: 'the second parent config' },
  ],
  options: {
    seed: { type: 'integer', default: 1, description: 'the coin flips, reproducibly' },
    json: { type: 'boolean', description: 'the child and the origin of each key as JSON' },
    'allow-duplicates': {
      type: 'boolean',
      description: 'write the child even when an existing config has the same content',
    },
  },
  examples: ['repro cross configs/modela.json configs/modelb.json --seed 4'],
  async run({ args, options }, ctx) {
    const [a, b] = args as [string, string];
    const result = crossConfigs({
      a,
      b,
      seed: options.seed,
      cwd: ctx.cwd,
      allowDuplicates: options['allow-duplicates'],
    });
    if (options.json) {
      print(ctx, JSON.stringify(result, null, 2));
      return 0;
    }
    if (result.existing) {
      ctx.stderr.write(
        `repro cross: ${result.file} already has this content; nothing written (--allow-duplicates writes it anyway)\n`,
      );
      print(ctx, result.file);
      return 0;
    }
    print(
      ctx,
      `${result.file}\n${renderTable(
        ['key', 'from', 'value'],
        result.origins.map((o) => [o.key, o.from, o.value === undefined ? '—' : formatValue(o.value)]),
      )}`,
    );
    return 0;
  },
});
