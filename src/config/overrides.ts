import { ConfigNotObjectError, ConfigParseError, OverrideError } from '../errors.ts';
import { isJsonObject, type Json, type JsonObject, parseJson } from './json.ts';
import { checkConfigSize, checkConfigValue, FORBIDDEN_KEYS } from './limits.ts';
import { parseConfigText } from './load.ts';

/** One command-line change to a config, in the order given: `--conf JSON` or `--set key=value`. */
export interface Override {
  kind: 'conf' | 'set';
  /** The argument exactly as typed. */
  text: string;
}

/** An override with the object it merges into the config. */
export interface ParsedOverride extends Override {
  value: JsonObject;
}

/** Parses one override; errors point at the argument and, for JSON, at the column. */
export function parseOverride(override: Override, index = 0): ParsedOverride {
  if (override.kind === 'conf') {
    const label = `--conf #${index + 1}`;
    try {
      return { ...override, value: parseConfigText(override.text, label) };
    } catch (error) {
      if (error instanceof ConfigParseError || error instanceof ConfigNotObjectError) {
        throw new OverrideError(error.message);
      }
      throw error;
    }
  }
  const eq = override.text.indexOf('=');
  if (eq <= 0) {
    throw new OverrideError(
      `--set "${override.text}" is not key=value`,
      'Write --set lr=0.001 (the value is parsed as JSON when it parses, otherwise kept as a string).',
    );
  }
  const key = override.text.slice(0, eq);
  const raw = override.text.slice(eq + 1);
  const label = `--set ${key.length > 40 ? `${key.slice(0, 40)}…` : key}`;
  checkConfigSize(raw, label);
  const value = parseSetValue(raw);
  // the key and the value pass the same limits as a config file's
  checkConfigValue({ [key]: value }, label, raw);
  return { ...override, value: { [key]: value } };
}

/** `0.1` -> 0.1, `true` -> true, `[1,2]` -> [1,2], `"x"` -> "x", `adam` -> "adam". */
export function parseSetValue(raw: string): Json {
  if (raw.trim() === '') return raw;
  try {
    return parseJson(raw);
  } catch {
    return raw;
  }
}

/**
 * Merges `patch` into `base` without touching either: keys of the patch win; nested plain objects
 * merge key by key; arrays and scalars replace.
 */
export function mergeConfig(base: JsonObject, patch: JsonObject): JsonObject {
  const out: JsonObject = { ...base };
  for (const [key, value] of Object.entries(patch)) {
    // `out[key] =` with these would change out's prototype, not add a key
    if (FORBIDDEN_KEYS.has(key))
      throw new OverrideError(`key "${key}" cannot be set: it would change an object's prototype`);
    const prev = out[key];
    out[key] = isJsonObject(prev) && isJsonObject(value) ? mergeConfig(prev, value) : value;
  }
  return out;
}

/** Applies overrides in order and returns the merged config plus what was applied. */
export function applyOverrides(
  config: JsonObject,
  overrides: readonly Override[],
): { config: JsonObject; applied: ParsedOverride[] } {
  const applied = overrides.map((o, i) => parseOverride(o, i));
  const merged = applied.reduce((acc, o) => mergeConfig(acc, o.value), config);
  return { config: merged, applied };
}
