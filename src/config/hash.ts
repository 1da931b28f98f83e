import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, utf8ToBytes } from '@noble/hashes/utils.js';
import type { Json } from './json.ts';

/**
 * Hex SHA-256 of text or bytes, for configs and scripts (small inputs). @noble/hashes, bundled,
 * compiles in well under a millisecond; node:crypto costs 3–4 ms to load, which every run
 * would pay at start-up.
 */
export function sha256Hex(data: string | Uint8Array): string {
  return bytesToHex(sha256(typeof data === 'string' ? utf8ToBytes(data) : data));
}

/**
 * Hex SHA-1 of text or bytes by node:crypto, for checksums of cache files (megabytes, where
 * @noble/hashes is some ten times slower; the index has loaded node:crypto by then).
 */
export function sha1Hex(data: string | Uint8Array): string {
  return process.getBuiltinModule('node:crypto').createHash('sha1').update(data).digest('hex');
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
