import { renderTable } from '../compare/table.ts';
import { assertValid, loadGraph, nodeNamed, topologicalOrder } from '../graph/graph.ts';
import { graphStatus, isGood } from '../graph/status.ts';
import { findProject } from '../project/project.ts';
import { dbUrl, PgStore } from '../remote/store.ts';
import { parseCommand, print } from './args.ts';

export const USAGE = `usage: repro status [NAME]... [--json]

One line per config (or the ones named), in dependency order: missing, done, failed,
interrupted, crashed or running, and stale with every reason that applies (the config file
changed since its result was made; an upstream result is newer or was replaced; the script
changed). Exits 0 when everything asked for is done and not stale, else 1: it can gate a CI job.
With --db URL, the state of each config in the shared store instead (done, queued, running,
failed, cancelled; missing when not pushed).`;

export async function main(argv: string[]): Promise<number> {
  const args = parseCommand(argv, { json: { type: 'boolean' }, db: { type: 'string' } }, USAGE);
  if (!args) return 0;
  if (args.values.db) return storeStatus(args.values.db, args.positionals, Boolean(args.values.json));
  const graph = loadGraph(findProject());
  assertValid(graph);
  const names = args.positionals.length
    ? args.positionals.map((n) => nodeNamed(graph, n).name)
    : topologicalOrder(graph).map((n) => n.name);
  const statuses = await graphStatus(graph, names);
  if (args.values.json) print(JSON.stringify(statuses, null, 2));
  else {
    print(
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
}

/** `status --db`: the store's state of every config (or the ones named); 0 when all are done. */
async function storeStatus(url: string, names: string[], json: boolean): Promise<number> {
  const store = await PgStore.connect(dbUrl(url));
  try {
    const jobs = (await store.list()).filter((j) => names.length === 0 || names.includes(j.name));
    const missing = names.filter((n) => !jobs.some((j) => j.name === n));
    if (json)
      print(
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
