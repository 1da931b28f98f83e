import type * as Crypto from 'node:crypto';
import { createRequire } from 'node:module';
import type { Json } from './json.ts';

let crypto: typeof Crypto | undefined;

/**
 * Hex SHA-256 of text or bytes. node:crypto loads on first use: it costs ~3 ms at start-up,
 * which a script that never hashes should not pay.
 */
export function sha256Hex(data: string | Uint8Array): string {
  crypto ??= createRequire(import.meta.url)('node:crypto') as typeof Crypto;
  return crypto.createHash('sha256').update(data).digest('hex');
}

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
  return `sha256:${sha256Hex(canonicalJson(value))}`;
}
