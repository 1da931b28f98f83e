import type { Json, JsonObject } from '../config/json.ts';

/**
 * A config as flat dotted keys: `{"loss": {"l1": 1}}` is `{"loss.l1": 1}`. Arrays stay one value
 * (they compare as a whole), and so does an empty object.
 */
export function flattenConfig(config: JsonObject): Map<string, Json> {
  const out = new Map<string, Json>();
  const walk = (prefix: string, value: Json) => {
    if (
      value !== null &&
      typeof value === 'object' &&
      !Array.isArray(value) &&
      Object.keys(value).length > 0
    ) {
      for (const [k, v] of Object.entries(value)) walk(prefix ? `${prefix}.${k}` : k, v);
    } else {
      out.set(prefix, value);
    }
  };
  for (const [k, v] of Object.entries(config)) walk(k, v);
  return out;
}
