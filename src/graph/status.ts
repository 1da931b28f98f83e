import { join } from '../_builtins.ts';
import type { RunSummary } from '../compare/runs.ts';
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
import { type RunRecord, type RunStatus, readChecked } from '../run/record.ts';
import { hashFile } from '../run/script.ts';
import { judgeRunState, type RunState, readRunState } from '../run/status.ts';
import { type GraphNode, loadGraph, type ProjectGraph } from './graph.ts';

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
export async function graphStatus(graph: ProjectGraph, names?: readonly string[]): Promise<NodeStatus[]> {
  const states = new Map<string, RunState>();
  // a script shared by many configs is hashed once per call
  const scriptHashes = new Map<string, string | null>();
  const hashOnce = (file: string) => {
    if (!scriptHashes.has(file)) scriptHashes.set(file, hashFile(file));
    return scriptHashes.get(file) ?? null;
  };
  // and each recorded script path is joined to the root once (100,000 results, one script)
  const changes = new Map<string, ReturnType<typeof scriptChange>>();
  const scriptChangeOnce = (record: RunRecord | undefined) => {
    const key = record?.script?.path && `${record.script.path}\0${record.script.sha256}`;
    if (!key) return scriptChange(record, graph.project.root, hashOnce);
    if (!changes.has(key)) changes.set(key, scriptChange(record, graph.project.root, hashOnce));
    return changes.get(key) ?? null;
  };
  const stateOf = (node: GraphNode) => {
    let s = states.get(node.name);
    if (!s && node.result) {
      // loadGraph read the records (its cache); a node made by hand is read here
      s = node.read ? judgeRunState(node.result, node.read) : readRunState(node.result);
      states.set(node.name, s);
    }
    return s;
  };
  const done = new Map<string, Promise<NodeStatus>>();
  // the nodes being worked out: sources are awaited one at a time, so this is the current path
  const visiting = new Set<string>();
  const statusOf = (node: GraphNode): Promise<NodeStatus> => {
    let p = done.get(node.name);
    if (!p) {
      visiting.add(node.name);
      p = nodeStatus(node).finally(() => visiting.delete(node.name));
      done.set(node.name, p);
    }
    return p;
  };
  const nodeStatus = async (node: GraphNode): Promise<NodeStatus> => {
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
    const record = state.record;
    if (record && node.file) {
      if ((node.hash ?? hashConfig(node.config)) !== record.config.base_hash) {
        stale.push(
          `${node.file} changed since the run (configs are immutable: repro clone ${node.file} makes a new one)`,
        );
      }
    }
    const script = scriptChangeOnce(record);
    if (script === 'gone') stale.push(`the script ${record?.script?.path} is gone`);
    else if (script === 'changed') stale.push(`the script ${record?.script?.path} changed since the run`);
    for (const source of node.sources) {
      const up = graph.nodes.get(source);
      // a cycle is the graph's error to report, not a reason here
      if (!up || visiting.has(source)) continue;
      const upStatus = await statusOf(up);
      if (upStatus.state === 'missing') {
        stale.push(`upstream ${source} is missing`);
        continue;
      }
      if (upStatus.state !== 'done') stale.push(`upstream ${source} is ${upStatus.state}`);
      const upState = stateOf(up);
      if (upState?.record) stale.push(...sourceStaleness(record, source, upState));
      if (upStatus.stale.length) {
        const more = upStatus.stale.length > 1 ? ` (+${upStatus.stale.length - 1} more)` : '';
        stale.push(`upstream ${source} is stale: ${upStatus.stale[0]}${more}`);
      }
    }
    stale.push(...(await dataStaleness(node.result, graph.project, node.read?.files)));
    return {
      name: node.name,
      state: state.status,
      stale,
      reason: state.reason,
      file: node.file,
      result: node.result,
    };
  };
  const selected = names
    ? names.map((n) => graph.nodes.get(n)).filter((n): n is GraphNode => Boolean(n))
    : [...graph.nodes.values()];
  const out: NodeStatus[] = [];
  for (const node of selected) out.push(await statusOf(node));
  return out;
}

function sourceStaleness(record: RunRecord | undefined, source: string, up: RunState): string[] {
  if (!record || !up.record) return [];
  const seen = record.sources?.find((s) => s.name === source);
  // by id when both runs have one: the upstream run this result read, or another
  if (seen?.id && up.record.id)
    return seen.id === up.record.id ? [] : [`upstream ${source} was rebuilt since this run`];
  if (seen && seen.started_at !== up.record.started_at)
    return [`upstream ${source} was replaced since this run`];
  const upEnd = up.end ? Date.parse(up.end.ended_at) : Date.parse(up.record.started_at);
  if (upEnd > Date.parse(record.started_at)) return [`upstream ${source} is newer than this result`];
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
  graph: ProjectGraph = loadGraph(project),
): Promise<Map<string, string[]>> {
  const wanted = names.filter((n) => graph.nodes.has(n));
  const out = new Map<string, string[]>();
  for (const s of await graphStatus(graph, wanted)) if (s.stale.length) out.set(s.name, s.stale);
  return out;
}

/** Adds to each done run of a listing why it is stale (RunSummary.stale; empty when it is not). */
export async function markStale(
  project: Project,
  runs: RunSummary[],
  graph: ProjectGraph = loadGraph(project),
): Promise<void> {
  const stale = await staleResults(
    project,
    runs.filter((r) => r.status === 'done').map((r) => r.name),
    graph,
  );
  for (const r of runs) r.stale = stale.get(r.name) ?? [];
}

/** Whether the script a run recorded is gone or changed since; null when the same or not recorded. */
export function scriptChange(
  record: RunRecord | undefined,
  root: string,
  hash: (file: string) => string | null = hashFile,
): 'gone' | 'changed' | null {
  if (!record?.script?.path || !record.script.sha256) return null;
  const now = hash(join(root, record.script.path));
  return now === null ? 'gone' : now !== record.script.sha256 ? 'changed' : null;
}

/** True when the status gates nothing: done and not stale. */
export function isGood(s: NodeStatus): boolean {
  return s.state === 'done' && s.stale.length === 0;
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
  if (files && !files.has(RUN_FILES.inputs) && !files.has(RUN_FILES.inputsRead)) return reasons;
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
