import { fs, join } from '../_builtins.ts';
import { sha256Hex } from '../config/hash.ts';
import { isJsonObject } from '../config/json.ts';
import { cacheDir, writeCacheFile } from '../project/cache.ts';
import { RUN_FILES } from './layout.ts';

/** One ended result, as the typo guard needs it: the script that made it and the keys it read. */
type Entry = { ino: number; mtimeMs: number; script: string | null; read: string[] | null };
type KeysCache = { version: 1; root: string; results: Record<string, Entry> };

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
  const results: Record<string, Entry> = {};
  let changed = !old;
  for (const name of names) {
    if (name.startsWith('.')) continue;
    // an ended result never changes: a name seen ended before is taken as it was, unstatted (a
    // result replaced under the same name, by rm and a new run, is read again once the old
    // name has been seen missing)
    let entry = old?.results[name];
    if (!entry) {
      const dir = join(runsRoot, name);
      const st = fs.statSync(dir, { throwIfNoEntry: false });
      if (!st?.isDirectory()) continue;
      const fresh = readEntry(dir, st);
      changed = true;
      if (!fresh) continue;
      entry = fresh;
    }
    results[name] = entry;
    if (entry.script && entry.read) {
      const set = byScript.get(entry.script) ?? new Set<string>();
      for (const key of entry.read) set.add(key);
      byScript.set(entry.script, set);
    }
  }
  if (changed || Object.keys(old?.results ?? {}).length !== Object.keys(results).length)
    writeCacheFile(file, JSON.stringify({ version: 1, root: runsRoot, results } satisfies KeysCache));
  return byScript;
}

/** An ended result's entry; undefined while it runs (it is read again next time). */
function readEntry(dir: string, st: { ino: number; mtimeMs: number }): Entry | undefined {
  if (!fs.existsSync(join(dir, RUN_FILES.end))) return undefined;
  const json = (f: string): unknown => {
    try {
      return JSON.parse(fs.readFileSync(join(dir, f), 'utf8'));
    } catch {
      return undefined;
    }
  };
  const record = json(RUN_FILES.record);
  const effective = json(RUN_FILES.effective);
  const script = isJsonObject(record) && isJsonObject(record.script) ? record.script.path : null;
  return {
    ino: st.ino,
    mtimeMs: st.mtimeMs,
    script: typeof script === 'string' && script ? script : null,
    read: isJsonObject(effective) && isJsonObject(effective.values) ? Object.keys(effective.values) : null,
  };
}

function readCache(file: string, root: string): KeysCache | undefined {
  try {
    const value = JSON.parse(fs.readFileSync(file, 'utf8')) as KeysCache;
    return value.version === 1 && value.root === root && isJsonObject(value.results) ? value : undefined;
  } catch {
    return undefined;
  }
}
