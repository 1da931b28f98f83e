import { ConfigValueError } from '../errors.ts';
import { type Json, locate } from './json.ts';

/**
 * What a config may hold (docs/config.md, "Limits"). JSON allows more; each of these is refused
 * with the file, the key and (for numbers and bytes) the line and column, before anything is
 * written.
 */
export const CONFIG_LIMITS = {
  /** The size of a config file, or of a --conf / --set value. */
  bytes: 4 * 1024 * 1024,
  /** The length of one string (a key or a value). */
  stringChars: 1024 * 1024,
  /** How deep objects and arrays nest (a flat config has depth 1). */
  depth: 32,
} as const;

/** Keys that would change an object's prototype when merged: never a config key. */
export const FORBIDDEN_KEYS: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype']);

/** Refuses a config text over the size limit, before it is parsed. */
export function checkConfigSize(text: string | Uint8Array, label: string): void {
  if (text.length > CONFIG_LIMITS.bytes)
    throw new ConfigValueError(
      label,
      null,
      `is ${(text.length / 1024 / 1024).toFixed(1)} MiB; a config holds at most ${CONFIG_LIMITS.bytes / 1024 / 1024} MiB`,
      'Keep data out of configs: put it in a file and name the file in the config (an input).',
    );
}

/**
 * Refuses what JSON allows but a config must not hold: numbers a 64-bit float cannot hold as
 * written (integers beyond 2^53, values that overflow to infinity or underflow to 0), the keys
 * `__proto__`, `constructor` and `prototype`, NUL characters (PostgreSQL cannot store them),
 * strings over the length limit and nesting over the depth limit. `text` is the source, for the
 * numbers' line and column.
 */
export function checkConfigValue(value: Json, label: string, text: string): void {
  // JSON.parse has already rounded the numbers: find the lossy ones in the text (with line and
  // column), only when a long digit run or a big exponent could hold one
  if (/\d{16,}|[eE][+-]?\d{3,}/.test(text)) checkNumbers(text, label);
  walk(value, label, '', 0);
}

function walk(value: Json, label: string, path: string, depth: number): void {
  if (depth > CONFIG_LIMITS.depth)
    throw new ConfigValueError(
      label,
      path,
      `nests deeper than ${CONFIG_LIMITS.depth} levels`,
      'Configs are flat: use dotted keys ("optimizer.lr": 0.1) instead of nesting.',
    );
  if (typeof value === 'string') {
    checkString(value, label, path, 'value');
    return;
  }
  if (typeof value === 'number') {
    // 1e400 parses as Infinity: checkNumbers says where, this catches what the text check skips
    if (!Number.isFinite(value))
      throw new ConfigValueError(label, path, 'is a number too large for a 64-bit float');
    return;
  }
  if (value === null || typeof value !== 'object') return;
  if (Array.isArray(value)) {
    for (const [i, v] of value.entries()) walk(v, label, `${path}[${i}]`, depth + 1);
    return;
  }
  for (const [key, v] of Object.entries(value)) {
    const at = path ? `${path}.${key}` : key;
    if (FORBIDDEN_KEYS.has(key))
      throw new ConfigValueError(
        label,
        at,
        'is not allowed: it would change the prototype of the objects repro merges',
        'Rename the key.',
      );
    checkString(key, label, at, 'key');
    walk(v, label, at, depth + 1);
  }
}

function checkString(s: string, label: string, path: string, what: 'key' | 'value'): void {
  if (s.length > CONFIG_LIMITS.stringChars)
    throw new ConfigValueError(
      label,
      path,
      `has a ${what} of ${s.length} characters; a config string holds at most ${CONFIG_LIMITS.stringChars}`,
      'Keep data out of configs: put it in a file and name the file in the config.',
    );
  if (s.includes('\u0000'))
    throw new ConfigValueError(
      label,
      path,
      `has a ${what} with a NUL character (\\u0000), which the shared store cannot hold`,
      'Remove the \\u0000.',
    );
}

/** Each number token outside strings, checked against the value it parses to. */
function checkNumbers(text: string, label: string): void {
  // strings in the unrolled form, which never backtracks deeply (a 1 MiB string is fine)
  const token = /"[^"\\]*(?:\\.[^"\\]*)*"|-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?/g;
  for (const m of text.matchAll(token)) {
    const src = m[0];
    if (src.startsWith('"')) continue;
    const value = Number(src);
    const problem = !Number.isFinite(value)
      ? 'overflows a 64-bit float (it would be saved as null)'
      : /^-?\d+$/.test(src) && !Number.isSafeInteger(value)
        ? `is an integer beyond 2^53, which a 64-bit float cannot hold exactly (it would become ${value})`
        : value === 0 && /[1-9]/.test(src.split(/[eE]/)[0] ?? '')
          ? 'underflows to 0 in a 64-bit float'
          : null;
    if (problem)
      throw new ConfigValueError(
        label,
        null,
        `the number ${src.length > 40 ? `${src.slice(0, 40)}…` : src} ${problem}`,
        'Write it as a string ("18446744073709551615") if it is an id, or in a range a float holds.',
        locate(text, m.index ?? 0),
      );
  }
}
