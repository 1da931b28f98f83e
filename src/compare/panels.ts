// What the dashboard's compare page draws together: metrics grouped into panels (train and
// validation of one quantity on one chart), a colour per run that stays the same on every
// page, and which way a metric is better. Pure functions with no imports: the browser bundle,
// the CLI and the tests all load this file.

const HIGHER_IS_BETTER =
  /(?:^|[_.\-/])(?:acc|accuracy|f1|precision|recall|auc|roc_auc|score|reward|return|iou|miou|map|bleu|rouge|r2|psnr|ssim|top\d+|hit|ndcg)(?:$|[_.\-/@])/i;

/**
 * Whether a larger value is better, from the metric's name: accuracy, f1, precision, recall,
 * auc, score, reward, iou, map, bleu, rouge, r2, psnr, ssim, topN, ndcg (as a word in the name,
 * e.g. `val_acc`, `f1/test`); everything else (loss, error, perplexity, ...) is better smaller.
 */
export function higherIsBetter(name: string): boolean {
  return HIGHER_IS_BETTER.test(name);
}

/** The words that name a split rather than a quantity, as a prefix or suffix of a metric. */
const SPLITS = ['train', 'training', 'tr', 'val', 'valid', 'validation', 'dev', 'eval', 'test'];
const SPLIT = new RegExp(
  `^(?:(?<pre>${SPLITS.join('|')})[_./-](?<rest>.+)|(?<head>.+?)[_./-](?<post>${SPLITS.join('|')}))$`,
  'i',
);
/** Where a split's line goes in its panel: training first, then validation, then test. */
const SPLIT_ORDER: Record<string, number> = {
  train: 0,
  training: 0,
  tr: 0,
  val: 1,
  valid: 1,
  validation: 1,
  dev: 1,
  eval: 2,
  test: 3,
};

/** The quantity a metric measures and the split it measures it on: `val_loss` is loss on val. */
export function splitOf(metric: string): { quantity: string; split: string | null } {
  const m = SPLIT.exec(metric)?.groups;
  if (!m) return { quantity: metric, split: null };
  return m.pre
    ? { quantity: m.rest as string, split: (m.pre as string).toLowerCase() }
    : { quantity: m.head as string, split: (m.post as string).toLowerCase() };
}

/** A panel: one quantity, and the metrics that measure it (the bare name first, then by split). */
export interface Panel {
  quantity: string;
  metrics: string[];
}

/**
 * Metrics grouped into panels, in the order their quantities first appear: `loss`,
 * `val_loss` and `test/loss` share the panel "loss"; `train_acc` and `acc_val` share "acc".
 */
export function metricPanels(metrics: readonly string[]): Panel[] {
  const panels = new Map<string, string[]>();
  for (const metric of metrics) {
    const { quantity } = splitOf(metric);
    const list = panels.get(quantity);
    if (list) list.push(metric);
    else panels.set(quantity, [metric]);
  }
  const rank = (m: string) => {
    const split = splitOf(m).split;
    return split === null ? -1 : (SPLIT_ORDER[split] ?? 4);
  };
  return [...panels].map(([quantity, list]) => ({
    quantity,
    metrics: list.sort((a, b) => rank(a) - rank(b)),
  }));
}

/** FNV-1a of a name: the same number on every page and every day. */
function hash(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/**
 * A colour for each run: its own (from a hash of its name, so a run has the same colour on its
 * page and in every comparison), unless an earlier run of the list took it; then the next one
 * free in the palette. Beyond the palette's size colours repeat.
 */
export function runColors(names: readonly string[], palette: readonly string[]): string[] {
  const taken = new Set<number>();
  return names.map((name) => {
    let i = hash(name) % palette.length;
    if (taken.size < palette.length) while (taken.has(i)) i = (i + 1) % palette.length;
    taken.add(i);
    return palette[i] as string;
  });
}

/** runColors as a map from each name to its colour. */
export function colorMap(names: readonly string[], palette: readonly string[]): Map<string, string> {
  const colors = runColors(names, palette);
  return new Map(names.map((n, i) => [n, colors[i] as string]));
}

/** A run's config values as the compare page has them: each differing key's value, if any. */
type Values = Record<string, { value: unknown } | undefined>;

/**
 * Which group each run falls in, for drawing a group's mean and spread: `key` groups the runs
 * by that key's value (`lr=0.1`); `-key` groups the runs that differ only in that key (seeds:
 * `-seed` puts `lr=0.1, opt="adam"` together whatever their seed). `keys` are the keys that
 * differ between the runs.
 */
export function groupRuns(
  rows: readonly { name: string; values: Values }[],
  keys: readonly string[],
  group: string,
): Map<string, string> {
  const but = group.startsWith('-');
  const by = but ? keys.filter((k) => k !== group.slice(1)) : [group];
  const shown = (v: { value: unknown } | undefined) => (v === undefined ? 'absent' : JSON.stringify(v.value));
  return new Map(
    rows.map((r) => [r.name, by.map((k) => `${k}=${shown(r.values[k])}`).join(', ') || 'every run']),
  );
}

/**
 * The mean of several lines and their lowest and highest value at each x: each line is read
 * at every x any of them has, by linear interpolation between its points (never beyond its
 * first or last point, so a shorter run does not pull the mean after it ends).
 */
export function meanBand(lines: readonly { x: number[]; y: number[] }[]): {
  x: number[];
  y: number[];
  lo: number[];
  hi: number[];
  n: number[];
} {
  const xs = [...new Set(lines.flatMap((l) => l.x))].sort((a, b) => a - b);
  const out = {
    x: [] as number[],
    y: [] as number[],
    lo: [] as number[],
    hi: [] as number[],
    n: [] as number[],
  };
  const cursor = lines.map(() => 0);
  for (const x of xs) {
    let sum = 0;
    let n = 0;
    let lo = Number.POSITIVE_INFINITY;
    let hi = Number.NEGATIVE_INFINITY;
    lines.forEach((l, i) => {
      const last = l.x.length - 1;
      if (last < 0 || x < (l.x[0] as number) || x > (l.x[last] as number)) return;
      let k = cursor[i] as number;
      while (k < last && (l.x[k + 1] as number) <= x) k++;
      cursor[i] = k;
      const x0 = l.x[k] as number;
      const y0 = l.y[k] as number;
      const v =
        x0 === x || k === last
          ? y0
          : y0 + (((l.y[k + 1] as number) - y0) * (x - x0)) / ((l.x[k + 1] as number) - x0);
      if (!Number.isFinite(v)) return;
      sum += v;
      n++;
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    });
    if (n === 0) continue;
    out.x.push(x);
    out.y.push(sum / n);
    out.lo.push(lo);
    out.hi.push(hi);
    out.n.push(n);
  }
  return out;
}
