import type { Pool, PoolClient } from 'pg';
import { importOptional } from '../_optional.ts';
import type { JsonObject } from '../config/json.ts';
import { ReproError } from '../errors.ts';
import { isResultName } from '../run/sources.ts';

/** The states of a config in the store. A `done` row always has a result location. */
export type JobState = 'queued' | 'running' | 'done' | 'failed' | 'cancelled';

/** One config in the store. */
export interface Job {
  name: string;
  config: JsonObject;
  config_hash: string;
  sources: string[];
  state: JobState;
  attempts: number;
  max_attempts: number;
  lease_owner: string | null;
  lease_token: string | null;
  lease_expires: Date | null;
  /** Where the result lies in the shared storage, e.g. `model/<lease token>`. */
  result_location: string | null;
  /** The storage that holds it (`s3://bucket/prefix`, `file:///path`); null in rows made before it was kept. */
  result_storage: string | null;
  /** Every uploaded file with its size and BLAKE3 digest, checked on pull. */
  result_files: { path: string; size: number; hash: string }[] | null;
  last_error: string | null;
  created_at: Date;
  started_at: Date | null;
  finished_at: Date | null;
}

/** What a claim returns of its row: all a worker needs, nothing it does not (a narrower row is a faster claim). */
export type ClaimedJob = Pick<
  Job,
  | 'name'
  | 'config'
  | 'config_hash'
  | 'sources'
  | 'state'
  | 'attempts'
  | 'max_attempts'
  | 'lease_owner'
  | 'lease_token'
  | 'lease_expires'
>;

/** A config to queue. */
export type NewJob = {
  name: string;
  config: JsonObject;
  config_hash: string;
  sources: string[];
  max_attempts: number;
};
/** A config whose result already exists in the storage. */
export type DoneJob = Omit<NewJob, 'max_attempts'> & {
  location: string;
  files: Job['result_files'];
  /** The storage's URI, kept so that readers need only the database. */
  storage?: string;
};

/** A claimed job: the lease that fences every later write. */
export interface Lease {
  job: ClaimedJob;
  token: string;
}

/**
 * Where configs wait and results are registered. One implementation today (PostgreSQL);
 * another database would implement the same calls.
 */
export interface Store {
  migrate(): Promise<number>;
  push(job: NewJob): Promise<'added' | 'same'>;
  /** Registers a result that already exists (an upstream computed before it was pushed). */
  pushDone(job: DoneJob): Promise<'added' | 'same'>;
  claim(owner: string, leaseSeconds: number): Promise<Lease | null>;
  heartbeat(lease: Lease, leaseSeconds: number): Promise<boolean>;
  complete(
    lease: Lease,
    location: string,
    files: NonNullable<Job['result_files']>,
    storage?: string,
  ): Promise<boolean>;
  fail(lease: Lease, error: string): Promise<boolean>;
  list(state?: JobState): Promise<Job[]>;
  get(name: string): Promise<Job | null>;
  retry(name: string): Promise<boolean>;
  cancel(name: string): Promise<boolean>;
  close(): Promise<void>;
}

export class StoreError extends ReproError {}

/** Versioned schema changes, applied in order, each once, inside a transaction. */
const MIGRATIONS: string[] = [
  `CREATE TABLE repro_jobs (
     name text PRIMARY KEY,
     config jsonb NOT NULL,
     config_hash text NOT NULL,
     sources text[] NOT NULL DEFAULT '{}',
     state text NOT NULL DEFAULT 'queued' CHECK (state IN ('queued', 'running', 'done', 'failed', 'cancelled')),
     attempts integer NOT NULL DEFAULT 0,
     max_attempts integer NOT NULL DEFAULT 3 CHECK (max_attempts > 0),
     lease_owner text,
     lease_token uuid,
     lease_expires timestamptz,
     result_location text,
     result_files jsonb,
     last_error text,
     created_at timestamptz NOT NULL DEFAULT now(),
     started_at timestamptz,
     finished_at timestamptz,
     CONSTRAINT done_has_result CHECK (state <> 'done' OR result_location IS NOT NULL)
   )`,
  // the claim scans only what can be claimed
  `CREATE INDEX repro_jobs_claimable ON repro_jobs (created_at, name) WHERE state IN ('queued', 'running')`,
  // queued rows and running rows apart: the common claim then never steps over running rows
  `DROP INDEX repro_jobs_claimable;
   CREATE INDEX repro_jobs_queued ON repro_jobs (created_at, name) WHERE state = 'queued';
   CREATE INDEX repro_jobs_leases ON repro_jobs (lease_expires) WHERE state = 'running'`,
  // the storage a result lies in, so pull, ls --db and ui --db need only the database
  `ALTER TABLE repro_jobs ADD COLUMN result_storage text`,
];

/** A relative path with no `..`, no empty part and nothing absolute: safe to join below a folder. */
export function isSafeRelative(path: unknown): boolean {
  if (typeof path !== 'string' || path === '' || path.length > 4096 || path.includes('\0')) return false;
  if (path.startsWith('/') || path.includes('\\') || /^[A-Za-z]:/.test(path)) return false;
  return path.split('/').every((part) => part !== '' && part !== '.' && part !== '..');
}

/**
 * Why a row read from the store cannot be trusted to name paths, or null when it can: its
 * name and sources follow the result-name rules, its location is `<name>/<one part>`, its files
 * are relative paths inside the result, and its storage is a storage URI. Rows are data from a
 * shared database: they are checked before anything is written from them.
 */
export function jobProblem(job: Partial<Job> & { name: unknown }): string | null {
  if (!isResultName(job.name)) return `its name ${JSON.stringify(job.name)} is not a result name`;
  if (job.sources && !job.sources.every(isResultName)) return 'a source is not a result name';
  const location = job.result_location;
  if (location !== null && location !== undefined) {
    const parts = typeof location === 'string' ? location.split('/') : [];
    if (!isSafeRelative(location) || parts.length !== 2 || parts[0] !== job.name)
      return `its result location ${JSON.stringify(location)} is not <name>/<attempt>`;
  }
  if (job.result_files !== null && job.result_files !== undefined) {
    if (!Array.isArray(job.result_files)) return 'its file list is not a list';
    for (const f of job.result_files)
      if (!f || !isSafeRelative(f.path) || typeof f.hash !== 'string')
        return `its file list names ${JSON.stringify(f?.path)}, not a path inside the result`;
  }
  const storage = job.result_storage;
  if (storage !== null && storage !== undefined && !/^(s3|file):\/\/\S+$/.test(storage))
    return `its storage ${JSON.stringify(storage)} is not an s3:// or file:// URI`;
  return null;
}

/** The row, when it can be trusted to name paths; else a StoreError naming the row and why. */
export function checkedJob<T extends Partial<Job> & { name: string }>(job: T): T {
  const problem = jobProblem(job);
  if (problem)
    throw new StoreError(
      'REPRO_STORE_BAD_ROW',
      `the store's row ${JSON.stringify(job.name).slice(0, 80)} is refused: ${problem}`,
      'Nothing was written. Someone wrote this row by hand or the database was tampered with: fix or delete the row (repro queue cancel NAME, or SQL).',
    );
  return job;
}

/** A statement prepared once per connection (node-postgres keeps it by name): no planning per call. */
interface Prepared {
  name: string;
  text: string;
}

/**
 * The claim: the first claimable row in queue order whose sources are all done, taken with
 * FOR UPDATE SKIP LOCKED. Measured (bench/queue.mjs, docs/benchmarks.md): the readiness check
 * is an `OR` beside "no sources" and looks the sources up through `unnest` so that PostgreSQL
 * walks the queue index in order and stops at the first free row (a plain NOT EXISTS became an
 * anti-join over every queued row, then a sort: 2-7 ms per claim at 1,000 queued, 0.3 ms now),
 * and it is prepared, so it is planned once per connection.
 */
const claimStatement = (name: string, claimable: string, order: string): Prepared => ({
  name,
  text: `UPDATE repro_jobs SET state = 'running', lease_owner = $1, lease_token = $2,
           lease_expires = now() + make_interval(secs => $3), attempts = attempts + 1, started_at = now()
         WHERE name = (
           SELECT j.name FROM repro_jobs j
           WHERE ${claimable}
             AND (j.sources = '{}' OR NOT EXISTS (
               SELECT 1 FROM unnest(j.sources) AS u(name) JOIN repro_jobs s ON s.name = u.name
               WHERE s.state <> 'done'))
           ORDER BY ${order}
           FOR UPDATE SKIP LOCKED
           LIMIT 1)
         RETURNING name, config, config_hash, sources, state, attempts, max_attempts, lease_owner, lease_token, lease_expires`,
});

/** A queued config first; else one whose lease expired after an attempt that may be retried. */
const CLAIMS = [
  claimStatement('repro-claim-queued', "j.state = 'queued'", 'j.created_at, j.name'),
  claimStatement(
    'repro-claim-expired',
    "j.state = 'running' AND j.lease_expires < now() AND j.attempts < j.max_attempts",
    'j.lease_expires',
  ),
];

/** `repro_jobs` in PostgreSQL, claimed with FOR UPDATE SKIP LOCKED and fenced by lease tokens. */
export class PgStore implements Store {
  readonly #pool: Pool;
  #migrated = false;
  #reapedAt = 0;

  constructor(pool: Pool) {
    this.#pool = pool;
  }

  /** Connects to `url` (node-postgres; the pool reconnects by itself after a server restart). */
  static async connect(url: string): Promise<PgStore> {
    const pg = await importOptional('pg', 'the PostgreSQL store (--db, REPRO_DB_URL)', () => import('pg'));
    const PoolClass = (pg.default ?? pg).Pool;
    const pool = new PoolClass({ connectionString: url, max: 4, connectionTimeoutMillis: 10_000 });
    // an idle client whose server went away must not crash the process
    pool.on('error', () => {});
    return new PgStore(pool);
  }

  async #query<T>(text: string | Prepared, values: unknown[] = []): Promise<{ rows: T[]; rowCount: number }> {
    if (!this.#migrated) await this.migrate();
    const r = await this.#pool.query(typeof text === 'string' ? { text, values } : { ...text, values });
    return { rows: r.rows as T[], rowCount: r.rowCount ?? 0 };
  }

  /** Applies the migrations not yet applied; returns how many. Safe to run from many workers at once. */
  async migrate(): Promise<number> {
    const client: PoolClient = await this.#pool.connect();
    try {
      await client.query('BEGIN');
      // one migrator at a time across every process
      await client.query('SELECT pg_advisory_xact_lock(7302741)');
      await client.query(
        'CREATE TABLE IF NOT EXISTS repro_migrations (version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())',
      );
      const { rows } = await client.query<{ v: number | null }>(
        'SELECT max(version) AS v FROM repro_migrations',
      );
      const current = rows[0]?.v ?? 0;
      let applied = 0;
      for (let v = current + 1; v <= MIGRATIONS.length; v++) {
        await client.query(MIGRATIONS[v - 1] as string);
        await client.query('INSERT INTO repro_migrations (version) VALUES ($1)', [v]);
        applied++;
      }
      await client.query('COMMIT');
      this.#migrated = true;
      return applied;
    } catch (error) {
      await client.query('ROLLBACK').catch(() => {});
      throw error;
    } finally {
      client.release();
    }
  }

  async push(job: NewJob): Promise<'added' | 'same'> {
    const r = await this.#query(
      `INSERT INTO repro_jobs (name, config, config_hash, sources, max_attempts) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (name) DO NOTHING`,
      [job.name, job.config, job.config_hash, job.sources, job.max_attempts],
    );
    return r.rowCount === 1 ? 'added' : this.#same(job.name, job.config_hash);
  }

  async pushDone(job: DoneJob): Promise<'added' | 'same'> {
    const r = await this.#query(
      `INSERT INTO repro_jobs (name, config, config_hash, sources, state, result_location, result_files, result_storage, finished_at)
       VALUES ($1, $2, $3, $4, 'done', $5, $6, $7, now()) ON CONFLICT (name) DO NOTHING`,
      [
        job.name,
        job.config,
        job.config_hash,
        job.sources,
        job.location,
        JSON.stringify(job.files),
        job.storage ?? null,
      ],
    );
    return r.rowCount === 1 ? 'added' : this.#same(job.name, job.config_hash);
  }

  async #same(name: string, hash: string): Promise<'same'> {
    return assertSameConfig(await this.get(name), name, hash);
  }

  async claim(owner: string, leaseSeconds: number): Promise<Lease | null> {
    const token = crypto.randomUUID();
    // runs whose lease expired after their last attempt fail here, so they do not wait forever;
    // every few seconds is enough, and keeps a statement off each claim
    if (Date.now() - this.#reapedAt > 5000) {
      this.#reapedAt = Date.now();
      await this.#reap();
    }
    // a queued config first; else one whose lease expired (its worker is gone)
    for (const claim of CLAIMS) {
      const { rows } = await this.#query<ClaimedJob>(claim, [owner, token, leaseSeconds]);
      const job = rows[0];
      if (job) return { job, token };
    }
    return null;
  }

  async #reap(): Promise<void> {
    await this.#query(
      `UPDATE repro_jobs SET state = 'failed', last_error = coalesce(last_error, '') || 'the lease expired on the last attempt (worker gone?)', finished_at = now()
       WHERE state = 'running' AND lease_expires < now() AND attempts >= max_attempts`,
    );
  }

  async heartbeat(lease: Lease, leaseSeconds: number): Promise<boolean> {
    const r = await this.#query(
      {
        name: 'repro-heartbeat',
        text: `UPDATE repro_jobs SET lease_expires = now() + make_interval(secs => $3)
               WHERE name = $1 AND lease_token = $2 AND state = 'running'`,
      },
      [lease.job.name, lease.token, leaseSeconds],
    );
    return r.rowCount === 1;
  }

  async complete(
    lease: Lease,
    location: string,
    files: NonNullable<Job['result_files']>,
    storage?: string,
  ): Promise<boolean> {
    const r = await this.#query(
      {
        name: 'repro-complete',
        text: `UPDATE repro_jobs SET state = 'done', result_location = $3, result_files = $4, result_storage = $5, finished_at = now(), last_error = NULL
               WHERE name = $1 AND lease_token = $2 AND state = 'running'`,
      },
      [lease.job.name, lease.token, location, JSON.stringify(files), storage ?? null],
    );
    return r.rowCount === 1;
  }

  async fail(lease: Lease, error: string): Promise<boolean> {
    const r = await this.#query(
      `UPDATE repro_jobs SET state = CASE WHEN attempts >= max_attempts THEN 'failed' ELSE 'queued' END,
         last_error = $3, lease_owner = NULL, lease_token = NULL, lease_expires = NULL,
         finished_at = CASE WHEN attempts >= max_attempts THEN now() ELSE NULL END
       WHERE name = $1 AND lease_token = $2 AND state = 'running'`,
      [lease.job.name, lease.token, error.slice(-8000)],
    );
    return r.rowCount === 1;
  }

  async list(state?: JobState): Promise<Job[]> {
    const { rows } = await this.#query<Job>(
      `SELECT * FROM repro_jobs ${state ? 'WHERE state = $1' : ''} ORDER BY created_at, name`,
      state ? [state] : [],
    );
    return rows;
  }

  async get(name: string): Promise<Job | null> {
    const { rows } = await this.#query<Job>('SELECT * FROM repro_jobs WHERE name = $1', [name]);
    return rows[0] ?? null;
  }

  async retry(name: string): Promise<boolean> {
    const r = await this.#query(
      `UPDATE repro_jobs SET state = 'queued', attempts = 0, lease_owner = NULL, lease_token = NULL, lease_expires = NULL, finished_at = NULL
       WHERE name = $1 AND state IN ('failed', 'cancelled')`,
      [name],
    );
    return r.rowCount === 1;
  }

  async cancel(name: string): Promise<boolean> {
    const r = await this.#query(
      `UPDATE repro_jobs SET state = 'cancelled', lease_owner = NULL, lease_token = NULL, lease_expires = NULL, finished_at = now()
       WHERE name = $1 AND state IN ('queued', 'running')`,
      [name],
    );
    return r.rowCount === 1;
  }

  async close(): Promise<void> {
    await this.#pool.end();
  }
}

/** A config already in the store must have the same content: configs are immutable. */
export function assertSameConfig(existing: Job | null, name: string, hash: string): 'same' {
  if (existing && existing.config_hash !== hash) {
    throw new StoreError(
      'REPRO_STORE_CONFIG_CHANGED',
      `the store already has a config named "${name}" with other content; configs are immutable`,
      `Clone the config under a new name (repro clone configs/${name}.json ...) and push that.`,
    );
  }
  return 'same';
}

/** The database URL: --db, else REPRO_DB_URL. */
export function dbUrl(
  flag: string | undefined,
  env: Readonly<Record<string, string | undefined>> = process.env,
): string {
  const url = flag ?? env.REPRO_DB_URL;
  if (!url) {
    throw new StoreError('REPRO_NO_DB', 'no database given');
  }
  return url;
}
