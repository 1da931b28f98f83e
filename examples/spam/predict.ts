// Predicts spam probabilities for the texts listed in the config.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startRun } from 'repro';
import { features, sigmoid, tokenize } from './lib/text.ts';

const run = await startRun();
const model = JSON.parse(readFileSync(join(run.source().dir, 'model.json'), 'utf8')) as {
  bigrams: boolean;
  bias: number;
  vocab: string[];
  weights: number[];
};
const weights = new Map(model.vocab.map((f, i) => [f, model.weights[i]!]));
const texts = run.params.require<string[]>('texts');

const out = run.create('predictions.jsonl');
for (const text of texts) {
  const z = features(tokenize(text), model.bigrams).reduce(
    (sum, f) => sum + (weights.get(f) ?? 0),
    model.bias,
  );
  const p = sigmoid(z);
  out.write(`${JSON.stringify({ text, spam_probability: p, label: p >= 0.5 ? 'spam' : 'ham' })}\n`);
  console.log(`${p >= 0.5 ? 'spam' : 'ham '}  ${p.toFixed(3)}  ${JSON.stringify(text.slice(0, 60))}`);
}
await new Promise<void>((done) => out.end(done));
