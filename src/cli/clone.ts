import { cloneConfig } from '../breed/clone.ts';
import { renderDiff } from '../compare/table.ts';
import { UsageError } from '../errors.ts';
import { defineCommand, print } from './spec.ts';

export default defineCommand({
  name: 'clone',
  summary: 'copy a config with changes, under the next free letter',
  api: ['cloneConfig'],
  description: `Writes a copy of the config with the changes next to the original, exclusively, and prints the new path and its diff against the original. The name is the next free letter: model -> modela, modelb, … modelz, then modelza … modelzz, then modelzza, a sequence that never ends; a name is free when no config folder, the runs root or the original's folder has it. --name gives a proper name instead. A --set or --conf key that the original lacks but that is close to a key it has (gama beside gamma) is refused as a likely typo (REPRO_NEW_KEY; --new-key adds it); --unset removes a key, so a config with a mistyped key is corrected by cloning it: repro clone configs/svcb.json --unset gama --set gamma=0.01. A clone that changes nothing is refused (REPRO_CLONE_UNCHANGED); a clone whose content an existing config already has is not written: that config is named instead (--allow-duplicates writes it anyway).`,
  args: [{ name: 'config', description: 'the config file to copy (or give it with -c)' }],
  overrides: true,
  options: {
    name: {
      type: 'string',
      value: 'NAME',
      description: 'name the copy NAME instead of the next free letter',
    },
    unset: {
      type: 'string',
      value: 'KEY',
      multiple: true,
      description: 'remove a key (repeatable): drops a mistyped key from the copy',
    },
    'new-key': {
      type: 'boolean',
      description: 'let --set/--conf add a key close to an existing one (refused as a likely typo otherwise)',
    },
    'allow-duplicates': {
      type: 'boolean',
      description: 'write the clone even when an existing config has the same content',
    },
  },
  examples: [
    'repro clone configs/model.json --set lr=0.1',
    'repro clone configs/model.json --conf \'{"bigrams": true}\' --name bigram',
    'repro clone configs/svcb.json --unset gama --set gamma=0.01',
  ],
  async run({ args, options, overrides, config }, ctx) {
    const file = config ?? args[0];
    if (!file || (config && args[0]))
      throw new UsageError('repro clone takes one config', 'See repro clone --help');
    const result = cloneConfig({
      config: file,
      overrides,
      name: options.name,
      allowDuplicates: options['allow-duplicates'],
      unset: options.unset,
      newKeys: options['new-key'],
      cwd: ctx.cwd,
    });
    if (result.existing)
      ctx.stderr.write(
        `${result.file} already has this content: nothing written (--allow-duplicates writes a copy)\n`,
      );
    print(ctx, `${result.file}\n${renderDiff(result.diff, { width: ctx.stdout.columns || 120 })}`);
    return 0;
  },
});
