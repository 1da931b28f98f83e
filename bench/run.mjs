// Runs every benchmark and prints the tables for docs/benchmarks.md.
//   npm run bench            all of them
//   npm run bench -- overhead   only those whose name contains "overhead"
import { cpus } from 'node:os';
import { benchCompare } from './compare.mjs';
import { benchHashing } from './hashing.mjs';
import { benchIndexFormats } from './index-formats.mjs';
import { benchInstall } from './install.mjs';
import { benchPipeline } from './pipeline.mjs';
import { benchPython } from './python.mjs';
import { benchQueue } from './queue.mjs';
import { benchRunOverhead } from './run-overhead.mjs';
import { benchSlurm } from './slurm.mjs';
import { benchStartup } from './startup.mjs';
import { benchTransfer } from './transfer.mjs';
import { benchUi } from './ui.mjs';

const BENCHES = {
  startup: benchStartup,
  install: benchInstall,
  overhead: benchRunOverhead,
  python: benchPython,
  compare: benchCompare,
  'index-formats': benchIndexFormats,
  hashing: benchHashing,
  pipeline: benchPipeline,
  queue: benchQueue,
  ui: benchUi,
  transfer: benchTransfer,
  slurm: benchSlurm,
};
const only = process.argv[2];

console.log(
  `# figures from \`npm run bench${only ? ` -- ${only}` : ''}\` on ${cpus().length} × ${cpus()[0]?.model}, Node.js ${process.version}, ${new Date().toISOString().slice(0, 10)}\n`,
);
for (const [name, bench] of Object.entries(BENCHES)) {
  if (only && !name.includes(only)) continue;
  const result = await bench();
  console.log(`## ${result.title}\n`);
  console.log(`| ${result.head.join(' | ')} |`);
  console.log(`|${result.head.map(() => '---').join('|')}|`);
  for (const row of result.rows) console.log(`| ${row.join(' | ')} |`);
  console.log(`\n${result.note}\n`);
}
