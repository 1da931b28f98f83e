/**
 * What a run needs from the tools, loaded only for a config with sources: the graph and its
 * statuses, to warn about a stale upstream. An entry of its own (dist/upstream.js) so that such a
 * run does not parse the rest of `repro/tools` (charts and clustering: ~25 ms).
 */
export { loadGraph } from './graph/graph.ts';
export { graphStatus } from './graph/status.ts';
