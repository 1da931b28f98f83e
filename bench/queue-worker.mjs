// One worker process of bench/queue.mjs: connects, says `ready`, waits for `go` on stdin, then
// claims and completes jobs until none is left and prints how many it did. `bare` claims from
// the minimal table of the baseline; `repro` goes through the PostgreSQL store.
//   node --import tsx bench/queue-worker.mjs bare|repro URL OWNER
import { once } from 'node:events';
import pg from 'pg';
import { PgStore } from '../src/remote/store.ts';

const [mode, url, owner] = process.argv.slice(2);

async function bare() {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  return {
    async loop() {
      let done = 0;
      for (;;) {
        const r = await c.query(
          `UPDATE bare SET state = 'running', token = gen_random_uuid() WHERE id = (
             SELECT id FROM bare WHERE state = 'queued' ORDER BY id FOR UPDATE SKIP LOCKED LIMIT 1) RETURNING id, token`,
        );
        if (!r.rows[0]) return done;
        await c.query(`UPDATE bare SET state = 'done' WHERE id = $1 AND token = $2`, [
          r.rows[0].id,
          r.rows[0].token,
        ]);
        done++;
      }
    },
    close: () => c.end(),
  };
}

async function repro() {
  const store = await PgStore.connect(url);
  await store.migrate();
  return {
    async loop() {
      let done = 0;
      for (;;) {
        const lease = await store.claim(owner, 30);
        if (!lease) return done;
        await store.complete(lease, `${lease.job.name}/${lease.token}`, []);
        done++;
      }
    },
    close: () => store.close(),
  };
}

const worker = mode === 'bare' ? await bare() : await repro();
process.stdout.write('ready\n');
process.stdin.setEncoding('utf8');
await once(process.stdin, 'data');
const done = await worker.loop();
process.stdout.write(`${done}\n`);
await worker.close();
process.stdin.destroy();
