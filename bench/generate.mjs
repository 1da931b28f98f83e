// Generates the data set for the compare benchmarks in bench/.data (kept between runs; delete
// the folder to make it again):
//   configs/      10,000 configs of 16 keys, a base with sweeps of a few keys each
//   runs/         100,000 result folders (config.json, run.json, end.json); 1,000 of them with
//                 a 1,000-line metrics.jsonl
//   plot/runs/    50 results with a 10,000-line metrics.jsonl each
//   tree/         2,000 configs (a subset of configs/)
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { runRecord } from './lib.mjs';

export const DATA = join(import.meta.dirname, '.data');
/** The machine in every generated record: lib.mjs's, with this machine's name. */
const HOST = runRecord({ name: '' }).host;
const DONE = join(DATA, '.complete');

function rand(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function config(i, r) {
  const pick = (xs) => xs[Math.floor(r() * xs.length)];
  return {
    script: 'train.py',
    source: pick(['data', 'augmentation', 'augmentation2']),
    arch: pick(['baseline', 'v2', 'v321']),
    lr: pick([1e-2, 3e-3, 1e-3, 3e-4, 1e-4]),
    batch: pick([16, 32, 64, 128]),
    filters: pick([5, 10, 16, 32]),
    dropout: pick([0, 0.1, 0.2, 0.5]),
    epochs: pick([10, 20, 50]),
    optimizer: pick(['adam', 'sgd', 'adamw']),
    weight_decay: pick([0, 1e-5, 1e-4]),
    loss_l1_weight: pick([0, 0.5, 1]),
    loss_l2_weight: pick([0, 1]),
    augment_flip: r() < 0.5,
    augment_crop: pick([0, 8, 16]),
    seed: i % 10,
    note: pick(['', 'first try', 'with the new loader', 'ablation: no crop']),
  };
}

function metrics(n, r) {
  const lines = [];
  let loss = 2 + r();
  for (let step = 0; step < n; step++) {
    loss = loss * 0.999 + (r() - 0.5) * 0.01;
    lines.push(`{"step":${step},"loss":${loss.toFixed(6)},"acc":${(1 - loss / 3).toFixed(6)}}`);
  }
  return `${lines.join('\n')}\n`;
}

export function generate() {
  if (existsSync(DONE)) return DATA;
  const r = rand(1);
  const t0 = Date.now();
  mkdirSync(join(DATA, 'configs'), { recursive: true });
  mkdirSync(join(DATA, 'tree'), { recursive: true });
  const configs = Array.from({ length: 10_000 }, (_, i) => config(i, r));
  configs.forEach((c, i) => {
    const text = `${JSON.stringify(c, null, 2)}\n`;
    writeFileSync(join(DATA, 'configs', `m${String(i).padStart(5, '0')}.json`), text);
    if (i < 2000) writeFileSync(join(DATA, 'tree', `m${String(i).padStart(5, '0')}.json`), text);
  });
  writeFileSync(join(DATA, 'repro.json'), '{}\n');
  const host = hostname();
  for (let i = 0; i < 100_000; i++) {
    const name = `r${String(i).padStart(6, '0')}`;
    const dir = join(DATA, 'runs', name);
    mkdirSync(dir, { recursive: true });
    const c = configs[i % configs.length];
    writeFileSync(join(dir, 'config.json'), `${JSON.stringify(c, null, 2)}\n`);
    const started = new Date(Date.UTC(2026, 0, 1) + i * 60_000).toISOString();
    writeFileSync(
      join(dir, 'run.json'),
      `${JSON.stringify(
        runRecord({
          repro_version: '0.1.0',
          name,
          config: {
            name: `m${String(i % configs.length).padStart(5, '0')}`,
            file: 'configs/x.json',
            hash: 'sha256:0',
            base_hash: 'sha256:0',
          },
          argv: ['node', 'repro', 'run'],
          command: ['python3', 'train.py'],
          cwd: '/p',
          project_root: '/p',
          script: {
            path: 'train.py',
            sha256: 'sha256:0',
            interpreter: ['python3'],
            interpreter_version: 'Python 3.11.7',
          },
          git: { commit: 'abc', branch: 'main', dirty: false, untracked: [], diff: null },
          host: { ...HOST, hostname: host },
          started_at: started,
        }),
        null,
        2,
      )}\n`,
    );
    writeFileSync(
      join(dir, 'end.json'),
      `${JSON.stringify({ status: r() < 0.95 ? 'done' : 'failed', exit_code: 0, signal: null, ended_at: started, duration_s: Math.round(r() * 3600) })}\n`,
    );
    if (i % 100 === 0) writeFileSync(join(dir, 'metrics.jsonl'), metrics(1000, r));
    if (i % 10_000 === 0)
      process.stderr.write(`  generated ${i} result folders (${Math.round((Date.now() - t0) / 1000)} s)\n`);
  }
  for (let i = 0; i < 50; i++) {
    const dir = join(DATA, 'plot', 'runs', `p${String(i).padStart(2, '0')}`);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'config.json'), `${JSON.stringify(configs[i])}\n`);
    writeFileSync(join(dir, 'metrics.jsonl'), metrics(10_000, r));
  }
  writeFileSync(join(DATA, 'plot', 'repro.json'), '{}\n');
  writeFileSync(DONE, '');
  process.stderr.write(`  generated the data set in ${Math.round((Date.now() - t0) / 1000)} s\n`);
  return DATA;
}

if (import.meta.url === `file://${process.argv[1]}`) generate();
