import { UsageError } from '../errors.ts';
import { canonicalJson, sha256Hex } from './hash.ts';
import type { Json, JsonObject } from './json.ts';
import { isValidName } from './load.ts';

const SAFE_KEY = /^[A-Za-z0-9._-]+$/;
const SAFE_VALUE = /^[A-Za-z0-9._+-]+$/;
const MAX_SLUG = 64;

/**
 * The result folder name of a merged config (documented in docs/config.md):
 *
 * - no change and no `--postfix`: the config name, `model`;
 * - `--postfix X`: `model~X`;
 * - overrides that change the config: `model~` plus the changed keys, `model~lr=0.001,filters=10`
 *   (keys sorted) when that is short and uses only safe characters, else `model~h` plus the first
 *   10 hex digits of the merged config's SHA-256, `model~h3f9a0c21be`.
 *
 * The same base and merged config always give the same name.
 */
export function resultName(name: string, base: JsonObject, merged: JsonObject, postfix?: string): string {
  if (postfix !== undefined) {
    if (!isValidName(postfix) || postfix.includes('~')) {
      throw new UsageError(
        `--postfix "${postfix}" is not a valid name part`,
        'Use letters, digits, ".", "_" and "-", e.g. --postfix seed2.',
      );
    }
    return `${name}~${postfix}`;
  }
  const changed = changedKeys(base, merged);
  if (changed.length === 0) return name;
  const slug = changed.map((k) => slugPart(k, merged[k] as Json)).join(',');
  if (!slug.includes('\0') && slug.length <= MAX_SLUG) return `${name}~${slug}`;
  return `${name}~h${sha256Hex(canonicalJson(merged)).slice(0, 10)}`;
}

/** Keys whose canonical value differs between the two configs, sorted. */
export function changedKeys(a: JsonObject, b: JsonObject): string[] {
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  return [...keys]
    .filter((k) => {
      const va = a[k];
      const vb = b[k];
      if (va === undefined || vb === undefined) return va !== vb;
      return canonicalJson(va) !== canonicalJson(vb);
    })
    .sort();
}

// \0 marks a part that cannot be spelled safely; the caller falls back to the hash
function slugPart(key: string, value: Json | undefined): string {
  if (!SAFE_KEY.test(key) || value === undefined) return '\0';
  if (typeof value === 'string') {
    // a string that reads as another JSON type ("1", "true", "null") would be ambiguous
    let readsAsJson = true;
    try {
      JSON.parse(value);
    } catch {
      readsAsJson = false;
    }
    return SAFE_VALUE.test(value) && !readsAsJson ? `${key}=${value}` : '\0';
  }
  if (typeof value === 'number' || typeof value === 'boolean' || value === null) {
    const text = JSON.stringify(value);
    return SAFE_VALUE.test(text) ? `${key}=${text}` : '\0';
  }
  return '\0';
}
