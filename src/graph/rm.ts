import { ReproError } from '../errors.ts';
import { findProject, type Project } from '../project/project.ts';
import { type AtticMove, moveToAttic } from '../run/attic.ts';
import { readRunState } from '../run/status.ts';
import { assertValid, downstreamOf, loadGraph, topologicalOrder } from './graph.ts';
import { resolveTargets } from './targets.ts';

export interface RemoveResultsOptions {
  /** Config or result names (or result folders) whose results move to the attic. */
  targets: readonly string[];
  /** Move the results built on them as well. @default false */
  downstream?: boolean;
  /** Say what would move; move nothing. @default false */
  dryRun?: boolean;
  /** @default process.cwd() */
  cwd?: string;
  project?: Project;
  /** Where warnings go (errors elsewhere in the graph). @default process.stderr */
  warn?: (line: string) => void;
}

/**
 * `repro rm`: moves results, whole and untouched, into the attic (`<runs root>/.attic`), the
 * results built on them first. Nothing is deleted. A running result is refused before anything
 * moves.
 */
export function removeResults(options: RemoveResultsOptions): { moved: AtticMove[]; planned: string[] } {
  const project = options.project ?? findProject({ cwd: options.cwd });
  const graph = loadGraph(project);
  const named = resolveTargets(graph, options.targets, options.cwd ?? process.cwd());
  const names = new Set([...named, ...(options.downstream ? downstreamOf(graph, named) : [])]);
  assertValid(graph, [...names], options.warn);
  // downstream first: a result never sits in the runs root without the upstream it was built on
  const order = topologicalOrder(graph, names)
    .filter((n) => n.result)
    .reverse();
  for (const t of named) {
    if (!graph.nodes.get(t)?.result) throw new ReproError('REPRO_RESULT_GONE', `${t} has no result to move`);
  }
  for (const node of order) {
    const state = readRunState(node.result as string);
    if (state.status === 'running')
      throw new ReproError(
        'REPRO_RESULT_RUNNING',
        `${node.name} is running (${state.reason}); nothing was moved`,
      );
  }
  // results built on what moves, and left: say that they are stale now, and how to move them too
  const left = options.downstream
    ? []
    : [...downstreamOf(graph, named)].filter((n) => !names.has(n) && graph.nodes.get(n)?.result);
  if (left.length) {
    const one = left.length === 1;
    const then = options.dryRun ? 'would be' : one ? 'is now' : 'are now';
    const warn = options.warn ?? ((line: string) => process.stderr.write(`${line}\n`));
    warn(
      `repro: warning: ${left.join(', ')} ${one ? 'was' : 'were'} built on ${named.join(', ')} and ${then} stale (upstream missing); --downstream moves such results too`,
    );
  }
  if (options.dryRun) return { moved: [], planned: order.map((n) => n.name) };
  const moved = order.map((n) => moveToAttic(project, n.result as string, 'repro rm'));
  return { moved, planned: order.map((n) => n.name) };
}
