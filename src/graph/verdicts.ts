import { fs, join } from '../_builtins.ts';
import type { RunSummary } from '../compare/runs.ts';
import { sha1Hex, sha256Hex } from '../config/hash.ts';
import { cacheDir, ParsedFile, writeCacheFile } from '../project/cache.ts';
import type { Project } from '../project/project.ts';
import { indexStamp, NOT_STALE, Row } from '../project/results.ts';
import { hashFile } from '../run/script.ts';
import { reproVersion } from '../version.ts';
import {
  changedConfigs,
  changedData,
  judgedBy,
  type KeptConfigs,
  keptRows,
  rowsFile,
  stayedRows,
} from './changes.ts';
import { loadGraph, type ProjectGraph, type StatedConfigs, statConfigs } from './graph.ts';
import { checkData, graphStatus, hasManifests, type StatusInputs } from './status.ts';

/**
 * The kept verdicts' format; bumped with any change to the staleness rules (graphStatus), so
 * that verdicts worked out by other rules are never read as this version's.
 */
const VERSION = 4;

/**
 * The staleness of every result of a project as last worked out, with everything it rested on:
 * the results index (its stamp), each config file's stat, each script's hash and the reasons
 * the data gave. While all of these are as they were, so is every verdict (graphStatus is a
 * function of them), and a listing reads them instead of building the graph: at 100,000 results
 * the graph and the statuses cost ~1.5 s of every `repro ls`.
 */
interface VerdictFile {
  version: typeof VERSION;
  repro: string;
  root: string;
  configDirs: string[];
  runsRoot: string;
  /** The results index's stamp (IndexView.stamp): its rows, every run in them ended. */
  index: string;
  /** Every config file (its label), in configFiles' order, with its stat taken before the graph read it. */
  configs: KeptConfigs;
  /** Each script a result recorded (its path), and its hash then (null: gone). */
  scripts: [string, string | null][];
  /** The data's reasons, by result name (only those with reasons), in name order. */
  data: [string, string[]][];
  /** Each distinct list of reasons once. */
  lists: string[][];
  /**
   * By row of the index, the list of reasons of a done result that is stale, else -1: as runs of
   * equal ones, `[verdict, rows, verdict, rows, ...]` (100,000 results share a few lists).
   */
  verdicts: number[];
}

/**
 * For tests: whether the last markStale answered from kept verdicts, whether it kept new ones,
 * and when it worked out only some again (the scripts as they were), which results.
 */
export const lastVerdicts: { kept: boolean; saved: boolean; redone?: ReadonlySet<string> } = {
  kept: false,
  saved: false,
};

/**
 * Adds to each done run of a listing why it is stale (RunSummary.stale; empty when it is not).
 * When the runs are the whole results index (listRunViews), the verdicts are kept in the user's
 * cache folder and read again while nothing they rest on has changed (VerdictFile). `graph`: the
 * project's graph, or how to load it (loaded only when the kept verdicts do not hold); a graph
 * loaded before this call is used, but its verdicts are not kept (a config may have changed
 * between its reading and the stats taken here). Returns the kept verdicts' digest when the
 * verdicts given are kept ones (read again or kept now): equal digests, equal verdicts.
 * `configs`: the config files' stats when the caller took them before (`repro ls`, before it
 * read the index); else they are taken here.
 */
export async function markStale(
  project: Project,
  runs: RunSummary[],
  graph: ProjectGraph | ((configs?: StatedConfigs) => ProjectGraph) = (configs) =>
    loadGraph(project, { links: false, configs }),
  configs?: StatedConfigs,
): Promise<string | undefined> {
  lastVerdicts.kept = false;
  lastVerdicts.saved = false;
  lastVerdicts.redone = undefined;
  const stamp = indexStamp(runs);
  const file = verdictFile(project);
  const stats = () => configs ?? statConfigs(project);
  const recalled = stamp ? await recall(file, project, stamp, runs as unknown as Row[], stats) : {};
  const { kept } = recalled;
  if (kept) {
    // the whole index's rows (indexStamp): each looks its verdict up when asked for
    const { view } = runs[0] as unknown as Row;
    view.verdicts = { ids: kept.verdicts, lists: kept.lists };
    view.stale = undefined;
    lastVerdicts.kept = true;
    return kept.digest;
  }
  for (const r of runs) r.stale = NOT_STALE;
  // the stats before the graph reads the files (recall's, or the caller's): a config changed in
  // between is found next time. Without a stamp nothing is kept, and the graph stats the files
  // itself unless the caller already did
  const stated =
    typeof graph === 'function' && (stamp || configs) ? (recalled.configs ?? stats()) : undefined;
  const labels = stated && labelled(stated);
  // the graph reads the configs as stat'ed here: a config changed since is read, and kept with the
  // stat it had here, so it is read again next time
  const g = typeof graph === 'function' ? graph(stated) : graph;
  // the data as recall found it, when it got that far (the one part that may hash)
  const inputs: StatusInputs = recalled.data
    ? { scripts: new Map(), data: recalled.data, dataChecked: true }
    : { scripts: new Map(), data: new Map() };
  if (!stamp || !labels || graphStamp(g) !== stamp) {
    // as asked: the done runs' statuses alone
    const done = runs.filter((r) => r.status === 'done' && g.nodes.has(r.name));
    const statuses = await graphStatus(
      g,
      done.map((r) => r.name),
    );
    statuses.forEach((s, k) => {
      if (s.stale.length) (done[k] as RunSummary).stale = s.stale;
    });
    return undefined;
  }
  const rows = runs as unknown as Row[];
  const stale = new Map<string, string[]>();
  const { base } = recalled;
  let reasonsOf: (row: Row) => string[] | undefined = (row) => stale.get(row.name);
  if (base) {
    // the scripts as they were: the results that changed, those the changed configs judge, and
    // what is downstream of them are worked out again; every other verdict is the kept one (it
    // rests on nothing that changed)
    const redone = judgedBy(g, base.changed);
    const statuses = await graphStatus(g, [...redone], inputs);
    for (const s of statuses) if (s.state === 'done' && s.stale.length) stale.set(s.name, s.stale);
    for (const [script, hash] of base.scripts)
      if (!inputs.scripts.has(script)) inputs.scripts.set(script, hash);
    reasonsOf = (row) => {
      if (redone.has(row.name)) return stale.get(row.name);
      const id = base.verdicts[row.i] as number;
      return id >= 0 ? base.lists[id] : undefined;
    };
    lastVerdicts.redone = redone;
  } else {
    // every node, so that the data of every result is checked (as recall checks it)
    const statuses = await graphStatus(g, undefined, inputs);
    for (const s of statuses) if (s.state === 'done' && s.stale.length) stale.set(s.name, s.stale);
  }
  const lists: string[][] = [];
  const listIds = new Map<string, number>();
  const verdicts = new Array<number>(rows.length).fill(-1);
  for (const row of rows) {
    const reasons = reasonsOf(row);
    if (!reasons) continue;
    const key = reasons.join('\n');
    let id = listIds.get(key);
    if (id === undefined) {
      id = lists.length;
      lists.push(reasons);
      listIds.set(key, id);
    }
    verdicts[row.i] = id;
  }
  assign(runs, (i) => verdicts[i] as number, lists);
  const made: VerdictFile = {
    ...keyOf(project),
    index: stamp,
    configs: labels,
    scripts: [...inputs.scripts],
    data: [...inputs.data].sort(byName),
    lists,
    verdicts: packRuns(verdicts),
  };
  const text = JSON.stringify(made);
  // the rows first: the verdicts name the index they are of, and are used for another only with its rows
  writeCacheFile(rowsFile(file), keptRows(stamp, rows));
  writeCacheFile(file, text);
  lastVerdicts.saved = true;
  return sha1Hex(text);
}

/** Each run's verdict (a run of the whole index: a verdict is kept for done results only). */
function assign(runs: RunSummary[], verdict: (i: number) => number, lists: string[][]): void {
  for (const r of runs) {
    const id = verdict((r as unknown as Row).i);
    r.stale = id >= 0 ? (lists[id] as string[]) : NOT_STALE;
  }
}

const byName = (a: [string, unknown], b: [string, unknown]) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0);

/** The stamp of the index the graph's results came from (one reading: one view), if any. */
function graphStamp(graph: ProjectGraph): string | undefined {
  for (const node of graph.nodes.values())
    if (node.read) return node.read instanceof Row ? node.read.view.stamp : undefined;
  return undefined;
}

function verdictFile(project: Project): string {
  return join(cacheDir(), `stale-${sha256Hex(project.root).slice(0, 16)}.json`);
}

function keyOf(
  project: Project,
): Pick<VerdictFile, 'version' | 'repro' | 'root' | 'configDirs' | 'runsRoot'> {
  return {
    version: VERSION,
    repro: reproVersion(),
    root: project.root,
    configDirs: project.configDirs,
    runsRoot: project.runsRoot,
  };
}

/** The stats as the kept verdicts hold them: each config file by its label. */
function labelled(stated: StatedConfigs): VerdictFile['configs'] {
  const { size, mtimeMs, ino } = stated;
  return { files: stated.files.map((f) => f.label), size, mtimeMs, ino };
}

/** The kept verdicts as last parsed in this process (the dashboard lists every few seconds), and their text's digest. */
const parsed = new ParsedFile<{ file: VerdictFile; digest: string } | undefined>();

/** The kept verdicts when everything they rest on is as it was, else undefined. */
async function recall(
  file: string,
  project: Project,
  stamp: string,
  rows: readonly Row[],
  stats: () => StatedConfigs,
): Promise<Recalled> {
  const read = parsed.get(file, () => {
    try {
      const text = fs.readFileSync(file, 'utf8');
      return { file: JSON.parse(text) as VerdictFile, digest: sha1Hex(text) };
    } catch {
      return undefined;
    }
  });
  const kept = read?.file;
  if (!kept || typeof kept !== 'object') return {};
  const key = keyOf(project);
  if (
    kept.version !== key.version ||
    kept.repro !== key.repro ||
    kept.root !== key.root ||
    kept.runsRoot !== key.runsRoot ||
    JSON.stringify(kept.configDirs) !== JSON.stringify(key.configDirs)
  )
    return {};
  // the kept verdicts by this index's rows: of the same index, or of the rows that stayed as they were
  const carried = kept.index === stamp ? sameIndex(kept, rows.length) : stayedOf(file, kept, rows);
  if (!carried) return {};
  for (const [script, hash] of kept.scripts) if (hashFile(script) !== hash) return {};
  const configs = stats();
  const { verdicts } = carried;
  const changed = changedConfigs(kept.configs, configs);
  for (const name of carried.changed) changed.add(name);
  // the data last, the one part that may hash: every result that kept a manifest, as graphStatus checks it
  const withData = rows.filter((row) => hasManifests(row.files));
  const data = await checkData(
    project,
    withData.map((row) => ({ name: row.name, dir: join(project.runsRoot, row.name), files: row.files })),
  );
  for (const name of changedData(kept.data, data)) changed.add(name);
  if (changed.size || kept.index !== stamp)
    return { configs, data, base: { verdicts, lists: kept.lists, scripts: kept.scripts, changed } };
  return { kept: { verdicts, lists: kept.lists, digest: (read as { digest: string }).digest } };
}

/** The kept verdicts of the rows of this index that stayed as they were in the kept one. */
function stayedOf(
  file: string,
  kept: VerdictFile,
  rows: readonly Row[],
): { verdicts: Int32Array; changed: Set<string> } | undefined {
  const stayed = stayedRows(rowsFile(file), kept.index, rows);
  const old = stayed && wellFormed(kept, stayed.count);
  if (!stayed || !old) return undefined;
  return { verdicts: stayed.from.map((n) => (n >= 0 ? (old[n] as number) : -1)), changed: stayed.changed };
}

/** The kept verdicts of the index they were worked out from, when well formed. */
function sameIndex(
  kept: VerdictFile,
  count: number,
): { verdicts: Int32Array; changed: string[] } | undefined {
  const verdicts = wellFormed(kept, count);
  return verdicts && { verdicts, changed: [] };
}

/**
 * What recall found: the kept verdicts when they hold; else what it worked out on the way, which
 * the verdicts made now rest on (the configs' stats, taken before the graph reads them; the
 * data's reasons of every result).
 */
interface Recalled {
  kept?: { verdicts: Int32Array; lists: string[][]; digest: string };
  configs?: StatedConfigs;
  data?: Map<string, string[]>;
  /**
   * The kept verdicts by this index's rows when the scripts they rest on are as they were: with
   * the names of what changed since (config files, results new, gone or replaced, results whose
   * data's reasons differ), and those scripts (each hash checked now).
   */
  base?: {
    verdicts: Int32Array;
    lists: string[][];
    scripts: [string, string | null][];
    changed: Set<string>;
  };
}

/** The kept verdicts, unpacked, when a parsed file has their shape for `count` rows (a cache file may be anything). */
function wellFormed(kept: VerdictFile, count: number): Int32Array | undefined {
  const { configs, lists } = kept;
  if (
    !Array.isArray(kept.verdicts) ||
    !Array.isArray(lists) ||
    !lists.every(Array.isArray) ||
    !Array.isArray(kept.scripts) ||
    !kept.scripts.every(Array.isArray) ||
    !Array.isArray(kept.data) ||
    !Array.isArray(kept.configDirs) ||
    !configs ||
    ![configs.files, configs.size, configs.mtimeMs, configs.ino].every(
      (a) => Array.isArray(a) && a.length === configs.files.length,
    )
  )
    return undefined;
  return unpackRuns(kept.verdicts, count, lists.length);
}

/** Numbers as runs of equal ones: `[value, length, value, length, ...]`. */
function packRuns(values: ArrayLike<number>): number[] {
  const out: number[] = [];
  for (let i = 0; i < values.length; ) {
    const v = values[i] as number;
    let end = i + 1;
    while (end < values.length && values[end] === v) end++;
    out.push(v, end - i);
    i = end;
  }
  return out;
}

/** packRuns undone, when the runs make `count` verdicts, each -1 or a list's number below `lists`. */
function unpackRuns(runs: unknown[], count: number, lists: number): Int32Array | undefined {
  const out = new Int32Array(count);
  let at = 0;
  for (let k = 0; k + 1 < runs.length; k += 2) {
    const v = runs[k];
    const length = runs[k + 1];
    if (!Number.isInteger(v) || (v as number) < -1 || (v as number) >= lists) return undefined;
    if (!Number.isInteger(length) || (length as number) < 1 || at + (length as number) > count)
      return undefined;
    out.fill(v as number, at, at + (length as number));
    at += length as number;
  }
  return at === count && runs.length % 2 === 0 ? out : undefined;
}
