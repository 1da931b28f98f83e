import pg from 'pg';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { PgStore } from '../../src/remote/store.ts';
import { type Postgres, startPostgres } from './servers.ts';

let server: Postgres;
let store: PgStore;
let db = 0;
let url = '';
beforeAll(async () => {
  server = await startPostgres();
}, 60_000);
afterAll(async () => {
  await store?.close();
  server?.stop();
});
// a fresh database per test
beforeEach(async () => {
  await store?.close();
  const admin = new pg.Client({ connectionString: server.url });
  await admin.connect();
  const name = `t${process.pid}_${db++}`;
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  url = server.url.replace(/\/[^/]*$/, `/${name}`);
  store = await PgStore.connect(url);
});

const job = (name: string, sources: string[] = [], content: object = {}) => ({
  name,
  config: { script: 'x.py', ...content },
  config_hash: `h-${name}-${JSON.stringify(content)}`,
  sources,
  max_attempts: 2,
});

describe('the PostgreSQL store', () => {
  it('migrates once, and on first use', async () => {
    expect(await store.migrate()).toBe(4);
    expect(await store.migrate()).toBe(0);
  });

  it('pushes idempotently and refuses the same name with other content', async () => {
    expect(await store.push(job('a'))).toBe('added');
    expect(await store.push(job('a'))).toBe('same');
    await expect(store.push(job('a', [], { lr: 2 }))).rejects.toMatchObject({
      code: 'REPRO_STORE_CONFIG_CHANGED',
    });
  });

  it('claims only configs whose sources are done, and completes fenced by the token', async () => {
    await store.push(job('data'));
    await store.push(job('model', ['data']));
    const first = await store.claim('w1', 30);
    expect(first?.job.name).toBe('data');
    expect(await store.claim('w2', 30)).toBeNull();
    expect(await store.heartbeat(first!, 30)).toBe(true);
    expect(await store.complete(first!, 'data/tok', [{ path: 'config.json', size: 2, hash: 'x' }])).toBe(
      true,
    );
    const second = await store.claim('w2', 30);
    expect(second?.job.name).toBe('model');
  });

  it('steps over a waiting config to a free one behind it, and waits for every source', async () => {
    await store.push(job('data'));
    await store.push(job('prep'));
    await store.push(job('model', ['data', 'prep']));
    await store.push(job('other'));
    const data = await store.claim('w1', 30);
    expect(data?.job.name).toBe('data');
    const prep = await store.claim('w2', 30);
    expect(prep?.job.name).toBe('prep');
    // model waits for both; the free config queued after it is claimed first
    expect((await store.claim('w3', 30))?.job.name).toBe('other');
    await store.complete(data!, 'data/t', []);
    expect(await store.claim('w3', 30)).toBeNull();
    await store.complete(prep!, 'prep/t', []);
    expect((await store.claim('w3', 30))?.job.name).toBe('model');
  });

  it('fences a worker whose lease expired and was claimed again', async () => {
    await store.push(job('a'));
    const old = await store.claim('w1', 0.2);
    await new Promise((r) => setTimeout(r, 400));
    const fresh = await store.claim('w2', 30);
    expect(fresh?.job.name).toBe('a');
    expect(fresh?.token).not.toBe(old?.token);
    expect(await store.heartbeat(old!, 30)).toBe(false);
    expect(await store.complete(old!, 'a/old', [])).toBe(false);
    expect(await store.fail(old!, 'late')).toBe(false);
    expect(await store.complete(fresh!, 'a/new', [])).toBe(true);
    expect((await store.get('a'))?.result_location).toBe('a/new');
  });

  it('retries a failure up to max attempts, then fails with the error kept', async () => {
    await store.push(job('a'));
    const one = await store.claim('w', 30);
    await store.fail(one!, 'Traceback: boom');
    expect((await store.get('a'))?.state).toBe('queued');
    const two = await store.claim('w', 30);
    await store.fail(two!, 'Traceback: boom again');
    const row = await store.get('a');
    expect(row).toMatchObject({ state: 'failed', attempts: 2, last_error: 'Traceback: boom again' });
    expect(await store.claim('w', 30)).toBeNull();
    expect(await store.retry('a')).toBe(true);
    expect((await store.claim('w', 30))?.job.attempts).toBe(1);
  });

  it('cannot mark a row done without a result location (a CHECK constraint)', async () => {
    await store.push(job('a'));
    const raw = new pg.Client({ connectionString: url });
    await raw.connect();
    await expect(raw.query("UPDATE repro_jobs SET state = 'done' WHERE name = 'a'")).rejects.toThrow(
      /done_has_result/,
    );
    await raw.end();
  });

  it('cancels queued or running configs; a cancelled running one loses its lease', async () => {
    await store.push(job('a'));
    const lease = await store.claim('w', 30);
    expect(await store.cancel('a')).toBe(true);
    expect(await store.heartbeat(lease!, 30)).toBe(false);
    expect(await store.cancel('a')).toBe(false);
  });
});
