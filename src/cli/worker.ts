import { findProject } from '../project/project.ts';
import { openStorage } from '../remote/storage.ts';
import { dbUrl, PgStore } from '../remote/store.ts';
import { runWorker } from '../remote/worker.ts';
import { intOption, parseCommand, print } from './args.ts';

export const USAGE = `usage: repro worker [--db URL] --storage URI [--concurrency N] [--once] [--idle-exit SECONDS] [--lease SECONDS]

Claims configs whose sources are done, stages the sources' results from the storage (each
fetched once and checked), runs each script exactly as repro run does, uploads the result
folder under <name>/<lease token>/ and marks the config done. Scripts resolve inside this
project checkout only. The database comes from --db or REPRO_DB_URL, the storage from
--storage or REPRO_STORAGE (file:///shared/path or s3://bucket/prefix; a non-AWS S3 server's
endpoint from REPRO_S3_ENDPOINT).

options:
  --concurrency N     jobs at once (default 1)
  --once              take one job per slot, then exit
  --idle-exit S       exit after S seconds without work (for SLURM arrays and k8s Jobs)
  --lease S           seconds a claim holds without a heartbeat (default 30)`;

export async function main(argv: string[]): Promise<number> {
  const args = parseCommand(
    argv,
    {
      db: { type: 'string' },
      storage: { type: 'string' },
      concurrency: { type: 'string' },
      once: { type: 'boolean' },
      'idle-exit': { type: 'string' },
      lease: { type: 'string' },
      poll: { type: 'string' },
    },
    USAGE,
  );
  if (!args) return 0;
  const storage = openStorage(args.values.storage);
  const store = await PgStore.connect(dbUrl(args.values.db));
  try {
    const summary = await runWorker({
      store,
      storage,
      project: findProject(),
      concurrency: intOption(args.values.concurrency, 'concurrency', 1),
      once: args.values.once,
      idleExit:
        args.values['idle-exit'] === undefined
          ? undefined
          : intOption(args.values['idle-exit'], 'idle-exit', 0),
      leaseSeconds: intOption(args.values.lease, 'lease', 30),
      pollMs: intOption(args.values.poll, 'poll', 1000),
    });
    print(`${summary.done} done, ${summary.failed} failed, ${summary.lost} lost`);
  } finally {
    await store.close();
  }
  return 0;
}
