/**
 * Config keys that repro itself reads (docs/config.md). They are never reported as unread.
 * - `script`: the script that computes this config, a path relative to the project root.
 * - `source`: the name of the upstream result folder, or a list of names.
 * - `inputs`, `paranoia`, `inputs_allow_empty`: the raw input files, fingerprinted before the run.
 */
export const RESERVED_KEYS = ['script', 'source', 'inputs', 'paranoia', 'inputs_allow_empty'] as const;

export function isReservedKey(key: string): boolean {
  return (RESERVED_KEYS as readonly string[]).includes(key);
}
