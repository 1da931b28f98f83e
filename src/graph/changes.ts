// What changed since the staleness verdicts were kept (graph/verdicts.ts): the config files,
// the results index's rows, the data's reasons; and which results a change touches.
import { fs } from '../_builtins.ts';
import { configNameOf } from '../config/load.ts';
import type { Row } from '../project/results.ts';
import { downstreamOf, type ProjectGraph, type StatedConfigs } from './graph.ts';

/** The config files' stats as the kept verdicts hold them: each file by its label. */
export interface KeptConfigs {
  files: string[];
  size: number[];
  mtimeMs: number[];
  ino: number[];
}

/**
 * The nodes whose status a change to the named configs or results can change: each of them (a
 * config's file, sources, whether it loads; a result's records and data), every result under
 * another name made from a config of them (judged by that file: graphStatus's madeFrom), and
 * everything downstream of those.
 */
export function judgedBy(graph: ProjectGraph, names: ReadonlySet<string>): Set<string> {
  const touched = new Set<string>();
  for (const node of graph.nodes.values()) {
    const from = node.read?.config_name;
    // a node not read from the index is worked out again: nothing tells what it was made from
    if (names.has(node.name) || (!node.file && (!node.read || (from && names.has(from)))))
      touched.add(node.name);
  }
  // and below a result that is gone (no node now): what names it as a source
  for (const name of downstreamOf(graph, [...touched, ...names])) touched.add(name);
  return touched;
}

/**
 * The rows of the index the verdicts were kept for, each as its folder was then (name, inode,
 * time): a folder of an ended run never changes while those stay (the index rests on the same).
 * Kept by V8's serializer: the names as one text joined by NUL (no file name holds one), the
 * numbers as their bytes (100,000 rows load in a few ms).
 */
interface KeptRows {
  index: string;
  names: string;
  ino: Float64Array;
  mtimeMs: Float64Array;
}

export function rowsFile(verdicts: string): string {
  return verdicts.replace(/\.json$/, '.rows.v8');
}

/**
 * The rows of an index as KeptRows, serialized, each at its place in the index (the verdicts'
 * order; a listing's is another: the start order).
 */
export function keptRows(stamp: string, rows: readonly Row[]): Uint8Array {
  const names = new Array<string>(rows.length);
  const ino = new Float64Array(rows.length);
  const mtimeMs = new Float64Array(rows.length);
  for (const row of inIndexOrder(rows)) {
    names[row.i] = row.name;
    ino[row.i] = row.view.rows.ino[row.i] as number;
    mtimeMs[row.i] = row.view.rows.mtimeMs[row.i] as number;
  }
  const kept: KeptRows = { index: stamp, names: names.join('\0'), ino, mtimeMs };
  return process.getBuiltinModule('node:v8').serialize(kept);
}

/**
 * Which rows of an index stayed as they were in the one kept in `file`: for each row (by its
 * place), the place of the same folder in the kept index, or -1; the names of the results new,
 * gone or another folder now; the kept index's length. Undefined when `file` holds no rows of
 * the index stamped `index`.
 */
export interface StayedRows {
  from: Int32Array;
  changed: Set<string>;
  count: number;
}

export function stayedRows(file: string, index: string, rows: readonly Row[]): StayedRows | undefined {
  let before: Partial<KeptRows> | undefined;
  try {
    before = process.getBuiltinModule('node:v8').deserialize(fs.readFileSync(file)) as Partial<KeptRows>;
  } catch {
    return undefined;
  }
  const { ino, mtimeMs } = before ?? {};
  if (
    before?.index !== index ||
    typeof before.names !== 'string' ||
    !(ino instanceof Float64Array) ||
    !(mtimeMs instanceof Float64Array) ||
    ino.length !== mtimeMs.length
  )
    return undefined;
  const names = ino.length ? before.names.split('\0') : [];
  if (names.length !== ino.length) return undefined;
  // both in the index's order, mostly the same rows: walked side by side, a name out of step
  // looked up
  let at: Map<string, number> | undefined;
  const matched = new Uint8Array(names.length);
  const from = new Int32Array(rows.length).fill(-1);
  const changed = new Set<string>();
  let next = 0;
  for (const row of inIndexOrder(rows)) {
    const { name, i } = row;
    let n: number | undefined = next;
    if (names[next] !== name) {
      at ??= new Map(names.map((m, k) => [m, k]));
      n = at.get(name);
    }
    if (n === undefined) {
      changed.add(name);
      continue;
    }
    next = n + 1;
    matched[n] = 1;
    if (ino[n] === row.view.rows.ino[i] && mtimeMs[n] === row.view.rows.mtimeMs[i]) from[i] = n;
    else changed.add(name);
  }
  // the results gone since
  matched.forEach((m, n) => {
    if (!m) changed.add(names[n] as string);
  });
  return { from, changed, count: names.length };
}

/** The whole index's rows (each once: indexStamp), in the index's order. */
function inIndexOrder(rows: readonly Row[]): Row[] {
  const out = new Array<Row>(rows.length);
  for (const row of rows) out[row.i] = row;
  return out;
}

/** The results whose data's reasons differ from the kept ones. */
export function changedData(kept: [string, string[]][], now: Map<string, string[]>): string[] {
  const was = new Map(kept);
  const changed: string[] = [];
  for (const [name, reasons] of now) {
    if (JSON.stringify(reasons) !== JSON.stringify(was.get(name))) changed.push(name);
    was.delete(name);
  }
  changed.push(...was.keys());
  return changed;
}

/**
 * The names of the config files that are new, gone, or stat differently since the verdicts were
 * kept (a file whose name is no config name makes no node: it changes no verdict).
 */
export function changedConfigs(was: KeptConfigs, now: StatedConfigs): Set<string> {
  const labels = new Set<string>();
  const before = new Map(was.files.map((label, k) => [label, k]));
  now.files.forEach(({ label }, k) => {
    const w = before.get(label);
    before.delete(label);
    if (
      w === undefined ||
      now.size[k] !== was.size[w] ||
      now.mtimeMs[k] !== was.mtimeMs[w] ||
      now.ino[k] !== was.ino[w]
    )
      labels.add(label);
  });
  for (const label of before.keys()) labels.add(label);
  const names = new Set<string>();
  for (const label of labels) {
    try {
      names.add(configNameOf(label));
    } catch {
      // no config name: no node
    }
  }
  return names;
}
