// Benchmark: `repro make --launcher slurm` of 1,000 no-op stages (100 chains of 10) on a private
// one-node SLURM cluster (Debian's slurm-wlm, started as the tests start it): the time to submit
// them all, and the span from the first stage's start to the last one's end, against
// `repro make -j 2` of the same graph on the same machine (the baseline, in the same run).
// SLURM's scheduling overhead is the ratio of the spans. BENCH_SLURM_CHAINS=10 for a quick run.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { slurmMissing, startSlurm } from '../test/slurm/cluster.ts';
import { benchEnv, CLI } from './lib.mjs';

const CHAINS = Number(process.env.BENCH_SLURM_CHAINS ?? 100);
const LENGTH = 10;

function project() {
  const root = mkdtempSync(join(tmpdir(), 'repro-bench-slurm-'));
  writeFileSync(join(root, 'repro.json'), '{}\n');
  writeFileSync(join(root, 'noop.sh'), 'true\n');
  mkdirSync(join(root, 'configs'));
  for (let c = 0; c < CHAINS; c++)
    for (let s = 0; s < LENGTH; s++)
      writeFileSync(
        join(root, 'configs', `c${c}_${s}.json`),
        JSON.stringify({ script: 'noop.sh', chain: c, ...(s ? { source: `c${c}_${s - 1}` } : {}) }),
      );
  return root;
}

/** From the first stage's start to the last one's end, in seconds, from the run records. */
function span(root) {
  const runs = join(root, 'runs');
  let first = Infinity;
  let last = 0;
  let n = 0;
  for (const name of readdirSync(runs)) {
    if (name.startsWith('.')) continue;
    const start = Date.parse(JSON.parse(readFileSync(join(runs, name, 'run.json'), 'utf8')).started_at);
    const end = JSON.parse(readFileSync(join(runs, name, 'end.json'), 'utf8'));
    if (end.status !== 'done') throw new Error(`${name} is ${end.status}`);
    first = Math.min(first, start);
    last = Math.max(last, Date.parse(end.ended_at));
    n++;
  }
  if (n !== CHAINS * LENGTH) throw new Error(`${n} results, not ${CHAINS * LENGTH}`);
  return (last - first) / 1000;
}

function repro(root, args, env) {
  const t = performance.now();
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd: root, env, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`repro ${args.join(' ')} failed: ${r.stderr}`);
  return (performance.now() - t) / 1000;
}

export async function benchSlurm() {
  const missing = slurmMissing();
  if (missing) throw new Error(`the SLURM benchmark cannot run: ${missing}`);
  const slurm = await startSlurm();
  const cache = mkdtempSync(join(tmpdir(), 'repro-bench-cache-'));
  const env = { ...benchEnv(), ...slurm.env, XDG_CACHE_HOME: cache };
  const targets = Array.from({ length: CHAINS }, (_, c) => `c${c}_${LENGTH - 1}`);
  const roots = [];
  let ok = false;
  try {
    const local = project();
    roots.push(local);
    const makeWall = repro(local, ['make', ...targets, '-j', '2'], env);
    const makeSpan = span(local);

    const root = project();
    roots.push(root);
    const submit = repro(root, ['make', ...targets, '--launcher', 'slurm'], env);
    const waitWall = repro(root, ['make', ...targets, '--launcher', 'slurm', '--wait'], env);
    const slurmSpan = span(root);
    const stages = CHAINS * LENGTH;
    ok = true;
    return {
      title: `repro make --launcher slurm: ${stages.toLocaleString('en')} no-op stages (${CHAINS} chains of ${LENGTH}), one-node cluster`,
      head: ['what', 'seconds', 'per stage'],
      rows: [
        [
          'submit every stage (`make --launcher slurm`, sbatch per stage)',
          submit.toFixed(1),
          `${((submit / stages) * 1000).toFixed(0)} ms`,
        ],
        [
          'SLURM: first stage start to last stage end',
          slurmSpan.toFixed(1),
          `${((slurmSpan / stages) * 1000).toFixed(0)} ms`,
        ],
        [
          '`make -j 2` (baseline): first start to last end',
          makeSpan.toFixed(1),
          `${((makeSpan / stages) * 1000).toFixed(0)} ms`,
        ],
        [
          'SLURM span / make -j 2 span (its scheduling overhead)',
          `${(slurmSpan / makeSpan).toFixed(2)}×`,
          '',
        ],
        [
          '(`make -j 2` wall time; `make --launcher slurm --wait` wall time)',
          `${makeWall.toFixed(1)}; ${waitWall.toFixed(1)}`,
          '',
        ],
      ],
      note: `slurm-wlm 22.05, sched/backfill with batch_sched_delay=0,sched_min_interval=0 (test/slurm/cluster.ts; with SLURM's defaults a chain waits up to 3 s per link), CPUs=2 on one node: at most two stages at once, as with -j 2. Each stage is \`repro run\` of \`true\` (bash), started by slurmd in SLURM and by make here. BENCH_SLURM_CHAINS=${CHAINS}.`,
    };
  } finally {
    slurm.stop();
    // a failed run keeps its projects to read (the jobs' logs are in runs/.slurm/logs)
    if (ok) for (const r of roots) rmSync(r, { recursive: true, force: true });
    else console.error(`kept for a look: ${roots.join(' ')}`);
    rmSync(cache, { recursive: true, force: true });
  }
}
