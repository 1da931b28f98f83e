// Benchmark: the CLI's own start. `repro --version` loads no command and no parser; `repro ls
// --help` loads one command's declaration and the commander parser. Baseline: a bare Node.js
// start of an empty module, alternated in the same run.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CLI, fmt, median, scratchProject, time } from './lib.mjs';

export function benchStartup({ rounds = 40 } = {}) {
  const root = scratchProject({ 'repro.json': {} }, { git: false });
  writeFileSync(join(root, 'noop.mjs'), '');
  const node = process.execPath;
  const cases = [
    ['`node noop.mjs` (baseline)', [join(root, 'noop.mjs')]],
    ['`repro --version`', [CLI, '--version']],
    ['`repro ls --help` (a declaration and the parser)', [CLI, 'ls', '--help']],
  ];
  const samples = cases.map(() => []);
  for (const [, args] of cases) time(node, args, { cwd: root });
  for (let i = 0; i < rounds; i++) {
    for (const [k, [, args]] of cases.entries()) samples[k].push(time(node, args, { cwd: root }));
  }
  const base = median(samples[0]);
  return {
    title: 'CLI start-up (`npm run bench -- startup`)',
    head: ['command', 'median', 'added', 'ratio'],
    rows: cases.map(([label], k) => {
      const m = median(samples[k]);
      return k === 0
        ? [label, fmt(m), '', '']
        : [label, fmt(m), `+${fmt(m - base)}`, `${(m / base).toFixed(2)}×`];
    }),
    note: `${rounds} alternated rounds.`,
  };
}
