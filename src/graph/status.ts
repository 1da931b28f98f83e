import { join } from '../_builtins.ts';
import { hashConfig } from '../config/hash.ts';
import {
  checkManifest,
  diffManifests,
  fingerprint,
  type HashAlgorithm,
  type Manifest,
} from '../data/fingerprint.ts';
import type { ReproError } from '../errors.ts';
import type { Project } from '../project/project.ts';
import { RUN_FILES } from '../run/layout.ts';
import { type RunFacts, type RunStatus, readChecked, runFacts } from '../run/record.ts';
import { hashFile } from '../run/script.ts';
import { readRunState } from '../run/status.ts';
import { type GraphNode, loadGraph, type ProjectGraph, upstreamOf } from './graph.ts';

/** A config's state: its result's status, `missing` without one, plus every reason it is stale. */
export interface NodeStatus {
  name: string;
  state: 'missing' | RunStatus;
  /** Why the result no longer matches the project, one line each; empty when it does. */
  stale: string[];
  /** What `state` rests on, in a few words. */
  reason: string;
  file: string | null;
  result: string | null;
}

/**
 * The state of every node (or of `names`), with every reason its result is stale. A result is
 * stale by itself when the config file differs from the one it was made from (an immutability
 * breach), the script changed since the run (its hash in run.json), or the input data changed
 * (its fingerprints, at the level they were taken). Staleness flows downstream: a result is also
 * stale when an upstream result is stale, missing, not done, was replaced since, or ended after
 * this one started; the reason names the chain (`upstream augmentation is stale: upstream data
 * is stale: input data changed: raw/17.txt`). Each node is worked out once.
 */
export async function graphStatus(
  graph: ProjectGraph,
  names?: readonly string[],
  inputs: StatusInputs = { scripts: new Map(), data: new Map() },
): Promise<NodeStatus[]> {
  const states = new Map<GraphNode, JudgedResult>();
  // a script shared by many configs is hashed once per call
  const scriptHashes = inputs.scripts;
  const hashOnce = (file: string) => {
    if (!scriptHashes.has(file)) scriptHashes.set(file, hashFile(file));
    return scriptHashes.get(file) ?? null;
  };
  // and each recorded script is checked once (100,000 results, one script): the results of the
  // index share one object for it, and its reason is one text for all of them
  const changes = new Map<RunFacts['script'], string | null>();
  const scriptReason = (script: RunFacts['script']): string | null => {
    if (!script) return null;
    let reason = changes.get(script);
    if (reason === undefined) {
      const change = scriptChange(script, graph.project.root, hashOnce);
      reason =
        change === 'gone'
          ? `the script ${script.path} is gone`
          : change === 'changed'
            ? `the script ${script.path} changed since the run`
            : null;
      changes.set(script, reason);
    }
    return reason;
  };
  const stateOf = (node: GraphNode) => {
    let s = states.get(node);
    if (!s && node.result) {
      // loadGraph read the result from the results index; a node made by hand is read here
      if (node.read) s = { status: node.read.status, reason: node.read.reason, facts: node.read.facts };
      else {
        const state = readRunState(node.result);
        s = { status: state.status, reason: state.reason, facts: runFacts(state.record, state.end) };
      }
      states.set(node, s);
    }
    return s;
  };
  const selected = names
    ? names.map((n) => graph.nodes.get(n)).filter((n): n is GraphNode => Boolean(n))
    : [...graph.nodes.values()];
  // the input data first, the one part that reads files (and may hash): of every result the
  // selected ones rest on that kept a manifest; the rest is worked out without waiting
  const dataReasons = inputs.data;
  const withData: GraphNode[] = [];
  for (const node of graph.nodes.values())
    if (node.result && (!node.read || hasManifests(node.read.files))) withData.push(node);
  const reached = names && withData.length ? upstreamOf(graph, names) : undefined;
  if (!inputs.dataChecked) {
    const checked = withData.filter((node) => (!reached || reached.has(node.name)) && stateOf(node));
    await checkData(
      graph.project,
      checked.map((node) => ({ name: node.name, dir: node.result as string, files: node.read?.files })),
      dataReasons,
    );
  }
  // the config node a result under another name was made from, by the file it recorded: results
  // of one config share that text, so it is looked up once, not once for each of 100,000 results
  const madeFromFile = new Map<string, GraphNode | undefined>();
  const madeFrom = (facts: RunFacts): GraphNode | undefined => {
    const file = facts.config_file as string;
    let found = madeFromFile.get(file);
    if (found === undefined && !madeFromFile.has(file)) {
      const named = facts.config_name ? graph.nodes.get(facts.config_name) : undefined;
      found = named?.file === file ? named : undefined;
      madeFromFile.set(file, found);
    }
    return found;
  };
  // each node's status once worked out; null while it is being (on the current path through the sources)
  const done = new Map<GraphNode, NodeStatus | null>();
  const statusOf = (node: GraphNode): NodeStatus => {
    let status = done.get(node);
    if (!status) {
      done.set(node, null);
      status = nodeStatus(node);
      done.set(node, status);
    }
    return status;
  };
  const nodeStatus = (node: GraphNode): NodeStatus => {
    const state = stateOf(node);
    if (!node.result || !state) {
      return {
        name: node.name,
        state: 'missing',
        stale: [],
        reason: 'no result yet',
        file: node.file,
        result: null,
      };
    }
    const stale: string[] = [];
    const facts = state.facts;
    // the config file the run was made from: the node's own, or for a result under another name
    // (`model~lr=0.1`, made with overrides or a postfix) the config it recorded, when that is
    // still the same file
    const own = node.file || !facts?.config_file ? node : madeFrom(facts);
    if (facts && own?.file) {
      if ((own.hash ?? hashConfig(own.config)) !== facts.base_hash) {
        stale.push(
          `${own.file} changed since the run (configs are immutable: repro clone ${own.file} makes a new one)`,
        );
      }
    }
    if (node.unloadable) {
      // the file was the result's config and holds something else now: it changed since
      const { file, message } = node.unloadable;
      stale.push(`${file} changed since the run and no longer loads: ${message}`);
    }
    const script = scriptReason(facts?.script ?? null);
    if (script) stale.push(script);
    for (const source of node.sources) {
      const up = graph.nodes.get(source);
      // a cycle is the graph's error to report, not a reason here
      if (!up || done.get(up) === null) continue;
      const upStatus = statusOf(up);
      if (upStatus.state === 'missing') {
        stale.push(`upstream ${source} is missing`);
        continue;
      }
      if (upStatus.state !== 'done') stale.push(`upstream ${source} is ${upStatus.state}`);
      const upFacts = stateOf(up)?.facts;
      if (facts && upFacts) stale.push(...sourceStaleness(facts, source, upFacts));
      if (upStatus.stale.length) {
        const more = upStatus.stale.length > 1 ? ` (+${upStatus.stale.length - 1} more)` : '';
        stale.push(`upstream ${source} is stale: ${upStatus.stale[0]}${more}`);
      }
    }
    stale.push(...(dataReasons.get(node.name) ?? []));
    return {
      name: node.name,
      state: state.status,
      stale,
      reason: state.reason,
      file: node.file,
      result: node.result,
    };
  };
  return selected.map(statusOf);
}

/**
 * What statuses rest on beside the graph, as graphStatus found it: each script file it hashed
 * (null: gone) and why each result's data no longer matches. verdicts.ts keeps them with the
 * verdicts; a change to the rules here bumps its VERSION.
 */
export interface StatusInputs {
  scripts: Map<string, string | null>;
  data: Map<string, string[]>;
  /** `data` holds the reasons of every result already (by name): not checked again. */
  dataChecked?: boolean;
}

/** A result's status as the graph judges staleness from it. */
interface JudgedResult {
  status: RunStatus;
  reason: string;
  facts: RunFacts | null;
}

function sourceStaleness(facts: RunFacts, source: string, up: RunFacts): string[] {
  const seen = facts.sources.find((s) => s.name === source);
  // by id when both runs have one: the upstream run this result read, or another
  if (seen?.id && up.id) return seen.id === up.id ? [] : [`upstream ${source} was rebuilt since this run`];
  if (seen && seen.started_at !== up.started_at) return [`upstream ${source} was replaced since this run`];
  const upEnd = Date.parse(up.ended_at ?? up.started_at);
  if (upEnd > Date.parse(facts.started_at)) return [`upstream ${source} is newer than this result`];
  return [];
}

/**
 * Why each of the named done results is stale, by name (only the stale ones): what listings
 * (`ls`, the dashboard) add to a run's status so that they never show `done` alone for a result
 * built on what has changed.
 */
export async function staleResults(
  project: Project,
  names: readonly string[],
  graph: ProjectGraph = loadGraph(project, { links: false }),
): Promise<Map<string, string[]>> {
  const wanted = names.filter((n) => graph.nodes.has(n));
  const out = new Map<string, string[]>();
  for (const s of await graphStatus(graph, wanted)) if (s.stale.length) out.set(s.name, s.stale);
  return out;
}

/** Whether the script a run recorded (RunFacts.script) is gone or changed since; null when the same or not recorded. */
export function scriptChange(
  script: RunFacts['script'] | undefined,
  root: string,
  hash: (file: string) => string | null = hashFile,
): 'gone' | 'changed' | null {
  if (!script) return null;
  const now = hash(join(root, script.path));
  return now === null ? 'gone' : now !== script.sha256 ? 'changed' : null;
}

/** True when the status gates nothing: done and not stale. */
export function isGood(s: NodeStatus): boolean {
  return s.state === 'done' && s.stale.length === 0;
}

/** Whether a result folder's files hold a data manifest (dataStaleness has something to check). */
export function hasManifests(files: ReadonlySet<string>): boolean {
  return files.has(RUN_FILES.inputs) || files.has(RUN_FILES.inputsRead);
}

/**
 * dataStaleness of each result in turn, into `reasons` by name (only those with reasons): what
 * graphStatus checks, and what the kept verdicts (verdicts.ts) compare with theirs.
 */
export async function checkData(
  project: Project,
  results: readonly { name: string; dir: string; files?: ReadonlySet<string> }[],
  reasons = new Map<string, string[]>(),
): Promise<Map<string, string[]>> {
  for (const r of results) {
    const found = await dataStaleness(r.dir, project, r.files);
    if (found.length) reasons.set(r.name, found);
  }
  return reasons;
}

/**
 * Why a result's data no longer matches: its manifests (inputs.json, inputs-read.json) are
 * taken again at their level and compared. `path` level records no files, so it never goes
 * stale by data.
 */
export async function dataStaleness(
  dir: string,
  project: Project,
  files?: ReadonlySet<string>,
): Promise<string[]> {
  const manifests: Manifest[] = [];
  const reasons: string[] = [];
  if (files && !hasManifests(files)) return reasons;
  // a manifest that cannot be read cannot vouch for the data: the result is stale
  const declared = readChecked<Manifest>(join(dir, RUN_FILES.inputs), checkManifest);
  if (declared.damage) reasons.push(`the data cannot be checked: ${declared.damage}`);
  if (declared.value) manifests.push(declared.value);
  const read = readChecked<Manifest[]>(join(dir, RUN_FILES.inputsRead), (v) =>
    Array.isArray(v) ? (v.map(checkManifest).find(Boolean) ?? null) : 'not a list',
  );
  if (read.damage) reasons.push(`the data cannot be checked: ${read.damage}`);
  manifests.push(...(read.value ?? []));
  for (const before of manifests) {
    if (before.level === 'path') continue;
    // hashed again as the manifest was (manifests before the block digest hashed big files whole)
    const algorithm = before.level === 'checksum' ? (before.algorithm ?? 'blake3') : undefined;
    let now: Manifest;
    try {
      now = await fingerprint(before.patterns, {
        level: before.level,
        root: project.root,
        allowEmpty: true,
        progress: false,
        cached: true,
        algorithm: algorithm as HashAlgorithm | undefined,
      });
    } catch (error) {
      if ((error as ReproError).code !== 'REPRO_BAD_ALGORITHM') throw error;
      reasons.push(
        `the data cannot be checked: ${before.patterns.join(', ')} was hashed with "${algorithm}", which this repro does not know (update repro)`,
      );
      continue;
    }
    const d = diffManifests(before, now);
    const parts = (['added', 'removed', 'changed'] as const)
      .filter((how) => d[how].length)
      .map(
        (how) =>
          `${d[how].length} ${how} (${d[how].slice(0, 3).join(', ')}${d[how].length > 3 ? ', ...' : ''})`,
      );
    if (parts.length) reasons.push(`data changed in ${before.patterns.join(', ')}: ${parts.join(', ')}`);
  }
  return reasons;
}
