import { join } from '../_builtins.ts';
import { hashConfig } from '../config/hash.ts';
import { dataStaleness } from '../data/inputs.ts';
import type { RunRecord, RunStatus } from '../run/record.ts';
import { hashFile } from '../run/script.ts';
import { type RunState, readRunState } from '../run/status.ts';
import type { GraphNode, ProjectGraph } from './graph.ts';

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
 * The state of every node (or of `names`). Stale reasons: the config file differs from the one
 * the result was made from (an immutability breach); an upstream result was replaced since, or
 * ended after this one started; the script changed since the run (its hash in run.json); the
 * input data changed (its fingerprints, at the level they were taken).
 */
export async function graphStatus(graph: ProjectGraph, names?: readonly string[]): Promise<NodeStatus[]> {
  const states = new Map<string, RunState>();
  const stateOf = (node: GraphNode) => {
    let s = states.get(node.name);
    if (!s && node.result) {
      s = readRunState(node.result);
      states.set(node.name, s);
    }
    return s;
  };
  const selected = names
    ? names.map((n) => graph.nodes.get(n)).filter((n): n is GraphNode => Boolean(n))
    : [...graph.nodes.values()];
  const out: NodeStatus[] = [];
  for (const node of selected) {
    const state = stateOf(node);
    if (!node.result || !state) {
      out.push({
        name: node.name,
        state: 'missing',
        stale: [],
        reason: 'no result yet',
        file: node.file,
        result: null,
      });
      continue;
    }
    const stale: string[] = [];
    const record = state.record;
    if (record && node.file) {
      if (hashConfig(node.config) !== record.config.base_hash) {
        stale.push(
          `${node.file} changed since the run (configs are immutable: repro clone ${node.file} makes a new one)`,
        );
      }
    }
    if (record?.script?.path && record.script.sha256) {
      const now = hashFile(join(graph.project.root, record.script.path));
      if (now === null) stale.push(`the script ${record.script.path} is gone`);
      else if (now !== record.script.sha256)
        stale.push(`the script ${record.script.path} changed since the run`);
    }
    for (const source of node.sources) {
      const up = graph.nodes.get(source);
      const upState = up ? stateOf(up) : undefined;
      if (!up?.result || !upState?.record) continue;
      stale.push(...sourceStaleness(record, source, upState));
    }
    stale.push(...(await dataStaleness(node.result, graph.project)));
    out.push({
      name: node.name,
      state: state.status,
      stale,
      reason: state.reason,
      file: node.file,
      result: node.result,
    });
  }
  return out;
}

function sourceStaleness(record: RunRecord | undefined, source: string, up: RunState): string[] {
  if (!record || !up.record) return [];
  const seen = record.sources?.find((s) => s.name === source);
  if (seen && seen.started_at !== up.record.started_at)
    return [`upstream ${source} was replaced since this run`];
  const upEnd = up.end ? Date.parse(up.end.ended_at) : Date.parse(up.record.started_at);
  if (upEnd > Date.parse(record.started_at)) return [`upstream ${source} is newer than this result`];
  return [];
}

/** True when the status gates nothing: done and not stale. */
export function isGood(s: NodeStatus): boolean {
  return s.state === 'done' && s.stale.length === 0;
}
