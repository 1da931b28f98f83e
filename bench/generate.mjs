// Generates the data set for the compare benchmarks in bench/.data (kept between runs; delete
// the folder to make it again; run by `npm run bench`, or `node --import tsx bench/generate.mjs`):
//   configs/      10,000 configs of 16 keys, a base with sweeps of a few keys each, each reading
//                 one of three upstream stages (data, augmentation, augmentation2), also here
//   runs/         100,000 result folders (config.json, run.json, end.json); 1,000 of them with
//                 a 1,000-line metrics.jsonl; and one result of each upstream stage
//   train.py      the script every result ran
//   plot/runs/    50 results with a 10,000-line metrics.jsonl each
//   tree/         2,000 configs (a subset of configs/)
// As in a project in use, most results are fresh: each recorded its config's hash, the script's
// hash and the upstream run it read. The runs of one config in twenty read an upstream result
// rebuilt since (they are stale: ~4,750 done results), and 5% of the runs failed.
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { hashConfig, sha256Hex } from '../src/config/hash.ts';
import { runRecord } from './lib.mjs';

export const DATA = join(import.meta.dirname, '.data');
/** The machine in every generated record: lib.mjs's, with this machine's name. */
const HOST = runRecord({ name: '' }).host;
// the data set before 2026-11-30 had no script or upstream stages (every done result was stale):
// its marker was `.complete`
const DONE = join(DATA, '.complete-v2');
const TRAIN = '# the script of every generated result (bench/generate.mjs)\nprint("training")\n';
const PREP = '# the script of the generated upstream stages (bench/generate.mjs)\nprint("preparing")\n';
const UPSTREAM = ['data', 'augmentation', 'augmentation2'];
/** A run's id, made from its number (run.json's id: what a downstream run names its source by). */
const runId = (n) => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;

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
  for (const made of ['configs', 'tree', 'runs', 'plot', '.complete'])
    rmSync(join(DATA, made), { recursive: true, force: true });
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
  writeFileSync(join(DATA, 'train.py'), TRAIN);
  writeFileSync(join(DATA, 'prep.py'), PREP);
  const host = hostname();
  const record = (name, id, c, base, script, sources, started) =>
    `${JSON.stringify(
      runRecord({
        repro_version: '0.1.0',
        id,
        name,
        config: {
          name: c.name,
          file: `configs/${c.name}.json`,
          hash: hashConfig(base),
          base_hash: hashConfig(base),
        },
        argv: ['node', 'repro', 'run', `configs/${c.name}.json`],
        command: ['python3', script.path],
        cwd: DATA,
        project_root: DATA,
        script: {
          path: script.path,
          sha256: `sha256:${sha256Hex(script.text)}`,
          interpreter: ['python3'],
          interpreter_version: 'Python 3.11.7',
        },
        git: { commit: 'abc', branch: 'main', dirty: false, untracked: [], diff: null },
        host: { ...HOST, hostname: host },
        sources,
        started_at: started,
      }),
      null,
      2,
    )}\n`;
  // the upstream stages, each run once the day before the rest
  const upstream = new Map();
  UPSTREAM.forEach((name, k) => {
    const c = { script: 'prep.py', seed: k };
    writeFileSync(join(DATA, 'configs', `${name}.json`), `${JSON.stringify(c, null, 2)}\n`);
    const dir = join(DATA, 'runs', name);
    mkdirSync(dir, { recursive: true });
    const started = new Date(Date.UTC(2025, 11, 31) + k * 60_000).toISOString();
    const ended = new Date(Date.UTC(2025, 11, 31, 1) + k * 60_000).toISOString();
    const id = runId(900_000 + k);
    upstream.set(name, { id, started, ended, hash: hashConfig(c) });
    writeFileSync(join(dir, 'config.json'), `${JSON.stringify(c, null, 2)}\n`);
    writeFileSync(
      join(dir, 'run.json'),
      record(name, id, { name }, c, { path: 'prep.py', text: PREP }, [], started),
    );
    writeFileSync(
      join(dir, 'end.json'),
      `${JSON.stringify({ status: 'done', exit_code: 0, signal: null, ended_at: ended, duration_s: 3600 })}\n`,
    );
  });
  for (let i = 0; i < 100_000; i++) {
    const name = `r${String(i).padStart(6, '0')}`;
    const dir = join(DATA, 'runs', name);
    mkdirSync(dir, { recursive: true });
    const j = i % configs.length;
    const ran = configs[j];
    writeFileSync(join(dir, 'config.json'), `${JSON.stringify(ran, null, 2)}\n`);
    const started = new Date(Date.UTC(2026, 0, 1) + i * 60_000).toISOString();
    const up = upstream.get(ran.source);
    // the runs of one config in twenty read an upstream result that was rebuilt since (an older
    // run of the stage, moved to the attic): they are stale
    const read = j % 20 === 7 ? { ...up, id: runId(800_000), started: '2025-12-01T00:00:00.000Z' } : up;
    const sources = [
      { name: ran.source, id: read.id, started_at: read.started, ended_at: read.ended, config_hash: up.hash },
    ];
    const c = { name: `m${String(j).padStart(5, '0')}` };
    writeFileSync(
      join(dir, 'run.json'),
      record(name, runId(i + 1), c, ran, { path: 'train.py', text: TRAIN }, sources, started),
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
