import { canonicalJson } from '../config/hash.ts';
import type { Json } from '../config/json.ts';
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

/**
 * What a config says for a key. A result folder whose script used a default for a key its
 * config lacks says that default, marked as such: configs compare by what the code really used.
 */
export function cellOf(entry: ConfigEntry, key: string): Cell {
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
export function allKeys(entries: readonly ConfigEntry[]): string[] {
  const keys = new Set<string>();
  for (const e of entries) {
    for (const k of e.flat.keys()) keys.add(k);
    for (const k of e.defaults.keys()) keys.add(k);
  }
  return [...keys];
}

/** The keys whose cells are not all the same across the entries (or differ from `base`). */
export function differingKeys(entries: readonly ConfigEntry[], base?: ConfigEntry): string[] {
  return allKeys(entries).filter((key) => {
    const ref = cellToken(cellOf(base ?? (entries[0] as ConfigEntry), key));
    return entries.some((e) => cellToken(cellOf(e, key)) !== ref);
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
