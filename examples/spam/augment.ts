// Stage 2: splits the packed data into train and test, tokenizes, and augments the training
// set with copies that randomly drop words.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startRun } from 'repro';
import { random, readJsonl, tokenize } from './lib/text.ts';

const run = await startRun();
const data = run.source();
const testFraction = run.params.get('test_fraction', 0.2);
const rand = random(run.params.get('seed', 1));
const copies = run.params.get('copies', 0);
const dropout = run.params.get('word_dropout', 0.1);

const mails = readJsonl<{ id: string; label: string; text: string }>(
  readFileSync(join(data.dir, 'data.jsonl'), 'utf8'),
);
// a seeded shuffle, then the split
for (let i = mails.length - 1; i > 0; i--) {
  const j = Math.floor(rand() * (i + 1));
  [mails[i], mails[j]] = [mails[j]!, mails[i]!];
}
const nTest = Math.round(mails.length * testFraction);
const train = run.create('train.jsonl');
const test = run.create('test.jsonl');
let nTrain = 0;
mails.forEach((mail, i) => {
  const row = { id: mail.id, y: mail.label === 'spam' ? 1 : 0, tokens: tokenize(mail.text) };
  if (i < nTest) {
    test.write(`${JSON.stringify(row)}\n`);
    return;
  }
  train.write(`${JSON.stringify(row)}\n`);
  nTrain++;
  for (let c = 0; c < copies; c++) {
    const tokens = row.tokens.filter(() => rand() >= dropout);
    train.write(`${JSON.stringify({ ...row, id: `${row.id}#${c + 1}`, tokens })}\n`);
    nTrain++;
  }
});
await Promise.all([train, test].map((s) => new Promise<void>((done) => s.end(done))));
console.log(`train: ${nTrain} samples (${copies} augmented copies each), test: ${nTest}`);
