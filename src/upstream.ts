/**
 * What a run needs from the tools, loaded only for a config with sources: the graph upstream of
 * its sources and their statuses, to warn about a stale upstream. An entry of its own (dist/upstream.js) so that such a
 * run does not parse the rest of `repro/tools` (charts and clustering: ~25 ms).
 */
export { loadUpstream } from './graph/graph.ts';
export { graphStatus } from './graph/status.ts';
