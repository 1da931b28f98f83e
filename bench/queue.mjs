// Benchmark: claim + complete of no-op jobs in the PostgreSQL store with 1, 4 and 16 workers
// (each its own process, as in real use), beside a bare `FOR UPDATE SKIP LOCKED` claim loop over a minimal
// table with a partial index, in the same run; and heartbeats per second. A private cluster
// with PostgreSQL's defaults (fsync and synchronous commit on). Needs `npm run bench` (tsx).
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import pg from 'pg';
import { PgStore } from '../src/remote/store.ts';
import { startPostgres } from '../test/remote/servers.ts';
import { benchEnv } from './lib.mjs';

const WORKER = join(import.meta.dirname, 'queue-worker.mjs');

const JOBS = 2000;

async function database(server, name) {
  const admin = new pg.Client({ connectionString: server.url });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS ${name}`);
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  return server.url.replace(/\/[^/]*$/, `/${name}`);
}

/** Starts `workers` processes of bench/queue-worker.mjs, lets them go at once, and times them to the last. */
async function processRate(mode, url, workers) {
  const children = Array.from({ length: workers }, (_, w) =>
    spawn(process.execPath, ['--import', 'tsx', WORKER, mode, url, `w${w}`], {
      stdio: ['pipe', 'pipe', 'inherit'],
      env: benchEnv(),
    }),
  );
  const lines = children.map((child) => {
    const rl = createInterface({ input: child.stdout });
    return rl[Symbol.asyncIterator]();
  });
  await Promise.all(
    lines.map(
      async (it) => (await it.next()).value === 'ready' || Promise.reject(new Error('worker did not start')),
    ),
  );
  const t0 = performance.now();
  for (const child of children) child.stdin.write('go\n');
  const counts = await Promise.all(lines.map(async (it) => Number((await it.next()).value)));
  const seconds = (performance.now() - t0) / 1000;
  await Promise.all(children.map((child) => once(child, 'exit')));
  const done = counts.reduce((a, b) => a + b, 0);
  if (done !== JOBS) throw new Error(`${mode}: ${done} of ${JOBS} jobs done`);
  return JOBS / seconds;
}

async function reproRate(server, workers) {
  const url = await database(server, `q${workers}`);
  const seed = await PgStore.connect(url);
  for (let i = 0; i < JOBS; i += 500) {
    await Promise.all(
      Array.from({ length: Math.min(500, JOBS - i) }, (_, k) =>
        seed.push({
          name: `j${i + k}`,
          config: { i: i + k, lr: 0.001 * (i + k), model: 'resnet18', data: 'cifar10' },
          config_hash: `h${i + k}`,
          sources: [],
          max_attempts: 3,
        }),
      ),
    );
  }
  await seed.close();
  return processRate('repro', url, workers);
}

/** Heartbeats per second: `workers` connections of one process extend one held lease for 2 s. */
async function heartbeatRate(server, workers) {
  const url = await database(server, `h${workers}`);
  const stores = await Promise.all(Array.from({ length: workers }, () => PgStore.connect(url)));
  await Promise.all(stores.map((s) => s.migrate()));
  await stores[0].push({ name: 'held', config: {}, config_hash: 'held', sources: [], max_attempts: 1 });
  const held = await stores[0].claim('hb', 30);
  let beats = 0;
  const until = performance.now() + 2000;
  await Promise.all(
    stores.map(async (store) => {
      while (performance.now() < until) {
        await store.heartbeat(held, 30);
        beats++;
      }
    }),
  );
  await Promise.all(stores.map((s) => s.close()));
  return beats / 2;
}

async function bareRate(server, workers) {
  const url = await database(server, `b${workers}`);
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  await admin.query(
    `CREATE TABLE bare (id serial PRIMARY KEY, state text NOT NULL DEFAULT 'queued', token uuid)`,
  );
  await admin.query(`CREATE INDEX bare_claimable ON bare (id) WHERE state = 'queued'`);
  await admin.query(`INSERT INTO bare (state) SELECT 'queued' FROM generate_series(1, ${JOBS})`);
  await admin.end();
  return processRate('bare', url, workers);
}

export async function benchQueue() {
  const server = await startPostgres({ durable: true });
  const rows = [];
  try {
    for (const workers of [1, 4, 16]) {
      const bare = await bareRate(server, workers);
      const repro = await reproRate(server, workers);
      const beats = await heartbeatRate(server, workers);
      rows.push([
        String(workers),
        `${Math.round(repro)} jobs/s`,
        `${Math.round(bare)} jobs/s`,
        `${(repro / bare).toFixed(2)}`,
        `${Math.round(beats)} /s`,
      ]);
    }
  } finally {
    server.stop();
  }
  return {
    title: 'claim + complete in PostgreSQL',
    head: ['workers', 'repro store', 'bare SKIP LOCKED loop', 'ratio', 'heartbeats'],
    rows,
    note: `${JOBS} no-op jobs per row; each worker its own process (started before the clock); a private PostgreSQL 15 cluster with its defaults (fsync and synchronous commit on). Target: at least half the bare loop's rate.`,
  };
}
