import { fs, join } from '../_builtins.ts';
import { sha256Hex } from '../config/hash.ts';
import { isJsonObject } from '../config/json.ts';
import { cacheDir, writeCacheFile } from '../project/cache.ts';
import { RUN_FILES } from './layout.ts';
import { readJsonFile } from './record.ts';

/** What ended runs read: a script (null: none recorded) and the keys (null: none recorded). */
type KeySet = [script: string | null, keys: string[] | null];
/**
 * The cache: the ended results' names (one text, a line each) and, for each, the index of its set
 * in `sets` (results of one script reading the same keys share one). 100,000 results as one object
 * of entries took ~0.2 s to parse and walk at every run's start.
 */
type KeysCache = { version: 2; root: string; sets: KeySet[]; names: string; of: number[] };

/**
 * The config keys that ended runs of `script` (a path relative to the project root) read, from
 * their effective.json. A slim cache beside the results index keeps, per ended result, its script and
 * keys: a run start lists the runs root and reads only the results that are new since (it is a
 * hint before a run, so the cost stays that of a directory listing, 10,000 results included).
 */
export function keysReadBy(runsRoot: string, script: string): Set<string> {
  return keysByScript(runsRoot).get(script) ?? new Set();
}

/** The keys ended runs read, for every script that has them (repro check lists against these). */
export function keysByScript(runsRoot: string): Map<string, Set<string>> {
  const byScript = new Map<string, Set<string>>();
  let names: string[];
  try {
    names = fs.readdirSync(runsRoot);
  } catch {
    return byScript;
  }
  const file = join(cacheDir(), `keys-${sha256Hex(runsRoot).slice(0, 16)}.json`);
  const old = readCache(file, runsRoot);
  const known = new Map<string, number>();
  if (old) for (let i = 0; i < old.names.length; i++) known.set(old.names[i] as string, old.of[i] as number);
  const { sets, indexOf } = sharedSets(old?.sets ?? []);
  const kept: string[] = [];
  const of: number[] = [];
  // a cache of the version before is written again in this one
  let changed = !old || old.converted === true;
  for (const name of names) {
    if (name.startsWith('.')) continue;
    // an ended result never changes: a name seen ended before is taken as it was, unstatted (a
    // result replaced under the same name, by rm and a new run, is read again once the old
    // name has been seen missing)
    let i = known.get(name);
    if (i === undefined) {
      const dir = join(runsRoot, name);
      if (!fs.statSync(dir, { throwIfNoEntry: false })?.isDirectory()) continue;
      const fresh = readEntry(dir);
      changed = true;
      if (!fresh) continue;
      i = indexOf(fresh);
    }
    kept.push(name);
    of.push(i);
  }
  const used = new Uint8Array(sets.length);
  for (const i of of) used[i] = 1;
  for (let i = 0; i < sets.length; i++) {
    const [script, keys] = sets[i] as KeySet;
    if (!used[i] || !script || !keys) continue;
    const set = byScript.get(script) ?? new Set<string>();
    for (const key of keys) set.add(key);
    byScript.set(script, set);
  }
  if (changed || kept.length !== known.size) {
    // the sets no result uses any more are dropped, the rest renumbered
    const renumbered = new Int32Array(sets.length).fill(-1);
    const live: KeySet[] = [];
    for (let i = 0; i < sets.length; i++) if (used[i]) renumbered[i] = live.push(sets[i] as KeySet) - 1;
    writeCacheFile(
      file,
      JSON.stringify({
        version: 2,
        root: runsRoot,
        sets: live,
        names: kept.join('\n'),
        of: of.map((i) => renumbered[i] as number),
      } satisfies KeysCache),
    );
  }
  return byScript;
}

/**
 * Key sets numbered once each: `indexOf` gives a set's number, adding it when new (the index
 * of the sets there already is made at the first question).
 */
function sharedSets(initial: readonly KeySet[]): { sets: KeySet[]; indexOf(set: KeySet): number } {
  const sets = initial.slice();
  let byText: Map<string, number> | undefined;
  return {
    sets,
    indexOf(set) {
      byText ??= new Map(sets.map((s, i) => [JSON.stringify(s), i]));
      const text = JSON.stringify(set);
      let i = byText.get(text);
      if (i === undefined) {
        i = sets.push(set) - 1;
        byText.set(text, i);
      }
      return i;
    },
  };
}

/** An ended result's script and keys; undefined while it runs (it is read again next time). */
function readEntry(dir: string): KeySet | undefined {
  if (!fs.existsSync(join(dir, RUN_FILES.end))) return undefined;
  const record = readJsonFile<unknown>(join(dir, RUN_FILES.record));
  const effective = readJsonFile<unknown>(join(dir, RUN_FILES.effective));
  const script = isJsonObject(record) && isJsonObject(record.script) ? record.script.path : null;
  return [
    typeof script === 'string' && script ? script : null,
    isJsonObject(effective) && isJsonObject(effective.values) ? Object.keys(effective.values) : null,
  ];
}

/** The cache as it was written, with its names apart; undefined when it is not (another version). */
function readCache(
  file: string,
  root: string,
): { sets: KeySet[]; names: string[]; of: number[]; converted?: true } | undefined {
  try {
    const value = JSON.parse(fs.readFileSync(file, 'utf8')) as KeysCache;
    if (value.root !== root) return undefined;
    if ((value as unknown as { version: number }).version === 1) return fromVersion1(value);
    if (value.version !== 2 || typeof value.names !== 'string') return undefined;
    const names = value.names === '' ? [] : value.names.split('\n');
    const wellFormed =
      Array.isArray(value.sets) &&
      value.sets.every(
        (s) =>
          Array.isArray(s) &&
          (s[0] === null || typeof s[0] === 'string') &&
          (s[1] === null || (Array.isArray(s[1]) && s[1].every((k) => typeof k === 'string'))),
      ) &&
      Array.isArray(value.of) &&
      value.of.length === names.length &&
      value.of.every((i) => Number.isInteger(i) && i >= 0 && i < value.sets.length);
    return wellFormed ? { sets: value.sets, names, of: value.of } : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The cache as repro wrote it before (one entry per result: `{script, read}`), taken over: a
 * project of 100,000 results would otherwise read every result again at its first run (~9 s).
 */
function fromVersion1(
  value: unknown,
): { sets: KeySet[]; names: string[]; of: number[]; converted: true } | undefined {
  const results = isJsonObject(value) && isJsonObject(value.results) ? value.results : undefined;
  if (!results) return undefined;
  const { sets, indexOf } = sharedSets([]);
  const names: string[] = [];
  const of: number[] = [];
  for (const [name, entry] of Object.entries(results)) {
    if (!isJsonObject(entry)) return undefined;
    const { script, read } = entry;
    if (!(script === null || typeof script === 'string')) return undefined;
    if (!(read === null || (Array.isArray(read) && read.every((k) => typeof k === 'string'))))
      return undefined;
    names.push(name);
    of.push(indexOf([script, read as string[] | null]));
  }
  return { sets, names, of, converted: true };
}
