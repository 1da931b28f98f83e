import { renderTable } from '../compare/table.ts';
import { UsageError } from '../errors.ts';
import { findProject } from '../project/project.ts';
import { orphanedUploads, pushConfigs } from '../remote/queue.ts';
import { openStorage } from '../remote/storage.ts';
import { dbUrl, type JobState, PgStore } from '../remote/store.ts';
import { intOption, parseCommand, print } from './args.ts';

export const USAGE = `usage: repro queue push <config>... [--db URL] [--storage URI] [--max-attempts N]
       repro queue ls [--state S] [--storage URI] [--json] [--db URL]
       repro queue retry NAME [--db URL]
       repro queue cancel NAME [--db URL]

push adds configs to the store with the configs upstream of them (an upstream with a local
result is uploaded to --storage and registered as done). The same name with the same content
again is a no-op; with other content it is refused. ls lists name, state, attempts, worker,
result location and last error, and with --storage the orphaned uploads of dead attempts.
retry queues a failed or cancelled config again; cancel stops a queued or running one.`;

export async function main(argv: string[]): Promise<number> {
  const args = parseCommand(
    argv,
    {
      db: { type: 'string' },
      storage: { type: 'string' },
      'max-attempts': { type: 'string' },
      state: { type: 'string' },
      json: { type: 'boolean' },
    },
    USAGE,
  );
  if (!args) return 0;
  const [sub, ...rest] = args.positionals;
  if (!sub || !['push', 'ls', 'retry', 'cancel'].includes(sub))
    throw new UsageError('repro queue takes push, ls, retry or cancel', USAGE);
  const store = await PgStore.connect(dbUrl(args.values.db));
  try {
    if (sub === 'push') {
      if (rest.length === 0) throw new UsageError('repro queue push needs configs', USAGE);
      const storage =
        args.values.storage || process.env.REPRO_STORAGE ? openStorage(args.values.storage) : undefined;
      const out = await pushConfigs({
        targets: rest,
        store,
        storage,
        project: findProject(),
        maxAttempts: intOption(args.values['max-attempts'], 'max-attempts', 3),
      });
      print(
        renderTable(
          ['name', 'pushed'],
          out.map((o) => [o.name, o.outcome === 'same' ? 'already there' : o.outcome]),
        ),
      );
      return 0;
    }
    if (sub === 'ls') {
      const jobs = await store.list(args.values.state as JobState | undefined);
      const orphans =
        args.values.storage || process.env.REPRO_STORAGE
          ? await orphanedUploads(store, openStorage(args.values.storage))
          : [];
      if (args.values.json) {
        print(JSON.stringify({ jobs, orphans }, null, 2));
        return 0;
      }
      print(
        jobs.length
          ? renderTable(
              ['name', 'state', 'attempts', 'worker', 'result', 'last error'],
              jobs.map((j) => [
                j.name,
                j.state,
                `${j.attempts}/${j.max_attempts}`,
                j.state === 'running' ? (j.lease_owner ?? '') : '',
                j.result_location ?? '',
                (j.last_error ?? '').split('\n').filter(Boolean).pop()?.slice(0, 60) ?? '',
              ]),
            )
          : 'the queue is empty',
      );
      if (orphans.length)
        print(
          `orphaned uploads (attempts that did not complete):\n${orphans.map((o) => `  ${o}`).join('\n')}`,
        );
      return 0;
    }
    const name = rest[0];
    if (!name || rest.length > 1) throw new UsageError(`repro queue ${sub} takes one name`, USAGE);
    const ok = sub === 'retry' ? await store.retry(name) : await store.cancel(name);
    if (!ok) {
      const job = await store.get(name);
      throw new UsageError(
        job
          ? `${name} is ${job.state}: ${sub === 'retry' ? 'only failed or cancelled configs are retried' : 'only queued or running configs are cancelled'}`
          : `the store has no config named "${name}"`,
      );
    }
    print(`${name}: ${sub === 'retry' ? 'queued again' : 'cancelled'}`);
    return 0;
  } finally {
    await store.close();
  }
}
