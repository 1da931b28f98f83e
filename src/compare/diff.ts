import { canonicalJson } from '../config/hash.ts';
import type { Json, JsonObject } from '../config/json.ts';
import { UsageError } from '../errors.ts';
import type { ConfigEntry } from './select.ts';

/** What one config says for one key. */
export type Cell = { kind: 'absent' } | { kind: 'value'; value: Json; defaulted: boolean };

export interface DiffRow {
  name: string;
  kind: ConfigEntry['kind'];
  path: string;
  cells: Cell[];
}

/** The keys that differ across a set of configs, and each config's value for each. */
export interface ConfigDiff {
  keys: string[];
  rows: DiffRow[];
  /** The baseline's name, when one was given (it is the first row). */
  base: string | null;
}

export interface DiffConfigsOptions {
  /** Compare every config against this one (a name from the set); it becomes the first row. @default none */
  base?: string;
  /** Show every key, not only those that differ. @default false */
  all?: boolean;
}

/** What cellOf, allKeys and differingKeys read of a config: its flat keys and its defaults. */
export interface KeyedConfig {
  flat: Lookup;
  defaults: Lookup;
}
type Lookup = Pick<ReadonlyMap<string, Json>, 'get' | 'keys'>;

/**
 * The distinct configs of listed runs (flat configs and defaults as objects), each read in place
 * as a KeyedConfig: results of one config share its objects (the results index), so 100,000
 * results of 10,000 configs compare 10,000, and no Map is made of any.
 */
export function runConfigs(runs: readonly { config: JsonObject; defaults: JsonObject }[]): KeyedConfig[] {
  // per config, the defaults seen with it (nearly always one)
  const seen = new Map<object, object[]>();
  const lookups = new Map<object, Lookup>();
  const lookup = (o: JsonObject): Lookup => {
    let l = lookups.get(o);
    if (!l) {
      l = new ObjectLookup(o);
      lookups.set(o, l);
    }
    return l;
  };
  const out: KeyedConfig[] = [];
  for (const { config, defaults } of runs) {
    const withDefaults = seen.get(config);
    if (withDefaults?.includes(defaults)) continue;
    if (withDefaults) withDefaults.push(defaults);
    else seen.set(config, [defaults]);
    out.push({ flat: lookup(config), defaults: lookup(defaults) });
  }
  return out;
}

/** An object read as a Lookup: a class, not two closures per object (10,000 configs made 20,000). */
class ObjectLookup implements Lookup {
  constructor(private readonly o: JsonObject) {}
  get(k: string): Json | undefined {
    return Object.hasOwn(this.o, k) ? this.o[k] : undefined;
  }
  keys(): MapIterator<string> {
    return Object.keys(this.o).values();
  }
}

/**
 * What a config says for a key. A result folder whose script used a default for a key its
 * config lacks says that default, marked as such: configs compare by what the code really used.
 */
export function cellOf(entry: KeyedConfig, key: string): Cell {
  const value = entry.flat.get(key);
  if (value !== undefined) return { kind: 'value', value, defaulted: false };
  const fallback = entry.defaults.get(key);
  if (fallback !== undefined) return { kind: 'value', value: fallback, defaulted: true };
  return { kind: 'absent' };
}

/** A comparable token for a cell: absent, null, "" and 0 are all different. */
export function cellToken(cell: Cell): string {
  return cell.kind === 'absent' ? '\u0000absent' : canonicalJson(cell.value);
}

/** Every key in the set, in order of first appearance. */
export function allKeys(entries: readonly KeyedConfig[]): string[] {
  const keys = new Set<string>();
  for (const e of entries) {
    for (const k of e.flat.keys()) keys.add(k);
    for (const k of e.defaults.keys()) keys.add(k);
  }
  return [...keys];
}

/** The keys whose cells are not all the same across the entries (or differ from `base`). */
export function differingKeys(entries: readonly KeyedConfig[], base?: KeyedConfig): string[] {
  const first = base ?? (entries[0] as KeyedConfig);
  return allKeys(entries).filter((key) => {
    const ref = cellOf(first, key);
    // a text, number or boolean differs from what is not the same value (a 10,000-config listing
    // asks this of every key); absent, null, a list by their tokens
    if (ref.kind === 'value' && ref.value !== null && typeof ref.value !== 'object') {
      const value = ref.value;
      return entries.some((e) => {
        const v = e.flat.get(key);
        return (v !== undefined ? v : e.defaults.get(key)) !== value;
      });
    }
    const token = cellToken(ref);
    return entries.some((e) => cellToken(cellOf(e, key)) !== token);
  });
}

/** jsondiff (docs/cli.md, repro diff): only the keys that differ, one row per config. */
export function diffConfigs(entries: readonly ConfigEntry[], options: DiffConfigsOptions = {}): ConfigDiff {
  let ordered = [...entries];
  let base: ConfigEntry | undefined;
  if (options.base !== undefined) {
    base = entries.find((e) => e.name === options.base || e.path === options.base);
    if (!base) {
      throw new UsageError(
        `--base ${options.base} is not among the configs compared`,
        `Name one of: ${entries
          .slice(0, 10)
          .map((e) => e.name)
          .join(', ')}${entries.length > 10 ? ', ...' : ''}`,
      );
    }
    ordered = [base, ...entries.filter((e) => e !== base)];
  }
  const keys = options.all ? allKeys(ordered) : differingKeys(ordered, base);
  return {
    keys,
    base: base?.name ?? null,
    rows: ordered.map((e) => ({
      name: e.name,
      kind: e.kind,
      path: e.path,
      cells: keys.map((k) => cellOf(e, k)),
    })),
  };
}
