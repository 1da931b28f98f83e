import { renderStatus, resultSource } from './source.ts';
import { defineCommand, print } from './spec.ts';

export default defineCommand({
  name: 'status',
  summary: 'say which results are missing, done, failed or stale',
  api: ['graphStatus'],
  description: `One line per config (or the ones named), in dependency order, with its state (missing, done, failed, interrupted, crashed, running) and why. A result is stale, with every reason that applies:

- the config file changed since its result was made (its hash differs from the base_hash in run.json; for a result under another name, such as model~lr=0.1, the file it was made from): configs are immutable, so this is a breach; repro clone makes a new config;
- an upstream result was replaced since (its start time differs from the one recorded in run.json's sources), or ended after this result started;
- the script changed since the run (its SHA-256 differs from run.json's), or is gone;
- the input data changed: the fingerprints in inputs.json and inputs-read.json, taken again at their level, show files added, removed or changed.

Without names, a config with an error (not JSON, a source that names nothing, a cycle) is a row of its own, "error" with the file, line and column, and every config built on it is "blocked"; the rest is reported as usual. Named targets that reach an error stop with the error.

Exit code 0 when everything asked for is done and not stale, else 1: it can gate a CI job. Configs are kept in a cache in $XDG_CACHE_HOME/repro (else ~/.cache/repro), read again when a file's size, time or inode changes; results come from the results index that ls shares (an ended result is read once, a running one every time: see repro ls); input data is always checked again. With --db URL, the state of each config in the shared store instead (done, queued, running, failed, cancelled; missing when not pushed), 0 only when all are done.`,
  args: [{ name: 'names', variadic: true, description: 'the configs to report (default: all)' }],
  options: {
    json: { type: 'boolean', description: 'the states as JSON' },
    db: { type: 'string', value: 'URL', description: "the shared store's state of each config instead" },
  },
  examples: ['repro status', 'repro status evaluation && echo "all good"'],
  async run({ args, options }, ctx) {
    const status = await resultSource(options, ctx).status(args);
    print(ctx, renderStatus(status, options.json));
    return status.good ? 0 : 1;
  },
});
