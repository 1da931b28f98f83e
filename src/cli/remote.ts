import { findProject, type Project } from '../project/project.ts';
import { mirrorResults } from '../remote/queue.ts';
import { openStorage } from '../remote/storage.ts';
import { dbUrl, PgStore } from '../remote/store.ts';
import type { CommandContext, OptionSpec } from './spec.ts';

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

/**
 * The project to read: this one, or with `--db` one whose runs root is a local mirror of the
 * store's done results (pulled once each, checked).
 */
export async function projectFor(
  values: { db?: string | undefined; storage?: string | undefined },
  ctx: CommandContext,
): Promise<Project> {
  const project = findProject({ cwd: ctx.cwd });
  if (!values.db) return project;
  const url = dbUrl(values.db, ctx.env);
  // the store names the storage of each result; --storage (or REPRO_STORAGE) overrides it
  const given = values.storage ?? ctx.env.REPRO_STORAGE;
  const storage = given ? openStorage(given, ctx.env) : undefined;
  const store = await PgStore.connect(url);
  try {
    // names then mean the store's results, not the local config files
    return {
      ...project,
      configDirs: [],
      runsRoot: await mirrorResults(store, storage, url, (line) => ctx.stderr.write(`${line}\n`)),
    };
  } finally {
    await store.close();
  }
}
