/**
 * The text handling every stage shares. evaluate.py has the same two functions in Python:
 * change them together.
 */

/** Lower-case word tokens of 2 to 20 letters, digits or $ and !. */
export function tokenize(text: string): string[] {
  return text.toLowerCase().match(/[a-z0-9$!]{2,20}/g) ?? [];
}

/** The features of a token list: the tokens, plus adjacent pairs when `bigrams` is on. */
export function features(tokens: string[], bigrams: boolean): string[] {
  const out = new Set(tokens);
  if (bigrams) for (let i = 1; i < tokens.length; i++) out.add(`${tokens[i - 1]} ${tokens[i]}`);
  return [...out];
}

/** A small, seedable random generator (mulberry32), so every stage is reproducible. */
export function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function sigmoid(z: number): number {
  return z >= 0 ? 1 / (1 + Math.exp(-z)) : Math.exp(z) / (1 + Math.exp(z));
}

export function readJsonl<T>(text: string): T[] {
  return text
    .split('\n')
    .filter((line) => line.trim())
    .map((line) => JSON.parse(line) as T);
}
