import { findProject } from '../project/project.ts';
import { openStorage } from '../remote/storage.ts';
import { dbUrl, PgStore } from '../remote/store.ts';
import { runWorker } from '../remote/worker.ts';
import { DB_OPTION, STORAGE_OPTION } from './source.ts';
import { defineCommand, print, warnTo } from './spec.ts';

export default defineCommand({
  name: 'worker',
  summary: 'compute queued configs from the database on this machine',
  api: ['runWorker'],
  description: `Claims configs whose sources are done, stages the sources' results from the storage (each fetched once and checked), runs each script exactly as repro run does, uploads the result folder under <name>/<lease token>/ and marks the config done. Scripts resolve inside this project checkout only. The database comes from --db or REPRO_DB_URL, the storage from --storage or REPRO_STORAGE (file:///shared/path or s3://bucket/prefix; a non-AWS S3 server's endpoint from REPRO_S3_ENDPOINT). Prints "N done, N failed, N lost" when it exits.`,
  options: {
    ...DB_OPTION,
    ...STORAGE_OPTION,
    concurrency: { type: 'integer', default: 1, description: 'jobs at once' },
    once: { type: 'boolean', description: 'take one job per slot, then exit' },
    'idle-exit': {
      type: 'integer',
      value: 'SECONDS',
      description: 'exit after this long without work (for SLURM arrays and k8s Jobs)',
    },
    lease: {
      type: 'integer',
      value: 'SECONDS',
      default: 30,
      description: 'how long a claim holds without a heartbeat',
    },
    poll: {
      type: 'integer',
      value: 'MS',
      default: 1000,
      description: 'how often an idle worker asks for work',
    },
  },
  examples: ['repro worker --idle-exit 300', 'repro worker --concurrency 4 --storage s3://bucket/project'],
  async run({ options }, ctx) {
    const storage = openStorage(options.storage, ctx.env);
    const store = await PgStore.connect(dbUrl(options.db, ctx.env));
    try {
      const summary = await runWorker({
        store,
        storage,
        project: findProject({ cwd: ctx.cwd }),
        concurrency: options.concurrency,
        once: options.once,
        idleExit: options['idle-exit'],
        leaseSeconds: options.lease,
        pollMs: options.poll,
        log: warnTo(ctx),
      });
      print(ctx, `${summary.done} done, ${summary.failed} failed, ${summary.lost} lost`);
    } finally {
      await store.close();
    }
    return 0;
  },
});
