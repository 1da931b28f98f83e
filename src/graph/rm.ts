import { basename, dirname, fs, join, relative, resolve } from '../_builtins.ts';
import { isJsonObject } from '../config/json.ts';
import { ReproError } from '../errors.ts';
import { nearestNames } from '../hints.ts';
import { findProject, type Project } from '../project/project.ts';
import {
  type AtticEntry,
  type AtticMove,
  atticDir,
  atticEntries,
  moveToAttic,
  nameTaken,
  restoreFromAttic,
} from '../run/attic.ts';
import { RUN_FILES } from '../run/layout.ts';
import { readJsonFile } from '../run/record.ts';
import { isResultName, sourceNames } from '../run/sources.ts';
import { readRunState } from '../run/status.ts';
import { assertValid, downstreamOf, loadGraph, type ProjectGraph, topologicalOrder } from './graph.ts';
import { isGlob, matchNames, resolveTargets } from './targets.ts';

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
    if (!graph.nodes.get(t)?.result)
      throw new ReproError(
        'REPRO_RESULT_GONE',
        `${t} has no result to move`,
        'repro ls lists the results there are; repro ls --attic the ones moved aside already.',
      );
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

export interface RestoreResultsOptions {
  /**
   * What to bring back: result names or globs over them (each name's copy moved there last), or
   * attic folders by name (`model@2026-11-28T10-31-02Z`) or path (`runs/.attic/model@…`).
   */
  targets: readonly string[];
  /** Say what would move; move nothing. @default false */
  dryRun?: boolean;
  /** @default process.cwd() */
  cwd?: string;
  project?: Project;
  /** Where warnings go (a result restored without its upstream). @default process.stderr */
  warn?: (line: string) => void;
}

/**
 * `repro restore`: moves results back from the attic to their names, whole and untouched, the
 * upstream ones first. Every check happens before anything moves: a target that matches nothing
 * in the attic, two copies of one name, a name taken in the runs root.
 */
export function restoreResults(options: RestoreResultsOptions): {
  restored: AtticMove[];
  planned: AtticEntry[];
} {
  const project = options.project ?? findProject({ cwd: options.cwd });
  const cwd = options.cwd ?? process.cwd();
  const entries = atticEntries(project);
  const byEntry = new Map(entries.map((e) => [e.entry, e]));
  // each name's copy moved there last
  const latest = new Map(entries.map((e) => [e.name, e]));
  const picked: AtticEntry[] = [];
  for (const target of options.targets) {
    const abs = resolve(cwd, target);
    const inAttic = dirname(abs) === atticDir(project) ? byEntry.get(basename(abs)) : undefined;
    const one = inAttic ?? byEntry.get(target) ?? latest.get(target);
    if (one) {
      picked.push(one);
      continue;
    }
    const hits = isGlob(target) ? matchNames(target, latest.keys()) : [];
    if (hits.length === 0) {
      const near = nearestNames(target, [...latest.keys()]);
      const here =
        !isGlob(target) &&
        isResultName(target) &&
        fs.existsSync(join(project.runsRoot, target, RUN_FILES.config));
      throw new ReproError(
        'REPRO_NOT_IN_ATTIC',
        `${isGlob(target) ? `the glob "${target}" matches` : `"${target}" is`} no result in the attic (${relative(cwd, atticDir(project)) || '.'})${here ? `; ${target} is in the runs root (restored already?)` : ''}`,
        near.length
          ? `Closest: ${near.map((n) => `"${n}"`).join(', ')}. repro ls --attic lists the attic.`
          : 'The attic holds no result: repro rm, run --retry and make --rebuild put them there.',
      );
    }
    for (const name of hits) picked.push(latest.get(name) as AtticEntry);
  }
  const chosen = new Map<string, AtticEntry>();
  for (const e of picked) {
    const other = chosen.get(e.name);
    if (other && other.entry !== e.entry)
      throw new ReproError(
        'REPRO_RESTORE_TWICE',
        `${other.entry} and ${e.entry} are both ${e.name}; only one can take its name`,
      );
    chosen.set(e.name, e);
  }
  for (const e of chosen.values())
    if (fs.existsSync(join(project.runsRoot, e.name)))
      throw nameTaken(e, relative(cwd, project.runsRoot) || '.');
  // upstream first: a result never sits in the runs root before the upstream it was built on (the
  // order of a graph of the results to restore, linked by their configs' sources)
  const sources = new Map([...chosen.values()].map((e) => [e.name, sourcesOf(e.dir)]));
  const restoring: ProjectGraph = { project, nodes: new Map(), problems: [] };
  for (const e of chosen.values())
    restoring.nodes.set(e.name, {
      name: e.name,
      file: null,
      config: {},
      sources: sources.get(e.name) ?? [],
      result: e.dir,
      warnings: [],
    });
  const order = topologicalOrder(restoring).map((n) => chosen.get(n.name) as AtticEntry);
  // a result brought back without its upstream reads as stale (upstream missing) until it is there
  const warn = options.warn ?? ((line: string) => process.stderr.write(`${line}\n`));
  for (const e of order) {
    const missing = (sources.get(e.name) ?? []).filter(
      (s) => !chosen.has(s) && !fs.existsSync(join(project.runsRoot, s)),
    );
    if (missing.length)
      warn(
        `repro: warning: ${e.name} was built on ${missing.join(', ')}, which ${missing.length === 1 ? 'is' : 'are'} not in the runs root: it ${options.dryRun ? 'would be' : 'is'} stale (upstream missing) until ${missing.length === 1 ? 'it is' : 'they are'} restored or built again`,
      );
  }
  if (options.dryRun) return { restored: [], planned: order };
  return { restored: order.map((e) => restoreFromAttic(project, e)), planned: order };
}

/** The result names a result in the attic was built on (its config.json's `source`). */
function sourcesOf(dir: string): string[] {
  try {
    const config = readJsonFile<unknown>(join(dir, RUN_FILES.config));
    return isJsonObject(config) ? sourceNames(config, dir) : [];
  } catch {
    return [];
  }
}
