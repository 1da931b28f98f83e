// Stage 1: globs the raw e-mails (one JSON file each, in folders by class) and packs them into
// one machine-friendly file, data.jsonl, plus metadata.json.
import { readFileSync } from 'node:fs';
import { basename, dirname } from 'node:path';
import { startRun } from 'repro';

const run = await startRun();
const pattern = run.params.require<string>('raw');
const maxChars = run.params.get('max_chars', 4000);

// the raw files, fingerprinted at the config's paranoia level: repro status notices when they change
const files = await run.inputs(pattern);

const out = run.create('data.jsonl');
const counts: Record<string, number> = {};
for (const file of files) {
  const mail = JSON.parse(readFileSync(file, 'utf8')) as { id: string; text: string };
  const group = basename(dirname(file));
  const label = group.startsWith('spam') ? 'spam' : 'ham';
  // keep the subject and the body; drop the transport headers
  const split = mail.text.indexOf('\n\n');
  const headers = split < 0 ? mail.text : mail.text.slice(0, split);
  const subject = /^Subject:(.*)$/im.exec(headers)?.[1]?.trim() ?? '';
  const body = split < 0 ? '' : mail.text.slice(split + 2);
  const text = `${subject}\n${body}`.slice(0, maxChars);
  out.write(`${JSON.stringify({ id: `${group}/${mail.id}`, label, text })}\n`);
  counts[label] = (counts[label] ?? 0) + 1;
}
await new Promise<void>((done) => out.end(done));

await run.writeFile(
  'metadata.json',
  JSON.stringify({ pattern, files: files.length, counts, max_chars: maxChars }, null, 2),
);
console.log(`packed ${files.length} e-mails: ${JSON.stringify(counts)}`);
