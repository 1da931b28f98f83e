import { UsageError } from '../errors.ts';
import { assertValid, downstreamOf, loadGraph, nodeNamed, upstreamOf } from '../graph/graph.ts';
import { renderDot, renderGraphJson, renderGraphText, renderMermaid } from '../graph/render.ts';
import { graphStatus } from '../graph/status.ts';
import { findProject } from '../project/project.ts';
import { parseCommand, print } from './args.ts';

export const USAGE = `usage: repro graph [NAME] [--format text|mermaid|dot|json]

Prints the config graph (configs linked by "source") as a tree with each node's status, or
the part upstream and downstream of NAME. --format mermaid or dot for a diagram, json for
machines.`;

export async function main(argv: string[]): Promise<number> {
  const args = parseCommand(argv, { format: { type: 'string' } }, USAGE);
  if (!args) return 0;
  const format = args.values.format ?? 'text';
  if (!['text', 'mermaid', 'dot', 'json'].includes(format))
    throw new UsageError(`--format takes text, mermaid, dot or json, not "${format}"`);
  if (args.positionals.length > 1) throw new UsageError('repro graph takes at most one name', USAGE);
  const graph = loadGraph(findProject());
  assertValid(graph);
  const name = args.positionals[0];
  const names = name
    ? (() => {
        const node = nodeNamed(graph, name).name;
        return new Set([...upstreamOf(graph, [node]), ...downstreamOf(graph, [node])]);
      })()
    : new Set(graph.nodes.keys());
  const status = new Map((await graphStatus(graph, [...names])).map((s) => [s.name, s]));
  if (format === 'json') print(JSON.stringify(renderGraphJson(graph, names, status), null, 2));
  else if (format === 'mermaid') print(renderMermaid(graph, names, status));
  else if (format === 'dot') print(renderDot(graph, names, status));
  else print(names.size ? renderGraphText(graph, names, status) : 'no configs yet');
  return 0;
}
