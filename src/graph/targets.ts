import picomatch from 'picomatch';
import { globSync } from 'tinyglobby';
import { basename, dirname, fs, relative, resolve } from '../_builtins.ts';
import { ReproError } from '../errors.ts';
import { nearestNames } from '../hints.ts';
import { GraphError, type ProjectGraph } from './graph.ts';

/** True when a target is a glob (`model*`, `configs/model*.json`, `runs/*`). */
export const isGlob = (target: string): boolean => /[*?[\]{}]/.test(target);

/** The names a glob over names matches (`model*`, `model~lr=*`); hidden names need a leading dot. */
export function matchNames(pattern: string, names: Iterable<string>): string[] {
  const match = picomatch(pattern);
  return [...names].filter((n) => match(n)).sort();
}

/**
 * Every command that takes targets (make, status, graph, verify, rm, ls, plot, diff, tree)
 * resolves them here, the same way (docs/cli.md, "Targets"). A target is, in this order:
 * - a config or result name: `model`, `model~lr=0.1`;
 * - a glob over names: `'model*'` (no slash);
 * - a path or a glob over paths (relative to the current folder): a config file
 *   (`configs/model.json`, `configs/model*.json`) or a result folder (`runs/model`, `runs/m*`).
 * Returns the graph's node names, in the order given, each once. A target that matches nothing
 * is an error naming the closest names.
 */
export function resolveTargets(graph: ProjectGraph, targets: readonly string[], cwd: string): string[] {
  const out = new Set<string>();
  let byFile: Map<string, string> | undefined;
  const nameOfPath = (abs: string): string | undefined => {
    if (dirname(abs) === graph.project.runsRoot && graph.nodes.has(basename(abs))) return basename(abs);
    byFile ??= new Map(
      [...graph.nodes.values()]
        .filter((n) => n.file)
        .map((n) => [resolve(graph.project.root, n.file as string), n.name]),
    );
    return byFile.get(abs);
  };
  for (const target of targets) {
    for (const name of resolveOne(graph, target, cwd, nameOfPath)) out.add(name);
  }
  return [...out];
}

function resolveOne(
  graph: ProjectGraph,
  target: string,
  cwd: string,
  nameOfPath: (abs: string) => string | undefined,
): string[] {
  if (graph.nodes.has(target)) return [target];
  if (isGlob(target)) {
    const hits = target.includes('/')
      ? [
          ...new Set(
            globSync(target, { cwd, onlyFiles: false, expandDirectories: false, absolute: true })
              .map((p) => nameOfPath(p.replace(/\/$/, '')))
              .filter((n): n is string => n !== undefined),
          ),
        ].sort()
      : matchNames(target, graph.nodes.keys());
    if (hits.length) return hits;
    throw noMatch(graph, target, `the glob "${target}" matches no config or result`);
  }
  const abs = resolve(cwd, target);
  if (fs.existsSync(abs)) {
    const name = nameOfPath(abs);
    if (name) return [name];
    throw noMatch(
      graph,
      target,
      `${relative(cwd, abs) || abs} is neither a config in ${configFolders(graph)} nor a result folder in ${relative(cwd, graph.project.runsRoot) || '.'}`,
    );
  }
  // a config's file name without its folder (model.json), or its folder without .json
  const short = basename(target).replace(/\.json$/, '');
  if (graph.nodes.has(short)) return [short];
  throw noMatch(graph, target, `no config or result named "${target}"`);
}

function configFolders(graph: ProjectGraph): string {
  return graph.project.configDirs.map((d) => relative(graph.project.root, d) || '.').join(', ');
}

function noMatch(graph: ProjectGraph, target: string, message: string): ReproError {
  // a config that is there but does not load: its own error says more than "no such name"
  const broken = graph.problems.filter(
    (p) => p.kind === 'load' && p.nodes?.includes(basename(target).replace(/\.json$/, '')),
  );
  if (broken.length) return new GraphError(broken);
  const near = nearestNames(basename(target).replace(/\.json$/, ''), [...graph.nodes.keys()].sort());
  return new ReproError(
    'REPRO_UNKNOWN_CONFIG',
    message,
    near.length
      ? `Closest: ${near.map((n) => `"${n}"`).join(', ')}. Configs live in ${configFolders(graph)}; repro graph lists them all.`
      : 'The project has no configs or results yet.',
  );
}
