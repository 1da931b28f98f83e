import type { Json, JsonObject } from './json.ts';

/** A config key whose value is nested, with the flat spelling that diffs well (rule 11). */
export interface FlatnessWarning {
  key: string;
  /** e.g. `"loss_l1": 1, "loss_l2": 0` */
  suggestion: string;
  message: string;
}

/**
 * Nested objects and arrays of objects are allowed (old configs must keep loading) but each is
 * reported with the flat spelling. Arrays of scalars are fine: they diff as one value.
 */
export function checkFlatness(config: JsonObject): FlatnessWarning[] {
  const warnings: FlatnessWarning[] = [];
  for (const [key, value] of Object.entries(config)) {
    const nestedObject = typeof value === 'object' && value !== null && !Array.isArray(value);
    const arrayOfObjects = Array.isArray(value) && value.some((v) => typeof v === 'object' && v !== null);
    if (!nestedObject && !arrayOfObjects) continue;
    const flat = flattenEntries(key, value, '_');
    const spelled = flat
      .slice(0, 4)
      .map(([k, v]) => `"${k}": ${JSON.stringify(v)}`)
      .join(', ');
    const firstDotted = flattenEntries(key, value, '.')[0];
    const dotted = firstDotted ? `"${firstDotted[0]}"` : '';
    const suggestion = `${spelled}${flat.length > 4 ? ', ...' : ''}`;
    warnings.push({
      key,
      suggestion,
      message: `key "${key}" holds ${nestedObject ? 'a nested object' : 'an array of objects'}; flat configs diff well: write ${suggestion}${dotted ? ` (or dotted keys such as ${dotted})` : ''}`,
    });
  }
  return warnings;
}

/** Flattens nested values into `prefix<sep>key` entries; arrays of scalars stay one value. */
export function flattenEntries(prefix: string, value: Json, sep: string): [string, Json][] {
  if (Array.isArray(value)) {
    if (!value.some((v) => typeof v === 'object' && v !== null)) return [[prefix, value]];
    return value.flatMap((v, i) => flattenEntries(`${prefix}${sep}${i}`, v, sep));
  }
  if (typeof value === 'object' && value !== null) {
    return Object.entries(value).flatMap(([k, v]) => flattenEntries(`${prefix}${sep}${k}`, v, sep));
  }
  return [[prefix, value]];
}
