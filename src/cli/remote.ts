import { findProject, type Project } from '../project/project.ts';
import { mirrorResults } from '../remote/queue.ts';
import { openStorage } from '../remote/storage.ts';
import { dbUrl, PgStore } from '../remote/store.ts';

/** The usage lines of REMOTE_OPTIONS, for each command's help. */
export const REMOTE_USAGE = `  --db URL        read the shared store's results (pulled once into a local mirror) instead of runs/
  --storage URI   the storage those results are in (or REPRO_STORAGE)`;

/** The options that point a reading command at the store's results instead of runs/. */
export const REMOTE_OPTIONS = { db: { type: 'string' }, storage: { type: 'string' } } as const;

/**
 * The project to read: this one, or with `--db` one whose runs root is a local mirror of the
 * store's done results (pulled once each, checked).
 */
export async function projectFor(values: { db?: string; storage?: string }): Promise<Project> {
  const project = findProject();
  if (!values.db) return project;
  const url = dbUrl(values.db);
  const storage = openStorage(values.storage);
  const store = await PgStore.connect(url);
  try {
    // names then mean the store's results, not the local config files
    return { ...project, configDirs: [], runsRoot: await mirrorResults(store, storage, url) };
  } finally {
    await store.close();
  }
}
