// Two builds (or any commands) side by side: each round runs every command once, in turn, so
// that the machine's noise hits all of them alike; prints each one's median, minimum and maximum.
//   node bench/ab.mjs ROUNDS 'label=shell command' 'label=shell command' ...
// A build to compare against: `git worktree add /tmp/before <rev> && (cd /tmp/before && npm ci)`,
// then its `node /tmp/before/dist/cli.js ...` beside `node dist/cli.js ...` (each with its own
// XDG_CACHE_HOME when they keep caches). NODE_EXTRA_CA_CERTS is left out, as in every benchmark.
import { execSync } from 'node:child_process';
import { benchEnv, median } from './lib.mjs';

const [rounds, ...specs] = process.argv.slice(2);
if (!Number(rounds) || specs.length === 0 || specs.some((s) => !s.includes('='))) {
  console.error("usage: node bench/ab.mjs ROUNDS 'label=command' ['label=command' ...]");
  process.exit(2);
}
const env = benchEnv();
const runs = specs.map((s) => ({
  label: s.slice(0, s.indexOf('=')),
  cmd: s.slice(s.indexOf('=') + 1),
  ms: [],
}));
for (let i = 0; i < Number(rounds); i++)
  for (const r of runs) {
    const t = process.hrtime.bigint();
    try {
      execSync(r.cmd, { stdio: ['ignore', 'ignore', 'inherit'], shell: '/bin/bash', env });
    } catch (error) {
      console.error(`${r.label}: exited ${error.status ?? error.signal} in round ${i + 1}: ${r.cmd}`);
      process.exit(1);
    }
    r.ms.push(Number(process.hrtime.bigint() - t) / 1e6);
  }
const width = Math.max(...runs.map((r) => r.label.length));
for (const r of runs)
  console.log(
    `${r.label.padEnd(width)}  median ${median(r.ms).toFixed(0)} ms  min ${Math.min(...r.ms).toFixed(0)}  max ${Math.max(...r.ms).toFixed(0)}`,
  );
