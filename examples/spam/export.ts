// Exports the model as one dependency-free ES module, spam_filter.mjs, and checks that the
// exported module scores like the original.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { startRun } from 'repro';
import { features, sigmoid, tokenize } from './lib/text.ts';

const run = await startRun();
const source = run.source();
const model = JSON.parse(readFileSync(join(source.dir, 'model.json'), 'utf8')) as {
  bigrams: boolean;
  bias: number;
  vocab: string[];
  weights: number[];
};
const weights = Object.fromEntries(
  model.vocab.map((f, i) => [f, Number(model.weights[i]!.toPrecision(run.params.get('precision', 6)))]),
);

const code = `// Spam filter exported by repro from result "${source.name}". No dependencies.
const weights = ${JSON.stringify(weights)};
const bias = ${model.bias};
const bigrams = ${model.bigrams};
${tokenize.toString()}
${features.toString()}
${sigmoid.toString()}
/** Probability that a text (subject, blank line, body) is spam. */
export function spamProbability(text) {
  return sigmoid(features(tokenize(text), bigrams).reduce((z, f) => z + (weights[f] ?? 0), bias));
}
`;
const file = await run.writeFile('spam_filter.mjs', code);

// the exported module must agree with the full-precision model
const { spamProbability } = (await import(pathToFileURL(file).href)) as {
  spamProbability: (t: string) => number;
};
const probe = 'Subject: cheap meds\n\nBuy now, 100% free shipping, click here!';
const full = sigmoid(
  features(tokenize(probe), model.bigrams).reduce(
    (z, f) => z + (model.weights[model.vocab.indexOf(f)] ?? 0),
    model.bias,
  ),
);
const diff = Math.abs(spamProbability(probe) - full);
if (diff > 1e-3) throw new Error(`exported model disagrees with the original by ${diff}`);
console.log(`exported ${model.vocab.length} weights to ${file} (${(code.length / 1024).toFixed(0)} KiB)`);
