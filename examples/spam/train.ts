// Stage 3: trains a logistic-regression spam filter on bag-of-words features with minibatch
// SGD, logging the loss per step to metrics.jsonl.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startRun } from 'repro';
import { features, random, readJsonl, sigmoid } from './lib/text.ts';

const run = await startRun();
// Node.js runs a Ctrl-C handler only when the event loop turns: a turn between the long steps
// and every 20 batches (~0.1 s) lets Ctrl-C end the run at once, with its effective config
// written (docs/results.md, "Signals"); a turn costs microseconds
const turn = () => new Promise((next) => setImmediate(next));
const augmentation = run.source();
const vocabSize = run.params.get('vocab', 5000);
const epochs = run.params.get('epochs', 3);
const batch = run.params.get('batch', 32);
const lr = run.params.get('lr', 0.5);
const l2 = run.params.get('l2', 0);
const rand = random(run.params.get('seed', 1));
// added after the first models were trained: old configs lack the key and keep unigrams
const bigrams = run.params.get('bigrams', false);

type Sample = { id: string; y: number; tokens: string[] };
const train = readJsonl<Sample>(readFileSync(join(augmentation.dir, 'train.jsonl'), 'utf8'));
await turn();

// vocabulary: the most frequent features by document frequency (ties by name, for determinism)
const df = new Map<string, number>();
for (const [i, s] of train.entries()) {
  for (const f of features(s.tokens, bigrams)) df.set(f, (df.get(f) ?? 0) + 1);
  if (i % 500 === 499) await turn();
}
// only features at least as frequent as the vocabSize-th are sorted by name (bigrams make ~500k)
const counts = [...df.values()].sort((a, b) => b - a);
const least = counts[Math.min(vocabSize, counts.length) - 1] ?? 0;
const vocab = [...df]
  .filter(([, n]) => n >= least)
  .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
  .slice(0, vocabSize)
  .map(([f]) => f);
await turn();
const index = new Map(vocab.map((f, i) => [f, i]));
const rows: { y: number; x: number[] }[] = [];
for (const s of train) {
  const x = features(s.tokens, bigrams)
    .map((f) => index.get(f))
    .filter((i): i is number => i !== undefined);
  rows.push({ y: s.y, x });
  if (rows.length % 500 === 0) await turn();
}

const w = new Float64Array(vocab.length);
let b = 0;
let step = 0;
for (let epoch = 0; epoch < epochs; epoch++) {
  const order = rows.map((_, i) => i);
  for (let i = order.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  for (let start = 0; start < order.length; start += batch) {
    const ids = order.slice(start, start + batch);
    const grad = new Map<number, number>();
    let gradB = 0;
    let loss = 0;
    for (const id of ids) {
      const { x, y } = rows[id]!;
      let z = b;
      for (const k of x) z += w[k]!;
      const p = sigmoid(z);
      loss -= y ? Math.log(Math.max(p, 1e-12)) : Math.log(Math.max(1 - p, 1e-12));
      const g = p - y;
      gradB += g;
      for (const k of x) grad.set(k, (grad.get(k) ?? 0) + g);
    }
    for (const [k, g] of grad) w[k] = w[k]! - lr * (g / ids.length + l2 * w[k]!);
    b -= (lr * gradB) / ids.length;
    run.log({ step, epoch, loss: loss / ids.length });
    step++;
    if (step % 20 === 0) await turn();
  }
}

await run.writeFile('model.json', JSON.stringify({ bigrams, bias: b, vocab, weights: [...w] }));
console.log(`trained on ${rows.length} samples, ${vocab.length} features, ${step} steps`);
