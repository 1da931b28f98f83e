import { distance } from 'fastest-levenshtein';

/**
 * The names nearest to `name` by edit distance, nearest first (ties keep the order given), for
 * error hints: an unknown command, a mistyped script, a target that matches nothing.
 */
export function nearestNames(
  name: string,
  names: readonly string[],
  options: { max?: number; k?: number } = {},
): string[] {
  return names
    .map((n) => ({ n, d: distance(n, name) }))
    .filter((c) => options.max === undefined || c.d <= options.max)
    .sort((a, b) => a.d - b.d)
    .slice(0, options.k ?? 3)
    .map((c) => c.n);
}

/** Close enough to be a typo: at most a third of the letters differ (at least 2 allowed). */
export function isNear(a: string, b: string): boolean {
  return distance(a, b) <= Math.max(2, Math.floor(Math.max(a.length, b.length) / 3));
}

/**
 * The keys that are not among the known ones but close to one of them (a likely typo), each with
 * the nearest known key: `gama` beside a known `gamma`.
 */
export function likelyTypos(
  keys: readonly string[],
  known: readonly string[],
): { key: string; near: string }[] {
  const set = new Set(known);
  const out: { key: string; near: string }[] = [];
  for (const key of keys) {
    if (set.has(key)) continue;
    const [near] = nearestNames(key, known, { k: 1 });
    // layer2 beside layer1 is the next of a numbered family, not a typo
    const family = near !== undefined && key.replace(/\d+/g, '') === near.replace(/\d+/g, '');
    if (near !== undefined && !family && isNear(key, near)) out.push({ key, near });
  }
  return out;
}
