import { relative } from '../_builtins.ts';
import { findProject } from '../project/project.ts';
import { pullResult } from '../remote/queue.ts';
import { openStorage } from '../remote/storage.ts';
import { dbUrl, PgStore } from '../remote/store.ts';
import { DB_OPTION, STORAGE_OPTION } from './source.ts';
import { defineCommand, print } from './spec.ts';

export default defineCommand({
  name: 'pull',
  summary: 'copy results from the shared storage into runs/',
  api: ['pullResult'],
  description: `Copies results from the shared storage into the local runs root, each file checked against the digest recorded when it was uploaded. The store keeps where each result lies (storage URI and path), so --db (or REPRO_DB_URL) is all it needs; --storage overrides the storage. Every name, location and file path in the store's row is checked before anything is written (REPRO_STORE_BAD_ROW). A local folder of the same name is never touched.`,
  args: [{ name: 'names', required: true, variadic: true, description: "the store's config names" }],
  options: { ...DB_OPTION, ...STORAGE_OPTION },
  examples: ['repro pull model3'],
  async run({ args, options }, ctx) {
    // the store names the storage of each result; --storage (or REPRO_STORAGE) overrides it
    const given = options.storage ?? ctx.env.REPRO_STORAGE;
    const storage = given ? openStorage(given, ctx.env) : undefined;
    const store = await PgStore.connect(dbUrl(options.db, ctx.env));
    try {
      for (const name of args) {
        const dir = await pullResult({ name, store, storage, project: findProject({ cwd: ctx.cwd }) });
        print(ctx, `${name} -> ${relative(ctx.cwd, dir)}`);
      }
    } finally {
      await store.close();
    }
    return 0;
  },
});
