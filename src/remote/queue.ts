import { join, relative } from '../_builtins.ts';
import { hashConfig } from '../config/hash.ts';
import { loadConfig } from '../config/load.ts';
import { ReproError } from '../errors.ts';
import { assertValid, loadGraph, topologicalOrder, upstreamOf } from '../graph/graph.ts';
import { resolveTargets } from '../graph/targets.ts';
import type { Project } from '../project/project.ts';
import { RUN_FILES } from '../run/layout.ts';
import { readRunState } from '../run/status.ts';
import { downloadFolder, openStorage, type Storage, uploadFolder } from './storage.ts';
import { assertSameConfig, checkedJob, type Job, jobProblem, type Store } from './store.ts';

export interface PushOptions {
  /** Config names, files or result folders. */
  targets: readonly string[];
  store: Store;
  /** Needed when an upstream config already has a local result: it is uploaded for the workers. */
  storage?: Storage;
  project: Project;
  /** Where target paths resolve. @default process.cwd() */
  cwd?: string;
  /** @default 3 */
  maxAttempts?: number;
}

export interface PushOutcome {
  name: string;
  outcome: 'added' | 'same' | 'uploaded';
}

/**
 * `repro queue push`: adds configs to the store with the configs upstream of them. An upstream
 * whose result exists locally (and is done) is uploaded to the storage and registered as done,
 * so workers can read it; one without a result is queued too. Pushing the same name with the
 * same content again does nothing; with other content it is refused (configs are immutable).
 */
export async function pushConfigs(options: PushOptions): Promise<PushOutcome[]> {
  const graph = loadGraph(options.project);
  const wanted = resolveTargets(graph, options.targets, options.cwd ?? process.cwd());
  assertValid(graph, wanted);
  const out: PushOutcome[] = [];
  for (const node of topologicalOrder(graph, upstreamOf(graph, wanted))) {
    const isTarget = wanted.includes(node.name);
    const done = !isTarget && node.result && readRunState(node.result).status === 'done';
    if (done && node.result) {
      // an upstream computed here: register its result
      const config = loadConfig(join(node.result, RUN_FILES.config), { name: node.name }).config;
      const existing = await options.store.get(node.name);
      if (existing) {
        out.push({ name: node.name, outcome: assertSameConfig(existing, node.name, hashConfig(config)) });
        continue;
      }
      if (!options.storage) {
        throw new ReproError(
          'REPRO_PUSH_NO_STORAGE',
          `${node.name} has a local result that the workers need, but no storage was given to upload it to`,
        );
      }
      const location = `${node.name}/local-${crypto.randomUUID()}`;
      const files = await uploadFolder(options.storage, node.result, location);
      await options.store.pushDone({
        name: node.name,
        config,
        config_hash: hashConfig(config),
        sources: node.sources,
        location,
        files,
        storage: options.storage.uri,
      });
      out.push({ name: node.name, outcome: 'uploaded' });
      continue;
    }
    if (!node.file) {
      throw new ReproError(
        'REPRO_PUSH_NO_CONFIG',
        `${node.name} has no config file and no finished result to push`,
        `Configs live in ${options.project.configDirs.map((d) => relative(options.project.root, d)).join(', ')}.`,
      );
    }
    const config = node.config;
    out.push({
      name: node.name,
      outcome: await options.store.push({
        name: node.name,
        config,
        config_hash: hashConfig(config),
        sources: node.sources,
        max_attempts: options.maxAttempts ?? 3,
      }),
    });
  }
  return out;
}

/** `repro pull`: copies a done result from the storage into the local runs root, checked file by file. */
export async function pullResult(options: {
  name: string;
  store: Store;
  /** Overrides the storage the store names for the result. @default the row's result_storage */
  storage?: Storage;
  project: Project;
}): Promise<string> {
  const row = await options.store.get(options.name);
  if (!row) throw new ReproError('REPRO_NOT_IN_STORE', `the store has no config named "${options.name}"`);
  const job = checkedJob(row);
  if (job.state !== 'done' || !job.result_location) {
    throw new ReproError('REPRO_NOT_DONE', `${options.name} is ${job.state} in the store, not done`);
  }
  const storage = options.storage ?? storageOf(job);
  const dir = join(options.project.runsRoot, options.name);
  const { fs } = await import('../_builtins.ts');
  if (fs.existsSync(dir)) {
    throw new ReproError(
      'REPRO_RESULT_EXISTS',
      `${relative(process.cwd(), dir)} already exists locally; results are never overwritten`,
      'Remove or move the local copy first if it is not the same result.',
    );
  }
  fs.mkdirSync(options.project.runsRoot, { recursive: true });
  await downloadFolder(storage, job.result_location, job.result_files ?? [], dir);
  return dir;
}

/** The storage a done row names; a row from before rows kept it needs --storage. */
function storageOf(job: Job): Storage {
  if (!job.result_storage)
    throw new ReproError(
      'REPRO_NO_STORAGE',
      `the store does not say which storage holds ${job.name} (a row from before repro kept it)`,
      'Give it: --storage s3://bucket/prefix (or REPRO_STORAGE).',
    );
  return openStorage(job.result_storage);
}

/** Uploads under `<name>/<token>/` that no row names as its result: attempts that died or lost their lease. */
export async function orphanedUploads(store: Store, storage: Storage): Promise<string[]> {
  const jobs = await store.list();
  const orphans: string[] = [];
  for (const job of jobs) {
    const keys = await storage.list(`${job.name}/`);
    const prefixes = new Set(keys.map((k) => k.split('/').slice(0, 2).join('/')));
    for (const p of prefixes)
      if (p !== job.result_location && !(job.state === 'running' && p === `${job.name}/${job.lease_token}`))
        orphans.push(p);
  }
  return orphans;
}

/**
 * A local mirror of the store's results, for `ls`, `diff`, `plot` and `status --db`: every done
 * result is pulled once (checked) into `$XDG_CACHE_HOME/repro/remote/<store>/runs`, whose path
 * is returned to be used as a runs root.
 */
export async function mirrorResults(
  store: Store,
  storage: Storage | undefined,
  url: string,
  warn: (line: string) => void = (line) => process.stderr.write(`${line}\n`),
): Promise<string> {
  const { fs } = await import('../_builtins.ts');
  const { sha256Hex } = await import('../config/hash.ts');
  const { cacheDir } = await import('../project/cache.ts');
  const root = join(cacheDir(), 'remote', sha256Hex(`${url}\n${storage?.uri ?? ''}`).slice(0, 16), 'runs');
  fs.mkdirSync(root, { recursive: true });
  for (const job of await store.list('done')) {
    // a row that cannot be trusted with paths is left out, and said
    const problem = jobProblem(job);
    if (problem) {
      warn(`repro: warning: left out the store's row ${JSON.stringify(job.name).slice(0, 80)}: ${problem}`);
      continue;
    }
    const dir = join(root, job.name);
    // a mirror named after the location: a result pulled before stays as it was
    if (!job.result_location || fs.existsSync(dir)) continue;
    const from = storage ?? (job.result_storage ? openStorage(job.result_storage) : undefined);
    if (!from) {
      warn(
        `repro: warning: left out ${job.name}: the store does not say which storage holds it (give --storage)`,
      );
      continue;
    }
    await downloadFolder(from, job.result_location, job.result_files ?? [], dir);
  }
  return root;
}
