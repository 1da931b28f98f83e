import { fs, join } from '../_builtins.ts';
import { renderTable } from '../compare/table.ts';
import type { NodeStatus } from '../graph/status.ts';
import { findProject, type Project } from '../project/project.ts';
import type { PgStore } from '../remote/store.ts';
import { SLURM_DIR } from '../run/layout.ts';
import { type CommandContext, type OptionSpec, warnTo } from './spec.ts';

/** The options that point a reading command at the store's results instead of runs/. */
export const REMOTE_OPTIONS = {
  db: {
    type: 'string',
    value: 'URL',
    description: "read the shared store's results (pulled once into a local mirror) instead of runs/",
  },
  storage: {
    type: 'string',
    value: 'URI',
    description: 'the storage those results are in, instead of the one the store names (or REPRO_STORAGE)',
  },
} as const satisfies Record<string, OptionSpec>;

/** The database and storage options of the distributed commands. */
export const DB_OPTION = {
  db: { type: 'string', value: 'URL', description: 'the PostgreSQL database (or REPRO_DB_URL)' },
} as const satisfies Record<string, OptionSpec>;
export const STORAGE_OPTION = {
  storage: {
    type: 'string',
    value: 'URI',
    description: 'the shared storage: file:///path or s3://bucket/prefix (or REPRO_STORAGE)',
  },
} as const satisfies Record<string, OptionSpec>;

/** What `status` says of the configs it was asked about, whichever source answered. */
export interface SourceStatus {
  /** name, state, why: one row per config */
  rows: string[][];
  /** the same as JSON (each source's own fields) */
  json: unknown;
  /** everything asked for is done (and, locally, not stale) */
  good: boolean;
}

/**
 * Where results come from: the project's own runs root, or the shared store. Every reading
 * command asks this one interface, so `ls`, `diff`, `plot`, `ui` and `status` mean the same
 * thing by `--db` (as sacred has one observer interface over many backends).
 */
export interface ResultSource {
  /** a project whose runs root holds the results (the store's: a local mirror, each pulled once) */
  project(): Promise<Project>;
  /** the state of the named configs (all when none) */
  status(names: string[]): Promise<SourceStatus>;
}

/** The source the options name: the store with `--db`, else this project's folders. */
export function resultSource(
  values: { db?: string | undefined; storage?: string | undefined },
  ctx: CommandContext,
): ResultSource {
  return values.db ? storeSource(values.db, values.storage, ctx) : localSource(ctx);
}

/** This project: its config folders and its runs root. */
function localSource(ctx: CommandContext): ResultSource {
  return {
    project: async () => findProject({ cwd: ctx.cwd }),
    async status(names) {
      // the graph's modules load here: a listing (ls, which only asks for project()) goes without
      const [
        { assertValid, loadGraph, topologicalOrder, upstreamOf },
        { graphStatus, isGood },
        { resolveTargets },
      ] = await Promise.all([
        import('../graph/graph.ts'),
        import('../graph/status.ts'),
        import('../graph/targets.ts'),
      ]);
      const graph = loadGraph(findProject({ cwd: ctx.cwd }));
      const named = names.length ? resolveTargets(graph, names, ctx.cwd) : undefined;
      // the whole project: a config with an error (not JSON, a cycle) is a row of its own and
      // blocks what is built on it; the rest is reported as usual
      const errors = graph.problems.filter((p) => p.severity === 'error');
      const broken = new Set(errors.flatMap((p) => p.nodes ?? []));
      const local = !named && errors.length > 0 && errors.every((p) => p.nodes?.length);
      if (!local) assertValid(graph, named, warnTo(ctx));
      const all = named ?? topologicalOrder(graph).map((n) => n.name);
      const blockedBy = (name: string) => [...upstreamOf(graph, [name])].find((u) => broken.has(u));
      const statuses = await graphStatus(
        graph,
        all.filter((n) => !blockedBy(n)),
      );
      // stages submitted to SLURM: queued or running there, or why their job left no result
      const slurm = await slurmLabelsOf(graph.project, ctx.env);
      const jobOf = (s: NodeStatus) =>
        s.state === 'missing' || s.state === 'running' ? slurm.get(s.name) : undefined;
      const rows = statuses.map((s) => {
        const job = jobOf(s);
        if (job?.label) return [s.name, job.label, s.state === 'running' ? s.reason : job.why];
        if (job && s.state === 'missing') return [s.name, s.state, job.why];
        return [
          s.name,
          s.stale.length ? `${s.state}, stale` : s.state,
          s.stale.length ? s.stale.join('; ') : s.reason,
        ];
      });
      const withJobs = statuses.map((s) => {
        const job = jobOf(s);
        return job ? { ...s, slurm: { job: job.job, state: job.state?.state ?? null, reason: job.why } } : s;
      });
      const problems = local
        ? [
            ...errors.map((p) => ({
              name: p.nodes?.[0] ?? '',
              state: 'error',
              reason: `${p.file}: ${p.message}`,
            })),
            ...all
              .filter((n) => !broken.has(n) && blockedBy(n))
              .map((n) => ({ name: n, state: 'blocked', reason: `upstream ${blockedBy(n)} has an error` })),
          ]
        : [];
      return {
        rows: [...rows, ...problems.map((p) => [p.name, p.state, p.reason])],
        json: [...withJobs, ...problems],
        good: problems.length === 0 && statuses.every(isGood),
      };
    },
  };
}

/** The shared store: its rows say the state; its done results are mirrored to be read. */
function storeSource(db: string, storageUri: string | undefined, ctx: CommandContext): ResultSource {
  const withStore = async <T>(use: (store: PgStore, url: string) => Promise<T>): Promise<T> => {
    const { dbUrl, PgStore } = await import('../remote/store.ts');
    const url = dbUrl(db, ctx.env);
    const store = await PgStore.connect(url);
    try {
      return await use(store, url);
    } finally {
      await store.close();
    }
  };
  return {
    project: () =>
      withStore(async (store, url) => {
        const [{ openStorage }, { mirrorResults }] = await Promise.all([
          import('../remote/storage.ts'),
          import('../remote/queue.ts'),
        ]);
        // the store names the storage of each result; --storage (or REPRO_STORAGE) overrides it
        const given = storageUri ?? ctx.env.REPRO_STORAGE;
        const storage = given ? openStorage(given, ctx.env) : undefined;
        const warn = (line: string) => ctx.stderr.write(`${line}\n`);
        // names then mean the store's results, not the local config files
        return {
          ...findProject({ cwd: ctx.cwd }),
          configDirs: [],
          runsRoot: await mirrorResults(store, storage, url, warn),
        };
      }),
    status: (names) =>
      withStore(async (store) => {
        const jobs = (await store.list()).filter((j) => names.length === 0 || names.includes(j.name));
        const missing = names.filter((n) => !jobs.some((j) => j.name === n));
        const why = (j: (typeof jobs)[number]) =>
          j.state === 'done'
            ? (j.result_location ?? '')
            : ((j.last_error ?? '').split('\n').filter(Boolean).pop() ??
              `${j.attempts}/${j.max_attempts} attempts`);
        return {
          rows: [
            ...jobs.map((j) => [j.name, j.state, why(j)]),
            ...missing.map((n) => [n, 'missing', 'not in the store']),
          ],
          json: {
            jobs: jobs.map(({ name, state, attempts, result_location, last_error }) => ({
              name,
              state,
              attempts,
              result_location,
              last_error,
            })),
            missing,
          },
          good: missing.length === 0 && jobs.every((j) => j.state === 'done'),
        };
      }),
  };
}

/** The SLURM labels of submitted stages; nothing is loaded or asked when none was ever submitted. */
export async function slurmLabelsOf(
  project: Project,
  env: CommandContext['env'],
): Promise<Map<string, import('../slurm/slurm.ts').StageLabel>> {
  if (!fs.existsSync(join(project.runsRoot, SLURM_DIR))) return new Map();
  const { stageLabels } = await import('../slurm/slurm.ts');
  return stageLabels(project, env);
}

/** Print a source's status as `status` does: a table, or JSON; the exit code says if all is good. */
export function renderStatus(status: SourceStatus, json: boolean): string {
  return json ? JSON.stringify(status.json, null, 2) : renderTable(['name', 'state', 'why'], status.rows);
}
