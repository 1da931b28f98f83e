import { assertValid, downstreamOf, loadGraph, upstreamOf } from '../graph/graph.ts';
import { renderDot, renderGraphJson, renderGraphText, renderMermaid } from '../graph/render.ts';
import { graphStatus } from '../graph/status.ts';
import { resolveTargets } from '../graph/targets.ts';
import { findProject } from '../project/project.ts';
import { defineCommand, print, warnTo } from './spec.ts';

export default defineCommand({
  name: 'graph',
  summary: "show the config graph with each node's status",
  api: ['loadGraph'],
  description: `Configs form a directed graph through \`source\`. The graph is read from every *.json below the config folders (configs/ unless repro.json says otherwise) and from every result folder in the runs root (a result whose config file is not in the config folders, such as model~lr=0.1, is a node of its own). Prints the graph as a tree from its roots with each node's status (missing, done, failed, interrupted, crashed, running, and stale), or only what is upstream and downstream of NAME. --format mermaid and --format dot draw it with nodes coloured by status; --format json gives {"nodes": [{"name", "file", "result", "sources", "state", "stale"}], "edges": [{"from", "to"}]}.

Errors stop every graph command (REPRO_GRAPH_INVALID), each with its file: two config files with the same name (both paths named), a source naming no config and no result (with the closest name), a cycle (printed as a -> b -> c -> a), a config that does not load.`,
  args: [
    {
      name: 'targets',
      variadic: true,
      description: 'show only what is upstream and downstream of these (names, globs, paths: see Targets)',
    },
  ],
  options: {
    format: {
      type: 'string',
      value: 'FORMAT',
      choices: ['text', 'mermaid', 'dot', 'json'],
      default: 'text',
      description: 'text, mermaid, dot or json',
    },
  },
  examples: ['repro graph', 'repro graph model --format mermaid'],
  async run({ args, options }, ctx) {
    const graph = loadGraph(findProject({ cwd: ctx.cwd }));
    const named = args.length ? resolveTargets(graph, args, ctx.cwd) : [];
    assertValid(
      graph,
      named.length ? [...upstreamOf(graph, named), ...downstreamOf(graph, named)] : undefined,
      warnTo(ctx),
    );
    const names = named.length
      ? new Set([...upstreamOf(graph, named), ...downstreamOf(graph, named)])
      : new Set(graph.nodes.keys());
    const status = new Map((await graphStatus(graph, [...names])).map((s) => [s.name, s]));
    const format = options.format;
    if (format === 'json') print(ctx, JSON.stringify(renderGraphJson(graph, names, status), null, 2));
    else if (format === 'mermaid') print(ctx, renderMermaid(graph, names, status));
    else if (format === 'dot') print(ctx, renderDot(graph, names, status));
    else print(ctx, names.size ? renderGraphText(graph, names, status) : 'no configs yet');
    return 0;
  },
});
