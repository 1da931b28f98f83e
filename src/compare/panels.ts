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
