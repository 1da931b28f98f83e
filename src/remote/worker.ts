import { fs, join, os } from '../_builtins.ts';
import { sha256Hex } from '../config/hash.ts';
import { cacheDir as reproCacheDir } from '../project/cache.ts';
import type { Project } from '../project/project.ts';
import { runConfig } from '../run/runner.ts';
import { downloadFolder, type Storage, uploadFolder } from './storage.ts';
import { checkedJob, jobProblem, type Lease, type Store } from './store.ts';

export interface WorkerOptions {
  store: Store;
  storage: Storage;
  /** The worker's own project checkout: scripts resolve inside it, and only there. */
  project: Project;
  /** Jobs at once. @default 1 */
  concurrency?: number;
  /** Take at most one job per slot, then exit. @default false */
  once?: boolean;
  /** Exit after this many seconds without a job to take. @default never */
  idleExit?: number;
  /** How long a claim holds without a heartbeat; heartbeats come every third of it. @default 30 */
  leaseSeconds?: number;
  /** How often to look for work when there is none, in ms. @default 1000 */
  pollMs?: number;
  /** Where staged sources and attempts live. @default ~/.cache/repro/worker */
  workDir?: string;
  /** The name the worker claims as (host and pid). */
  owner?: string;
  log?: (line: string) => void;
}

export interface WorkerSummary {
  done: number;
  failed: number;
  lost: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Calls the store again after a connection error (a restarted or unreachable server), waiting
 * 0.25 s, 0.5 s, ... up to 8 s between tries, for up to `patienceMs`. Other errors go through.
 */
async function withReconnect<T>(
  what: () => Promise<T>,
  log: (l: string) => void,
  patienceMs = 180_000,
): Promise<T> {
  const start = Date.now();
  for (let wait = 250; ; wait = Math.min(wait * 2, 8000)) {
    try {
      return await what();
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? '';
      const transient =
        /ECONNREFUSED|ECONNRESET|EPIPE|ETIMEDOUT|57P01|57P02|57P03|08006|08001|08003/.test(code) ||
        /Connection terminated|terminating connection|the database system is (starting up|shutting down)/i.test(
          (error as Error).message,
        );
      if (!transient || Date.now() - start > patienceMs) throw error;
      log(`repro worker: database unreachable (${code || (error as Error).message}); again in ${wait} ms`);
      await sleep(wait);
    }
  }
}

/**
 * `repro worker`: claims configs whose sources are done, stages each source's result from the
 * storage into a local cache (fetched once, checked against its digests), runs the script
 * exactly as `repro run` does, uploads the result folder under `<name>/<lease token>/` and
 * completes, fenced by the lease token: a worker whose lease expired and was claimed again can
 * neither extend nor complete, so exactly one attempt's upload is ever registered.
 */
export async function runWorker(options: WorkerOptions): Promise<WorkerSummary> {
  const log = options.log ?? ((l: string) => process.stderr.write(`${l}\n`));
  const owner = options.owner ?? `${os.hostname()}:${process.pid}`;
  const leaseSeconds = options.leaseSeconds ?? 30;
  const workDir = options.workDir ?? join(reproCacheDir(), 'worker');
  const cacheDir = join(workDir, 'cache');
  fs.mkdirSync(cacheDir, { recursive: true });
  const summary: WorkerSummary = { done: 0, failed: 0, lost: 0 };
  let stopping = false;
  const stop = () => {
    stopping = true;
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);

  const slot = async () => {
    let idleSince = Date.now();
    while (!stopping) {
      const lease = await withReconnect(() => options.store.claim(owner, leaseSeconds), log);
      if (!lease) {
        if (options.once) return;
        if (options.idleExit !== undefined && Date.now() - idleSince >= options.idleExit * 1000) return;
        await sleep(options.pollMs ?? 1000);
        continue;
      }
      const outcome = await work(lease);
      summary[outcome]++;
      idleSince = Date.now();
      if (options.once) return;
    }
  };

  const work = async (lease: Lease): Promise<keyof WorkerSummary> => {
    const { job, token } = lease;
    // a row is data from a shared database: its name becomes a path only once checked
    const problem = jobProblem(job);
    if (problem) {
      await withReconnect(() => options.store.fail(lease, `refused: ${problem}`), log).catch(() => {});
      log(`repro worker: refused the row ${JSON.stringify(job.name).slice(0, 80)}: ${problem}`);
      return 'failed';
    }
    const attemptDir = join(workDir, 'attempts', token);
    const runsRoot = join(attemptDir, 'runs');
    fs.mkdirSync(runsRoot, { recursive: true });
    const abort = new AbortController();
    let lost = false;
    const beat = setInterval(
      () => {
        withReconnect(() => options.store.heartbeat(lease, leaseSeconds), log, leaseSeconds * 1000)
          .then((ok) => {
            if (!ok && !lost) {
              lost = true;
              log(
                `repro worker: lost the lease on ${job.name} (expired and claimed again, or cancelled); stopping it`,
              );
              abort.abort();
            }
          })
          .catch(() => {});
      },
      (leaseSeconds * 1000) / 3,
    );
    log(`repro worker: ${job.name} (attempt ${job.attempts} of ${job.max_attempts})`);
    try {
      // stage each source once into the cache, checked, then link it beside the run
      for (const source of job.sources) {
        const row = await withReconnect(() => options.store.get(source), log);
        if (!row?.result_location) throw new Error(`source ${source} has no result in the store`);
        const up = checkedJob(row);
        const location = up.result_location as string;
        const cached = join(cacheDir, `${source}-${sha256Hex(location).slice(0, 16)}`);
        if (!fs.existsSync(cached)) {
          try {
            await downloadFolder(options.storage, location, up.result_files ?? [], cached);
          } catch (error) {
            // another slot fetched it meanwhile
            if (!fs.existsSync(cached)) throw error;
          }
        }
        fs.symlinkSync(cached, join(runsRoot, source));
      }
      const configFile = join(attemptDir, `${job.name}.json`);
      fs.writeFileSync(configFile, JSON.stringify(job.config, null, 2));
      const { Writable } = process.getBuiltinModule('node:stream');
      const tail: Buffer[] = [];
      const errors = new Writable({
        write(chunk: Buffer, _e, done) {
          tail.push(chunk);
          while (tail.length > 64) tail.shift();
          done();
        },
      });
      const result = await runConfig({
        config: configFile,
        project: { ...options.project, runsRoot },
        cwd: options.project.root,
        quiet: true,
        handleSignals: false,
        signal: abort.signal,
        stdout: new Writable({ write: (_c, _e, done) => done() }),
        stderr: errors,
      });
      if (lost) return 'lost';
      if (result.status !== 'done') {
        const why = `exit ${result.exitCode}: ${Buffer.concat(tail).toString('utf8').slice(-4000)}`;
        await withReconnect(() => options.store.fail(lease, why), log);
        log(`repro worker: ${job.name} failed (${why.split('\n')[0]})`);
        return 'failed';
      }
      const location = `${job.name}/${token}`;
      let files: Awaited<ReturnType<typeof uploadFolder>>;
      try {
        files = await uploadFolder(options.storage, result.dir, location);
      } catch (error) {
        await withReconnect(
          () => options.store.fail(lease, `upload failed: ${(error as Error).message}`),
          log,
        );
        log(
          `repro worker: ${job.name}: upload failed (${(error as Error).message}); the attempt is failed, nothing registered`,
        );
        return 'failed';
      }
      const completed = await withReconnect(
        () => options.store.complete(lease, location, files, options.storage.uri),
        log,
      );
      if (!completed) {
        log(`repro worker: ${job.name}: the lease was lost before completion; ${location} stays an orphan`);
        return 'lost';
      }
      log(`repro worker: ${job.name} done -> ${options.storage.uri.replace(/\/$/, '')}/${location}`);
      return 'done';
    } catch (error) {
      if (lost) return 'lost';
      const message = (error as Error).message;
      await withReconnect(() => options.store.fail(lease, message), log).catch(() => {});
      log(`repro worker: ${job.name} failed: ${message}`);
      return 'failed';
    } finally {
      clearInterval(beat);
      fs.rmSync(attemptDir, { recursive: true, force: true });
    }
  };

  try {
    await Promise.all(Array.from({ length: Math.max(1, options.concurrency ?? 1) }, slot));
  } finally {
    process.off('SIGTERM', stop);
    process.off('SIGINT', stop);
  }
  return summary;
}
