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
