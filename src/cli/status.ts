import { renderTable } from '../compare/table.ts';
import { assertValid, loadGraph, nodeNamed, topologicalOrder } from '../graph/graph.ts';
import { graphStatus, isGood } from '../graph/status.ts';
import { findProject } from '../project/project.ts';
import { parseCommand, print } from './args.ts';

export const USAGE = `usage: repro status [NAME]... [--json]

One line per config (or the ones named), in dependency order: missing, done, failed,
interrupted, crashed or running, and stale with every reason that applies (the config file
changed since its result was made; an upstream result is newer or was replaced; the script
changed). Exits 0 when everything asked for is done and not stale, else 1: it can gate a CI job.`;

export async function main(argv: string[]): Promise<number> {
  const args = parseCommand(argv, { json: { type: 'boolean' } }, USAGE);
  if (!args) return 0;
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
