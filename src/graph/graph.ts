import { closest } from 'fastest-levenshtein';
import { fs, join, packageRequire, relative } from '../_builtins.ts';
import { hashConfig } from '../config/hash.ts';
import { isJsonObject, type JsonObject } from '../config/json.ts';
import { type ConfigWarning, configNameOf, loadConfig } from '../config/load.ts';
import { ReproError } from '../errors.ts';
import { filesBelow } from '../project/files.ts';
import type { Project } from '../project/project.ts';
import { type IndexedResult, readResults } from '../project/results.ts';
import { RUN_FILES } from '../run/layout.ts';
import { readJsonFile } from '../run/record.ts';
import { sourceNames } from '../run/sources.ts';
import { readRecordFiles } from '../run/status.ts';
import { GraphCache } from './cache.ts';

/** A config of the project, or a result whose config file is not in the config folders. */
export interface GraphNode {
  name: string;
  /** The config file (relative to the project root), or null for a result-only node. */
  file: string | null;
  /** The config from the file, else the result's saved config. */
  config: JsonObject;
  /** The names in its `source` key. */
  sources: string[];
  /** The result folder (absolute) when it exists. */
  result: string | null;
  warnings: ConfigWarning[];
  /** hashConfig(config), when loadGraph knows it already (its cache). */
  hash?: string;
  /** The result as the results index has it, when loadGraph read it there (graphStatus uses it). */
  read?: Pick<IndexedResult, 'files' | 'status' | 'reason' | 'facts' | 'config_name'>;
  /**
   * A result's config file that no longer loads (its label and the first line of why): the
   * result was made from a config that is not what the file holds now.
   */
  unloadable?: { file: string; message: string };
}

/** The warnings of every node made from a result: one list, never changed. */
const NO_WARNINGS: ConfigWarning[] = Object.freeze([]) as unknown as ConfigWarning[];

/** Something wrong in the project's configs, with where it is. */
export interface GraphProblem {
  kind: 'load' | 'duplicate' | 'dangling' | 'cycle' | 'source';
  severity: 'error' | 'warning';
  /** The file it is about, relative to the project root. */
  file: string;
  key?: string;
  message: string;
  /** The nodes it is about, when known: a target that reaches none of them is not blocked. */
  nodes?: string[];
}

export interface ProjectGraph {
  project: Project;
  nodes: Map<string, GraphNode>;
  problems: GraphProblem[];
}

/** The project's graph has errors: cycles, dangling sources, duplicate names, bad configs. */
export class GraphError extends ReproError {
  constructor(readonly problems: GraphProblem[]) {
    super(
      'REPRO_GRAPH_INVALID',
      `the config graph has ${problems.length === 1 ? 'an error' : `${problems.length} errors`}:\n${problems.map((p) => `  ${p.file}: ${p.message}`).join('\n')}`,
      'Fix them (repro check lists everything), then try again.',
    );
  }
}

export interface LoadGraphOptions {
  /** Use the config cache and the results index in the user's cache folder. @default true */
  cache?: boolean;
  /**
   * Look for dangling sources and cycles (false: a listing's staleness needs neither, and over
   * 100,000 results naming a missing source the search was a third of loadGraph). @default true
   */
  links?: boolean;
  /**
   * The config files and their stats as the caller took them just before (markStale, which
   * rests its verdicts on them): not listed and stat'ed a second time (~0.14 s of 10,000).
   */
  configs?: StatedConfigs;
}

/** Config files in configFiles' order, with each one's stat (-1 throughout: none). */
export interface StatedConfigs {
  files: ConfigFile[];
  size: number[];
  mtimeMs: number[];
  ino: number[];
}

/** The project's config files, each stat'ed now. */
export function statConfigs(project: Project): StatedConfigs {
  const stated: StatedConfigs = { files: configFiles(project), size: [], mtimeMs: [], ino: [] };
  for (const { file } of stated.files) {
    const st = fs.statSync(file, { throwIfNoEntry: false });
    stated.size.push(st?.size ?? -1);
    stated.mtimeMs.push(st?.mtimeMs ?? -1);
    stated.ino.push(st?.ino ?? -1);
  }
  return stated;
}

/**
 * Reads every config in the project's config folders (recursively) and every result folder,
 * and links them through `source`. Problems are collected, not thrown: duplicate names (both
 * paths named), configs that do not load, sources naming nothing (with the closest names),
 * cycles (printed as a -> b -> a).
 */
export function loadGraph(project: Project, options: LoadGraphOptions = {}): ProjectGraph {
  const cache = new GraphCache(project, options.cache ?? true);
  const nodes = new Map<string, GraphNode>();
  const problems: GraphProblem[] = [];
  const rel = (file: string) => relative(project.root, file) || file;
  // the configs that do not load, by name: a result of one is stale (graphStatus)
  const unloadable = new Map<string, { file: string; message: string }>();
  const stated = options.configs;
  const files = stated?.files ?? configFiles(project);
  for (let k = 0; k < files.length; k++) {
    const { file, label } = files[k] as ConfigFile;
    let name: string | undefined;
    try {
      name = configNameOf(file);
      const loaded = cache.config(
        file,
        stated && {
          size: stated.size[k] as number,
          mtimeMs: stated.mtimeMs[k] as number,
          ino: stated.ino[k] as number,
        },
      );
      const other = nodes.get(name);
      if (other) {
        problems.push({
          kind: 'duplicate',
          severity: 'error',
          nodes: [name],
          file: label,
          message: `config name "${name}" is taken twice: ${other.file} and ${label}; config names are unique in a project`,
        });
        continue;
      }
      nodes.set(name, {
        name,
        file: label,
        config: loaded.config,
        sources: sourceNames(loaded.config, label),
        result: null,
        warnings: loaded.warnings,
        hash: loaded.hash,
      });
    } catch (error) {
      const message = (error as Error).message.split('\n')[0] ?? '';
      problems.push({
        kind: 'load',
        severity: 'error',
        // a config that does not load is no node: it blocks the targets that name it, or reach
        // it through a source
        nodes: name ? [name] : [],
        file: label,
        message,
      });
      if (name && !unloadable.has(name)) unloadable.set(name, { file: label, message });
    }
  }
  // results: attach to their config, or stand alone (a result of overrides, or of a config since removed)
  // in name order (the index keeps them so)
  const results = readResults(project.runsRoot, { cache: options.cache });
  // a result's name has no separator: path.join over 100,000 names costs more than the rest
  const runsPrefix = join(project.runsRoot, '/');
  // the results' folders as errors name them (relative to the project root)
  const runsLabel = rel(project.runsRoot);
  // the sources of each config once: results of one config share its object
  const sourcesOf = new Map<JsonObject, string[]>();
  for (const result of results) {
    const { name } = result;
    const dir = `${runsPrefix}${name}`;
    // its records are parsed when a status asks for them
    const read = result;
    const node = nodes.get(name);
    if (node) {
      node.result = dir;
      node.read = read;
      continue;
    }
    const config = result.config ?? {};
    let sources = sourcesOf.get(config);
    try {
      if (!sources) {
        sources = sourceNames(config, `${runsLabel}/${name}`);
        sourcesOf.set(config, sources);
      }
    } catch (error) {
      sources = [];
      problems.push({
        kind: 'source',
        severity: 'error',
        nodes: [name],
        file: `${runsLabel}/${name}`,
        key: 'source',
        message: (error as Error).message,
      });
    }
    const made: GraphNode = { name, file: null, config, sources, result: dir, warnings: NO_WARNINGS, read };
    // a config that no longer loads: this result's, or the one a result under another name was
    // made from (the same file)
    let broken = unloadable.get(name);
    if (!broken && unloadable.size) {
      const facts = result.facts;
      const from = facts?.config_name ? unloadable.get(facts.config_name) : undefined;
      if (from && from.file === facts?.config_file) broken = from;
    }
    if (broken) made.unloadable = broken;
    nodes.set(name, made);
  }
  if (options.links === false) {
    cache.save();
    return { project, nodes, problems };
  }
  // dangling sources (a source whose config does not load is that config's error, not this one's)
  const names = [...nodes.keys()];
  // one search per missing name: 100,000 results naming the same missing source cost one
  const nearest = new Map<string, string | undefined>();
  for (const node of nodes.values()) {
    for (const source of node.sources) {
      if (!nodes.has(source) && !unloadable.has(source)) {
        if (!nearest.has(source)) nearest.set(source, names.length ? closest(source, names) : undefined);
        const near = nearest.get(source);
        problems.push({
          kind: 'dangling',
          severity: 'error',
          nodes: [node.name],
          // path.relative over 100,000 results naming a missing source took most of loadGraph
          file: node.file ?? `${runsLabel}/${node.name}`,
          key: 'source',
          message: `${node.name} names source "${source}", which is no config and no result${near ? `; closest: "${near}"` : ''}`,
        });
      }
    }
  }
  for (const cycle of findCycles(nodes)) {
    const first = nodes.get(cycle[0] as string);
    problems.push({
      kind: 'cycle',
      severity: 'error',
      nodes: [...cycle],
      file: first?.file ?? cycle[0] ?? '',
      key: 'source',
      message: `sources form a cycle: ${[...cycle, cycle[0]].join(' -> ')}`,
    });
  }
  cache.save();
  return { project, nodes, problems };
}

/**
 * The part of the graph that judges the named nodes: each of them and everything upstream (with
 * the config a result under another name was made from), read from their config files and
 * result folders alone: not the results index, nor the other configs. A run of a config with
 * sources judges only its upstream; in a project of 100,000 results loadGraph read them all for
 * it (~0.6 s at every run). graphStatus reads each result's records itself (nodes without
 * `read`). No problems are collected: loadGraph and `repro check` report them.
 */
export function loadUpstream(project: Project, names: readonly string[]): ProjectGraph {
  // each name's first file, as loadGraph keeps the first of two
  const files = new Map<string, ConfigFile>();
  for (const f of configFiles(project)) {
    let name: string;
    try {
      name = configNameOf(f.file);
    } catch {
      continue;
    }
    if (!files.has(name)) files.set(name, f);
  }
  const nodes = new Map<string, GraphNode>();
  const runsLabel = relative(project.root, project.runsRoot) || project.runsRoot;
  // the config files that do not load, by name; the results under another name whose config
  // must load, lest they are stale (graphStatus), as loadGraph has it
  const unloadable = new Map<string, { file: string; message: string }>();
  const madeFrom: { node: GraphNode; from: string; file: string }[] = [];
  const queue = [...names];
  const seen = new Set<string>();
  for (let name = queue.pop(); name !== undefined; name = queue.pop()) {
    if (seen.has(name)) continue;
    seen.add(name);
    const dir = join(project.runsRoot, name);
    // a folder is a result when it has config.json, as the results index has it
    const result = !name.startsWith('.') && fs.existsSync(join(dir, RUN_FILES.config)) ? dir : null;
    const f = files.get(name);
    if (f) {
      try {
        const loaded = loadConfig(f.label, { cwd: project.root });
        const node: GraphNode = {
          name,
          file: f.label,
          config: loaded.config,
          sources: sourceNames(loaded.config, f.label),
          result,
          warnings: loaded.warnings,
          hash: hashConfig(loaded.config),
        };
        nodes.set(name, node);
        queue.push(...node.sources);
        continue;
      } catch (error) {
        unloadable.set(name, { file: f.label, message: (error as Error).message.split('\n')[0] ?? '' });
      }
    }
    if (!result) continue;
    const config = readJsonFile<unknown>(join(dir, RUN_FILES.config));
    const usable = isJsonObject(config) ? config : {};
    let sources: string[] = [];
    try {
      sources = sourceNames(usable, `${runsLabel}/${name}`);
    } catch {
      // the graph's error to report (loadGraph): no sources to follow here
    }
    const node: GraphNode = { name, file: null, config: usable, sources, result, warnings: NO_WARNINGS };
    const own = unloadable.get(name);
    if (own) node.unloadable = own;
    else {
      // a result under another name: the config it was made from judges it (graphStatus)
      const made = readRecordFiles(dir).record.value?.config;
      if (typeof made?.name === 'string' && made.name !== name && files.get(made.name)?.label === made.file) {
        madeFrom.push({ node, from: made.name, file: made.file });
        queue.push(made.name);
      }
    }
    nodes.set(name, node);
    queue.push(...sources);
  }
  for (const { node, from, file } of madeFrom) {
    const broken = unloadable.get(from);
    if (broken?.file === file) node.unloadable = broken;
  }
  return { project, nodes, problems: [] };
}

/** A config file of the project: its path, and as errors name it (relative to the project root). */
export interface ConfigFile {
  file: string;
  label: string;
}

/** The project's config files (every `.json` in a config folder or below it), in the order loadGraph reads them. */
export function configFiles(project: Project): ConfigFile[] {
  const out: ConfigFile[] = [];
  for (const dir of project.configDirs) {
    if (!fs.existsSync(dir)) continue;
    // each file's names made from its folder's (path.relative over 10,000 configs took a tenth
    // of a listing's graph)
    const prefix = dir.endsWith('/') ? dir : `${dir}/`;
    const dirLabel = relative(project.root, dir);
    for (const path of jsonBelow(dir).sort())
      out.push({ file: `${prefix}${path}`, label: dirLabel ? `${dirLabel}/${path}` : path });
  }
  return out;
}

/**
 * The `**\/*.json` below a folder, as the glob lists them (no dot file, nothing in a dot folder):
 * readdir's walk where it gives the same (over 10,000 configs 7 ms against the glob's 60), the
 * glob where a link or an unreadable folder could make them differ.
 */
function jsonBelow(dir: string): string[] {
  const files = filesBelow(dir.length > 1 && dir.endsWith('/') ? dir.slice(0, -1) : dir);
  if (files) return files.filter((f) => f.endsWith('.json') && !f.startsWith('.') && !f.includes('/.'));
  const { globSync } = packageRequire()('tinyglobby') as typeof import('tinyglobby');
  return globSync('**/*.json', { cwd: dir });
}

/** Every cycle once, as the list of names along it (following `source` upstream). */
export function findCycles(nodes: Map<string, GraphNode>): string[][] {
  const state = new Map<string, 1 | 2>();
  const stack: string[] = [];
  const cycles: string[][] = [];
  const visit = (name: string) => {
    state.set(name, 1);
    stack.push(name);
    for (const s of nodes.get(name)?.sources ?? []) {
      if (!nodes.has(s)) continue;
      if (state.get(s) === 1) cycles.push(stack.slice(stack.indexOf(s)));
      else if (!state.has(s)) visit(s);
    }
    stack.pop();
    state.set(name, 2);
  };
  // a node with no source in the graph is in no cycle: only the others start a search (sorted,
  // so that the cycles come in the same order every time)
  const starts: string[] = [];
  for (const [name, node] of nodes) if (node.sources.some((s) => nodes.has(s))) starts.push(name);
  for (const name of starts.sort()) if (!state.has(name)) visit(name);
  return cycles;
}

/**
 * Throws a GraphError when the graph has errors. With `targets`, only the errors about what the
 * targets reach upstream block them; the others go to `warn` (one broken config elsewhere in the
 * project never stops healthy work).
 */
export function assertValid(
  graph: ProjectGraph,
  targets?: readonly string[],
  warn?: (line: string) => void,
): void {
  const errors = graph.problems.filter((p) => p.severity === 'error');
  if (!targets) {
    if (errors.length) throw new GraphError(errors);
    return;
  }
  const reach = upstreamOf(graph, targets);
  const blocking = errors.filter((p) => !p.nodes || p.nodes.some((n) => reach.has(n)));
  // a set: 100,000 results naming a missing source are as many problems
  const blocks = new Set(blocking);
  for (const p of errors)
    if (!blocks.has(p)) warn?.(`repro: warning: ${p.file}: ${p.message} (not needed here, so not blocking)`);
  if (blocking.length) throw new GraphError(blocking);
}

/** Nodes in dependency order: every node after its sources. Assumes no cycles. */
export function topologicalOrder(graph: ProjectGraph, only?: Set<string>): GraphNode[] {
  const out: GraphNode[] = [];
  const seen = new Set<string>();
  const visit = (name: string) => {
    if (seen.has(name)) return;
    seen.add(name);
    const node = graph.nodes.get(name);
    if (!node) return;
    for (const s of node.sources) visit(s);
    if (!only || only.has(name)) out.push(node);
  };
  for (const name of [...(only ?? graph.nodes.keys())].sort()) visit(name);
  return out;
}

/** A node and everything upstream of it. */
export function upstreamOf(graph: ProjectGraph, names: readonly string[]): Set<string> {
  const out = new Set<string>();
  const visit = (name: string) => {
    if (out.has(name)) return;
    out.add(name);
    for (const s of graph.nodes.get(name)?.sources ?? []) visit(s);
  };
  for (const n of names) visit(n);
  return out;
}

/**
 * Each node's children: the nodes whose `source` names it, in the graph's order; with `among`,
 * only nodes in it and their sources in it.
 */
export function childrenOf(graph: ProjectGraph, among?: ReadonlySet<string>): Map<string, string[]> {
  // each list grown in place: copied at every child, 100,000 results of one source took ~17 s
  const children = new Map<string, string[]>();
  for (const node of graph.nodes.values()) {
    if (among && !among.has(node.name)) continue;
    for (const s of node.sources) {
      if (among && !among.has(s)) continue;
      const list = children.get(s);
      if (list) list.push(node.name);
      else children.set(s, [node.name]);
    }
  }
  return children;
}

/** Everything downstream of the nodes (not the nodes themselves). */
export function downstreamOf(graph: ProjectGraph, names: readonly string[]): Set<string> {
  const children = childrenOf(graph);
  const out = new Set<string>();
  const visit = (name: string) => {
    for (const c of children.get(name) ?? []) {
      if (!out.has(c)) {
        out.add(c);
        visit(c);
      }
    }
  };
  for (const n of names) visit(n);
  return out;
}
