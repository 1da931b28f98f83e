import { join, relative, resolve } from '../_builtins.ts';
import { canonicalJson } from '../config/hash.ts';
import { isReservedKey } from '../config/reserved.ts';
import { likelyTypos } from '../hints.ts';
import type { Project } from '../project/project.ts';
import { keysByScript } from '../run/keys.ts';
import { RUN_FILES } from '../run/layout.ts';
import type { UnreadKey } from '../run/params.ts';
import { readJsonFile } from '../run/record.ts';
import { resolveScript } from '../run/script.ts';
import { type GraphProblem, loadGraph } from './graph.ts';
import { graphStatus } from './status.ts';

/** One finding of `repro check`. */
export type Finding =
  | GraphProblem
  | {
      kind: 'flatness' | 'unread' | 'immutability' | 'script' | 'duplicate' | 'damaged' | 'stale';
      severity: 'error' | 'warning';
      file: string;
      key?: string;
      message: string;
    };

/**
 * Lints the project: configs that do not load, duplicate names, dangling sources, cycles (from
 * the graph), flatness warnings, immutability breaches (a config changed after its result was
 * made), keys that past runs never read (typo suspects), and scripts that do not exist or
 * cannot run. Errors first, then warnings, each with its file and key.
 */
export async function checkProject(project: Project): Promise<Finding[]> {
  const graph = loadGraph(project);
  const findings: Finding[] = [...graph.problems];
  // the keys each script's ended runs read (effective.json), as the typo guard at run start has them
  const readByScript = keysByScript(project.runsRoot);
  // each script once: 10,000 configs of one script stat'ed it 10,000 times (a quarter of check)
  const runnable = new Set<string>();
  for (const node of graph.nodes.values()) {
    if (!node.file) continue;
    for (const w of node.warnings) {
      findings.push({
        kind: 'flatness',
        severity: 'warning',
        file: node.file,
        key: w.key,
        message: w.message,
      });
    }
    const named = node.config.script;
    if (named !== undefined && !(typeof named === 'string' && runnable.has(named))) {
      try {
        resolveScript(project, named, node.file);
        if (typeof named === 'string') runnable.add(named);
      } catch (error) {
        findings.push({
          kind: 'script',
          severity: 'error',
          file: node.file,
          key: 'script',
          message: (error as Error).message,
        });
      }
    }
    // keys that no run of this config's script ever read: typos, or keys the script ignores
    const script =
      typeof node.config.script === 'string'
        ? relative(project.root, resolve(project.root, node.config.script))
        : undefined;
    const read = script ? readByScript.get(script) : undefined;
    const neverRead = new Set<string>();
    if (read) {
      const keys = Object.keys(node.config).filter((k) => !isReservedKey(k) && !read.has(k));
      const near = new Map(likelyTypos(keys, [...read]).map((t) => [t.key, t.near]));
      for (const key of keys) {
        neverRead.add(key);
        const hint = near.get(key);
        findings.push({
          kind: 'unread',
          severity: 'warning',
          file: node.file,
          key,
          message: `no run of ${script} ever read "${key}"${hint ? `; did you mean "${hint}"?` : ''}`,
        });
      }
    }
    if (node.result) {
      const effective = readJsonFile<{ unread?: UnreadKey[] }>(join(node.result, RUN_FILES.effective));
      const unread = Array.isArray(effective?.unread) ? effective.unread : [];
      for (const u of unread) {
        if (typeof u?.key !== 'string' || typeof u.message !== 'string' || neverRead.has(u.key)) continue;
        findings.push({
          kind: 'unread',
          severity: 'warning',
          file: node.file,
          key: u.key,
          message: `the last run: ${u.message}`,
        });
      }
    }
  }
  // the same content under two names: the same config twice, computed twice
  const byContent = new Map<string, string>();
  for (const node of graph.nodes.values()) {
    if (!node.file) continue;
    const key = canonicalJson(node.config);
    const twin = byContent.get(key);
    if (twin) {
      findings.push({
        kind: 'duplicate',
        severity: 'warning',
        file: node.file,
        message: `same content as ${twin}: the same config under two names (make would compute it twice)`,
      });
    } else byContent.set(key, node.file);
  }
  for (const s of await graphStatus(graph)) {
    if (s.state === 'damaged' && s.result)
      findings.push({
        kind: 'damaged',
        severity: 'error',
        file: relative(project.root, s.result),
        message: `damaged: ${s.reason} (repro rm ${s.name} moves it to the attic)`,
      });
    for (const reason of s.stale) {
      if (s.file && reason.startsWith(s.file))
        findings.push({ kind: 'immutability', severity: 'error', file: s.file, message: reason });
    }
    // a stale result is not a mistake in the project, but check says so as status does
    const others = s.stale.filter((r) => !(s.file && r.startsWith(s.file)));
    if (s.state === 'done' && others.length && s.result)
      findings.push({
        kind: 'stale',
        severity: 'warning',
        file: relative(project.root, s.result),
        message: `stale: ${others.join('; ')} (repro make ${s.name} --rebuild builds it again)`,
      });
  }
  return findings.sort((a, b) =>
    a.severity === b.severity ? a.file.localeCompare(b.file) : a.severity === 'error' ? -1 : 1,
  );
}
