import { diffConfigs } from '../compare/diff.ts';
import { selectConfigs } from '../compare/select.ts';
import { diffToJson, renderDiff } from '../compare/table.ts';
import { UsageError } from '../errors.ts';
import { REMOTE_OPTIONS, resultSource } from './source.ts';
import { defineCommand, print, warnTo } from './spec.ts';

export default defineCommand({
  name: 'diff',
  summary: 'show the keys that differ across configs or results',
  api: ['selectConfigs', 'diffConfigs'],
  description: `Prints only the keys whose values differ across the configs: one row per config, one column per differing key. Inputs are config files, result folders (their saved config.json), names (looked up in the config folders, then the runs root) and globs ('configs/model*.json', 'runs/*'; quote them, or let the shell expand them).

- A key a config lacks shows as —, apart from null and from "". Strings show bare unless they would read as something else ("", "null", "5"); other values as compact JSON. Values wider than 40 columns are cut with … (the CSV and JSON never are).
- For a result folder, a key its config lacks but whose default the script used (effective.json) shows as that value with *: configs compare by what the code really used, so an old config that got the default false and a new one that sets false agree.
- Nested values are compared by dotted keys (loss.l1); arrays compare as whole values.
- A table wider than the terminal is transposed (keys as rows) when there are fewer configs than keys and that fits, else cut into blocks of columns that each repeat the names.

--csv writes RFC 4180 CSV (CRLF line ends): header name,<keys>,defaults; strings as they are, "" for the empty string, other values as JSON, an empty field when absent; defaults lists the keys whose value came from a default. --json writes {"keys": [...], "base": null, "rows": [{"name", "kind", "path", "values": {"lr": {"value": 0.1}, "bigrams": {"value": false, "default": true}}}]}; an absent key is left out of values.

Every input that is not a config (invalid JSON, not an object, a folder without config.json, a glob that matches nothing, an unknown name) is named with its reason, and the command exits 1 unless --skip-bad.`,
  args: [
    { name: 'configs', required: true, variadic: true, description: 'configs, results, names or globs' },
  ],
  options: {
    base: {
      type: 'string',
      value: 'NAME',
      description: 'compare every config against this one (its row comes first)',
    },
    all: { type: 'boolean', description: 'show every key, not only those that differ' },
    transpose: { type: 'boolean', description: 'keys as rows, configs as columns' },
    csv: { type: 'boolean', description: 'RFC 4180 CSV on stdout (> results.csv opens in a spreadsheet)' },
    json: { type: 'boolean', description: 'JSON on stdout' },
    'skip-bad': { type: 'boolean', description: 'leave out inputs that are not configs, with a warning' },
    ...REMOTE_OPTIONS,
  },
  examples: [
    "repro diff runs/model 'runs/model~lr=0.1'",
    "repro diff 'configs/model*.json' --csv > results.csv",
  ],
  async run({ args, options }, ctx) {
    const entries = selectConfigs(args, {
      skipBad: options['skip-bad'],
      project: await resultSource(options, ctx).project(),
      cwd: ctx.cwd,
      warn: warnTo(ctx),
    });
    if (entries.length < 2 && !options.all) {
      throw new UsageError(
        `only ${entries.length} config to compare`,
        'Give two or more configs, or --all to see every key of one.',
      );
    }
    const diff = diffConfigs(entries, { base: options.base, all: options.all });
    if (options.csv) ctx.stdout.write((await import('../compare/csv.ts')).diffToCsv(diff));
    else if (options.json) print(ctx, JSON.stringify(diffToJson(diff), null, 2));
    else print(ctx, renderDiff(diff, { transpose: options.transpose, width: ctx.stdout.columns || 120 }));
    return 0;
  },
});
