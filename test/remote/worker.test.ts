import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { findProject } from '../../src/project/project.ts';
import { orphanedUploads, pullResult, pushConfigs } from '../../src/remote/queue.ts';
import { openStorage, type Storage } from '../../src/remote/storage.ts';
import { PgStore } from '../../src/remote/store.ts';
import { runWorker } from '../../src/remote/worker.ts';
import { CLI, makeProject, runCli, runRepro } from '../helpers.ts';
import { createBucket, type Postgres, type S3Server, startPostgres, startS3 } from './servers.ts';

const STAGE = `import json, os, sys, time
cfg = json.load(open(sys.argv[sys.argv.index("-c") + 1]))
out = os.environ["REPRO_RUN_DIR"]
value = 0
if "source" in cfg:
    value = int(open(os.path.join(os.path.dirname(out), cfg["source"], "value")).read())
time.sleep(cfg.get("sleep", 0))
if cfg.get("fail"):
    print("Traceback: the stage failed on purpose", file=sys.stderr)
    sys.exit(3)
open(os.path.join(out, "value"), "x").write(str(value + cfg.get("add", 1)))
`;

let server: Postgres;
let scratch: string;
let db = 0;
let url = '';
beforeAll(async () => {
  server = await startPostgres();
  scratch = mkdtempSync(join(tmpdir(), 'repro-worker-'));
}, 60_000);
afterAll(() => {
  server?.stop();
  rmSync(scratch, { recursive: true, force: true });
});
beforeEach(async () => {
  const admin = new pg.Client({ connectionString: server.url });
  await admin.connect();
  const name = `w${process.pid}_${db++}`;
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  url = server.url.replace(/\/[^/]*$/, `/${name}`);
});

function project(configs: Record<string, object> = {}) {
  return makeProject({
    'stage.py': STAGE,
    'noop.sh': 'true\n',
    'configs/data.json': { script: 'stage.py', add: 1 },
    'configs/features.json': { script: 'stage.py', source: 'data', add: 10 },
    'configs/model.json': { script: 'stage.py', source: 'features', add: 100 },
    ...Object.fromEntries(Object.entries(configs).map(([k, v]) => [`configs/${k}.json`, v])),
  });
}

function worker(
  root: string,
  storage: string,
  args: string[] = [],
  env: Record<string, string> = {},
): { child: ChildProcess; done: Promise<{ code: number | null; out: string }> } {
  const child = spawn(
    process.execPath,
    [CLI, 'worker', '--db', url, '--storage', storage, '--poll', '100', ...args],
    {
      cwd: root,
      env: { ...process.env, XDG_CACHE_HOME: join(scratch, `cache-${Math.random()}`), ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let out = '';
  child.stdout?.on('data', (c) => {
    out += c;
  });
  child.stderr?.on('data', (c) => {
    out += c;
  });
  return { child, done: new Promise((r) => child.on('close', (code) => r({ code, out }))) };
}

describe('rows are data, not paths', () => {
  it('refuses crafted names, locations and file paths before writing anything', async () => {
    const root = project();
    const storage = `file://${join(scratch, `store${db}`)}`;
    const store = await PgStore.connect(url);
    await store.migrate();
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    const insert = (name: string, location: string, files: object, state = 'done') =>
      client.query(
        `INSERT INTO repro_jobs (name, config, config_hash, sources, state, result_location, result_files, result_storage)
         VALUES ($1, '{"script": "stage.py"}', 'h', '{}', $4, $2, $3, $5)`,
        [name, location, JSON.stringify(files), state, storage],
      );
    const outsideDir = join(scratch, `outsideDir${db}`);
    await insert(`../../../../${outsideDir.slice(1)}`, `../../../../${outsideDir.slice(1)}/x`, []);
    await insert('evilfiles', 'evilfiles/t', [{ path: '../../outside.txt', size: 1, hash: 'x' }]);
    await insert('evilloc', '../../etc/x', []);
    await insert('../queued', '', [], 'queued');
    try {
      for (const name of ['evilfiles', 'evilloc']) {
        const r = await runRepro(root, ['pull', name, '--db', url]);
        expect(r.code, name).toBe(1);
        expect(r.stderr).toContain(`error: the store's row "${name}" is refused`);
      }
      const ls = await runRepro(root, ['ls', '--db', url], {
        env: { XDG_CACHE_HOME: join(scratch, `mirror-evil${db}`) },
      });
      expect(ls.stderr).toContain("left out the store's row");
      expect(existsSync(outsideDir)).toBe(false);
      expect(existsSync(join(root, 'outside.txt'))).toBe(false);
      expect(existsSync(join(root, '..', 'outside.txt'))).toBe(false);
      // a worker refuses the crafted queued row and fails it, writing nothing from its name
      const w = worker(root, storage, ['--once']);
      const out = await w.done;
      expect(out.out).toContain('refused the row "../queued"');
      const row = await store.get('../queued');
      expect(row?.last_error).toContain('refused: its name');
    } finally {
      await client.end();
      await store.close();
    }
  });
});

describe('workers on a shared database and storage', () => {
  it('push, two workers, pull: the pipeline is computed in order and pulled back checked', async () => {
    const root = project();
    const storage = `file://${join(scratch, `store${db}`)}`;
    const pushed = await runRepro(root, ['queue', 'push', 'model', '--db', url]);
    expect(pushed.code).toBe(0);
    expect(pushed.stdout).toMatch(/data\s+added\nfeatures\s+added\nmodel\s+added/);
    // again: nothing changes
    expect((await runRepro(root, ['queue', 'push', 'model', '--db', url])).stdout).toContain('already there');
    const a = worker(root, storage, ['--idle-exit', '2']);
    const b = worker(root, storage, ['--idle-exit', '2']);
    const [ra, rb] = await Promise.all([a.done, b.done]);
    expect(ra.code).toBe(0);
    expect(rb.code).toBe(0);
    const ls = await runRepro(root, ['queue', 'ls', '--db', url, '--json']);
    const jobs = JSON.parse(ls.stdout).jobs as { name: string; state: string; result_location: string }[];
    expect(jobs.map((j) => [j.name, j.state])).toEqual([
      ['data', 'done'],
      ['features', 'done'],
      ['model', 'done'],
    ]);
    // the store knows where the result lies: --db is all pull needs
    const pulled = await runRepro(root, ['pull', 'model', '--db', url]);
    expect(pulled.stdout, pulled.stderr).toBe('model -> runs/model\n');
    expect(readFileSync(join(root, 'runs/model/value'), 'utf8')).toBe('111');
    expect(JSON.parse(readFileSync(join(root, 'runs/model/end.json'), 'utf8')).status).toBe('done');
    // pulling again never touches the local copy
    expect((await runRepro(root, ['pull', 'model', '--db', url, '--storage', storage])).code).toBe(1);

    // ls, diff, plot and status read the store's results with --db (and no --storage)
    const remote = ['--db', url];
    const env = { XDG_CACHE_HOME: join(scratch, `mirror${db}`) };
    const remoteLs = await runCli(root, ['ls', ...remote, '--columns', 'name,status,add'], { env });
    expect(remoteLs.stdout).toBe(
      'name      status  add\ndata      done    1\nfeatures  done    10\nmodel     done    100\n',
    );
    const diff = await runCli(root, ['diff', 'features', 'model', ...remote], { env });
    // (JSONB keeps keys in its own order: the store's configs list "add" before "source")
    expect(diff.stdout).toMatch(/^name\s+add\s+source\nfeatures\s+10\s+data\nmodel\s+100\s+features\n$/);
    const status = await runRepro(root, ['status', '--db', url, 'model', 'nope']);
    expect(status.code).toBe(1);
    expect(status.stdout).toMatch(/model\s+done\s+model\/[0-9a-f-]{36}\nnope\s+missing\s+not in the store/);
  }, 60_000);

  it('works the same through S3 (moto): upstream uploaded by push, computed, pulled', async () => {
    let s3: S3Server | undefined;
    try {
      s3 = await startS3();
      await createBucket(s3, 'shared');
      const root = project();
      const storage = 's3://shared/results';
      // data is computed here first: push uploads it for the workers
      expect((await runRepro(root, ['run', 'configs/data.json', '-q'])).code).toBe(0);
      const pushed = await runCli(root, ['queue', 'push', 'features', '--db', url, '--storage', storage], {
        env: s3.env,
      });
      expect(pushed.stdout).toMatch(/data\s+uploaded\nfeatures\s+added/);
      const r = await worker(root, storage, ['--idle-exit', '1'], s3.env).done;
      expect(r.out).toContain('1 done, 0 failed, 0 lost');
      await runCli(root, ['pull', 'features', '--db', url, '--storage', storage], { env: s3.env });
      expect(readFileSync(join(root, 'runs/features/value'), 'utf8')).toBe('11');
    } finally {
      s3?.stop();
    }
  }, 60_000);

  it('a config pushed again with other content is refused', async () => {
    const root = project();
    await runRepro(root, ['queue', 'push', 'data', '--db', url]);
    const changed = makeProject({ 'configs/data.json': { script: 'stage.py', add: 2 } });
    const r = await runRepro(changed, ['queue', 'push', 'data', '--db', url]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('already has a config named "data" with other content');
  });

  it('survives a worker killed with SIGKILL: another computes it after the lease expires, one result recorded', async () => {
    const root = project({ slow: { script: 'stage.py', sleep: 3 } });
    const storage = `file://${join(scratch, `store${db}`)}`;
    await runRepro(root, ['queue', 'push', 'slow', '--db', url]);
    const store = await PgStore.connect(url);
    try {
      const dead = worker(root, storage, ['--lease', '2', '--once']);
      // kill it while its script runs
      let running = false;
      for (let i = 0; i < 200 && !running; i++) {
        running = (await store.get('slow'))?.state === 'running';
        if (!running) await new Promise((r) => setTimeout(r, 50));
      }
      expect(running).toBe(true);
      dead.child.kill('SIGKILL');
      await dead.done;
      const deadToken = (await store.get('slow'))?.lease_token;
      const alive = worker(root, storage, ['--lease', '2', '--idle-exit', '4']);
      const r = await alive.done;
      expect(r.code).toBe(0);
      const row = await store.get('slow');
      expect(row).toMatchObject({ state: 'done', attempts: 2 });
      expect(row?.result_location).not.toBe(`slow/${deadToken}`);
      const keys = await openStorage(storage).list('slow/');
      expect(new Set(keys.map((k) => k.split('/')[1]))).toEqual(
        new Set([row?.result_location?.split('/')[1]]),
      );
    } finally {
      await store.close();
    }
  }, 60_000);

  it('retries a failing script up to max attempts, then fails with the error tail stored', async () => {
    const root = project({ broken: { script: 'stage.py', fail: true } });
    const storage = `file://${join(scratch, `store${db}`)}`;
    await runRepro(root, ['queue', 'push', 'broken', '--db', url, '--max-attempts', '2']);
    const r = await worker(root, storage, ['--idle-exit', '1']).done;
    expect(r.out).toContain('0 done, 2 failed, 0 lost');
    const ls = await runRepro(root, ['queue', 'ls', '--db', url]);
    expect(ls.stdout).toMatch(/broken\s+failed\s+2\/2\s+.*Traceback: the stage failed on purpose/);
    expect((await runRepro(root, ['queue', 'retry', 'broken', '--db', url])).stdout).toBe(
      'broken: queued again\n',
    );
  }, 60_000);

  it('fails the attempt when the storage fails during upload, registers nothing, and succeeds on retry', async () => {
    const root = project();
    const store = await PgStore.connect(url);
    const real = openStorage(`file://${join(scratch, `store${db}`)}`);
    let puts = 0;
    // fault injection: the second upload of the first attempt fails
    const flaky: Storage = {
      uri: real.uri,
      put: async (key, file) => {
        puts++;
        if (puts === 2) throw new Error('injected: connection reset during upload');
        return real.put(key, file);
      },
      get: (key, file) => real.get(key, file),
      list: (prefix) => real.list(prefix),
    };
    try {
      await pushConfigs({ targets: ['data'], store, project: findProject({ cwd: root }) });
      const summary = await runWorker({
        store,
        storage: flaky,
        project: findProject({ cwd: root }),
        once: false,
        idleExit: 0,
        pollMs: 50,
        workDir: join(scratch, `work${db}`),
        log: () => {},
      });
      expect(summary).toEqual({ done: 1, failed: 1, lost: 0 });
      const row = await store.get('data');
      expect(row).toMatchObject({ state: 'done', attempts: 2 });
      const orphans = await orphanedUploads(store, real);
      expect(orphans).toHaveLength(1);
      expect(orphans[0]).not.toBe(row?.result_location);
      // the registered result is whole
      const dir = await pullResult({
        name: 'data',
        store,
        storage: real,
        project: findProject({ cwd: root }),
      });
      expect(readFileSync(join(dir, 'value'), 'utf8')).toBe('1');
    } finally {
      await store.close();
    }
  }, 60_000);

  it('carries on when PostgreSQL restarts while workers run', async () => {
    if (!server.restart)
      throw new Error(
        'REPRO_TEST_DB_URL is set: this test restarts its own server and cannot run against an external one',
      );
    const configs = Object.fromEntries(
      Array.from({ length: 8 }, (_, i) => [`p${i}`, { script: 'stage.py', sleep: 0.4, add: i }]),
    );
    const root = project(configs);
    const storage = `file://${join(scratch, `store${db}`)}`;
    await runRepro(root, ['queue', 'push', ...Object.keys(configs), '--db', url]);
    const w = worker(root, storage, ['--idle-exit', '3']);
    await new Promise((r) => setTimeout(r, 1200));
    server.restart();
    const r = await w.done;
    expect(r.code).toBe(0);
    const store = await PgStore.connect(url);
    try {
      const rows = await store.list();
      expect(rows.every((j) => j.state === 'done')).toBe(true);
      expect(rows.every((j) => j.attempts === 1)).toBe(true);
    } finally {
      await store.close();
    }
  }, 90_000);

  it('4 worker processes, 500 no-op jobs: none lost, none twice, every result location valid', async () => {
    const root = project();
    const storage = `file://${join(scratch, `store${db}`)}`;
    const store = await PgStore.connect(url);
    try {
      for (let i = 0; i < 500; i++) {
        await store.push({
          name: `n${i}`,
          config: { script: 'noop.sh', i },
          config_hash: `h${i}`,
          sources: [],
          max_attempts: 3,
        });
      }
      const workers = Array.from({ length: 4 }, () => worker(root, storage, ['--idle-exit', '2']));
      const results = await Promise.all(workers.map((w) => w.done));
      // each worker's closing line: "N done, N failed, N lost"
      const counted = results.map((r) =>
        Number(/^(\d+) done, 0 failed, 0 lost$/m.exec(r.out)?.[1] ?? Number.NaN),
      );
      expect(counted.reduce((a, b) => a + b, 0)).toBe(500);
      const rows = await store.list();
      expect(rows.filter((j) => j.state === 'done')).toHaveLength(500);
      expect(rows.every((j) => j.attempts === 1)).toBe(true);
      const keys = await openStorage(storage).list('');
      const prefixes = new Set(keys.map((k) => k.split('/').slice(0, 2).join('/')));
      expect(prefixes.size).toBe(500);
      for (const j of rows)
        expect(existsSync(join(new URL(storage).pathname, j.result_location as string, 'config.json'))).toBe(
          true,
        );
    } finally {
      await store.close();
    }
  }, 180_000);
});
