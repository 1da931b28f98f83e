import { createHash } from 'node:crypto';
import type { Json } from './json.ts';

/**
 * JSON with object keys sorted at every depth and no white space: two configs that mean the
 * same thing have the same canonical text, whatever their key order or formatting.
 */
export function canonicalJson(value: Json): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const keys = Object.keys(value).sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(value[k] as Json)}`).join(',')}}`;
}

/** `sha256:<hex>` of the canonical JSON: the config's content hash, recorded in every run. */
export function hashConfig(value: Json): string {
  return `sha256:${createHash('sha256').update(canonicalJson(value)).digest('hex')}`;
}
