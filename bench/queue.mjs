// Benchmark: claim + complete of no-op jobs in the PostgreSQL store with 1, 4 and 16 workers
// (each its own connection), beside a bare `FOR UPDATE SKIP LOCKED` claim loop over a minimal
// table with a partial index, in the same run; and heartbeats per second. A private cluster
// with PostgreSQL's defaults (fsync and synchronous commit on). Needs `npm run bench` (tsx).
import pg from 'pg';
import { PgStore } from '../src/remote/store.ts';
import { startPostgres } from '../test/remote/servers.ts';

const JOBS = 2000;

async function database(server, name) {
  const admin = new pg.Client({ connectionString: server.url });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS ${name}`);
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  return server.url.replace(/\/[^/]*$/, `/${name}`);
}

async function reproRate(server, workers) {
  const url = await database(server, `q${workers}`);
  const seed = await PgStore.connect(url);
  for (let i = 0; i < JOBS; i += 500) {
    await Promise.all(
      Array.from({ length: Math.min(500, JOBS - i) }, (_, k) =>
        seed.push({
          name: `j${i + k}`,
          config: { i: i + k },
          config_hash: `h${i + k}`,
          sources: [],
          max_attempts: 3,
        }),
      ),
    );
  }
  await seed.close();
  const stores = await Promise.all(Array.from({ length: workers }, () => PgStore.connect(url)));
  await Promise.all(stores.map((s) => s.migrate()));
  const t0 = performance.now();
  let done = 0;
  await Promise.all(
    stores.map(async (store, w) => {
      for (;;) {
        const lease = await store.claim(`w${w}`, 30);
        if (!lease) return;
        await store.complete(lease, `${lease.job.name}/${lease.token}`, []);
        done++;
      }
    }),
  );
  const seconds = (performance.now() - t0) / 1000;
  // heartbeats: every worker extends one held lease as fast as it can for 2 s
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
  if (done !== JOBS) throw new Error(`claimed ${done} of ${JOBS}`);
  return { rate: JOBS / seconds, beats: beats / 2 };
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
  const clients = await Promise.all(
    Array.from({ length: workers }, async () => {
      const c = new pg.Client({ connectionString: url });
      await c.connect();
      return c;
    }),
  );
  const t0 = performance.now();
  await Promise.all(
    clients.map(async (c) => {
      for (;;) {
        const r = await c.query(
          `UPDATE bare SET state = 'running', token = gen_random_uuid() WHERE id = (
             SELECT id FROM bare WHERE state = 'queued' ORDER BY id FOR UPDATE SKIP LOCKED LIMIT 1) RETURNING id, token`,
        );
        if (!r.rows[0]) return;
        await c.query(`UPDATE bare SET state = 'done' WHERE id = $1 AND token = $2`, [
          r.rows[0].id,
          r.rows[0].token,
        ]);
      }
    }),
  );
  const seconds = (performance.now() - t0) / 1000;
  await Promise.all(clients.map((c) => c.end()));
  return JOBS / seconds;
}

export async function benchQueue() {
  const server = await startPostgres({ durable: true });
  const rows = [];
  try {
    for (const workers of [1, 4, 16]) {
      const bare = await bareRate(server, workers);
      const repro = await reproRate(server, workers);
      rows.push([
        String(workers),
        `${Math.round(repro.rate)} jobs/s`,
        `${Math.round(bare)} jobs/s`,
        `${(repro.rate / bare).toFixed(2)}`,
        `${Math.round(repro.beats)} /s`,
      ]);
    }
  } finally {
    server.stop();
  }
  return {
    title: 'claim + complete in PostgreSQL',
    head: ['workers', 'repro store', 'bare SKIP LOCKED loop', 'ratio', 'heartbeats'],
    rows,
    note: `${JOBS} no-op jobs per row; each worker is a connection in one process; a private PostgreSQL 15 cluster with its defaults (fsync and synchronous commit on). Target: at least half the bare loop's rate.`,
  };
}
