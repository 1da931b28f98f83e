import { renderTable } from '../compare/table.ts';
import { assertValid, loadGraph, topologicalOrder } from '../graph/graph.ts';
import { graphStatus, isGood } from '../graph/status.ts';
import { resolveTargets } from '../graph/targets.ts';
import { findProject } from '../project/project.ts';
import { dbUrl, PgStore } from '../remote/store.ts';
import { type CommandContext, defineCommand, print, warnTo } from './spec.ts';

export default defineCommand({
  name: 'status',
  summary: 'say which results are missing, done, failed or stale',
  api: ['graphStatus'],
  description: `One line per config (or the ones named), in dependency order, with its state (missing, done, failed, interrupted, crashed, running) and why. A result is stale, with every reason that applies:

- the config file changed since its result was made (its hash differs from the base_hash in run.json): configs are immutable, so this is a breach; repro clone makes a new config;
- an upstream result was replaced since (its start time differs from the one recorded in run.json's sources), or ended after this result started;
- the script changed since the run (its SHA-256 differs from run.json's), or is gone;
- the input data changed: the fingerprints in inputs.json and inputs-read.json, taken again at their level, show files added, removed or changed.

Exit code 0 when everything asked for is done and not stale, else 1: it can gate a CI job. Configs and ended results are kept in a cache in $XDG_CACHE_HOME/repro (else ~/.cache/repro), one file per project, read again when a file's size, time or inode changes, or a result folder's time or inode (as the ls cache); input data is always checked again. With --db URL, the state of each config in the shared store instead (done, queued, running, failed, cancelled; missing when not pushed), 0 only when all are done.`,
  args: [{ name: 'names', variadic: true, description: 'the configs to report (default: all)' }],
  options: {
    json: { type: 'boolean', description: 'the states as JSON' },
    db: { type: 'string', value: 'URL', description: "the shared store's state of each config instead" },
  },
  examples: ['repro status', 'repro status evaluation && echo "all good"'],
  async run({ args, options }, ctx) {
    if (options.db) return storeStatus(options.db, args, options.json, ctx);
    const graph = loadGraph(findProject({ cwd: ctx.cwd }));
    const named = args.length ? resolveTargets(graph, args, ctx.cwd) : undefined;
    assertValid(graph, named, warnTo(ctx));
    const names = named ?? topologicalOrder(graph).map((n) => n.name);
    const statuses = await graphStatus(graph, names);
    if (options.json) print(ctx, JSON.stringify(statuses, null, 2));
    else {
      print(
        ctx,
        renderTable(
          ['name', 'state', 'why'],
          statuses.map((s) => [
            s.name,
            s.stale.length ? `${s.state}, stale` : s.state,
            s.stale.length ? s.stale.join('; ') : s.reason,
          ]),
        ),
      );
    }
    return statuses.every(isGood) ? 0 : 1;
  },
});

/** `status --db`: the store's state of every config (or the ones named); 0 when all are done. */
async function storeStatus(
  url: string,
  names: string[],
  json: boolean,
  ctx: CommandContext,
): Promise<number> {
  const store = await PgStore.connect(dbUrl(url, ctx.env));
  try {
    const jobs = (await store.list()).filter((j) => names.length === 0 || names.includes(j.name));
    const missing = names.filter((n) => !jobs.some((j) => j.name === n));
    if (json)
      print(
        ctx,
        JSON.stringify(
          {
            jobs: jobs.map(({ name, state, attempts, result_location, last_error }) => ({
              name,
              state,
              attempts,
              result_location,
              last_error,
            })),
            missing,
          },
          null,
          2,
        ),
      );
    else {
      print(
        ctx,
        renderTable(
          ['name', 'state', 'why'],
          [
            ...jobs.map((j) => [
              j.name,
              j.state,
              j.state === 'done'
                ? (j.result_location ?? '')
                : ((j.last_error ?? '').split('\n').filter(Boolean).pop() ??
                  `${j.attempts}/${j.max_attempts} attempts`),
            ]),
            ...missing.map((n) => [n, 'missing', 'not in the store']),
          ],
        ),
      );
    }
    return missing.length === 0 && jobs.every((j) => j.state === 'done') ? 0 : 1;
  } finally {
    await store.close();
  }
}
