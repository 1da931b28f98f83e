import { renderTable } from '../compare/table.ts';
import { UsageError } from '../errors.ts';
import { findProject } from '../project/project.ts';
import { orphanedUploads, pushConfigs } from '../remote/queue.ts';
import { openStorage } from '../remote/storage.ts';
import { dbUrl, type JobState, PgStore } from '../remote/store.ts';
import { DB_OPTION, STORAGE_OPTION } from './source.ts';
import { defineCommand, print } from './spec.ts';

const ACTIONS = ['push', 'ls', 'retry', 'cancel'];

export default defineCommand({
  name: 'queue',
  summary: 'push configs to the shared database; list, retry, cancel',
  api: ['pushConfigs', 'PgStore'],
  description: `push adds configs to the store with the configs upstream of them (an upstream with a local done result is uploaded to --storage and registered as done). The same name with the same content again is a no-op; with other content it is refused (REPRO_STORE_CONFIG_CHANGED). ls lists name, state, attempts, worker, result location and last error, and with --storage the orphaned uploads of dead attempts; ls --json prints {"jobs": [...], "orphans": [...]}. retry queues a failed or cancelled config again; cancel stops a queued or running one.

The database URL comes from --db or REPRO_DB_URL, the storage from --storage or REPRO_STORAGE (file:///path or s3://bucket/prefix). How it all works, and how to run it on SLURM, Kubernetes or over ssh: docs/distributed.md.`,
  args: [
    { name: 'action', required: true, description: 'push, ls, retry or cancel' },
    { name: 'names', variadic: true, description: 'configs to push; the one name to retry or cancel' },
  ],
  options: {
    ...DB_OPTION,
    ...STORAGE_OPTION,
    'max-attempts': {
      type: 'integer',
      default: 3,
      description: 'tries per pushed config before it is failed',
    },
    state: { type: 'string', value: 'STATE', description: 'ls: only configs in this state' },
    json: { type: 'boolean', description: 'ls: the jobs as JSON' },
  },
  examples: [
    'repro queue push configs/model*.json',
    'repro queue ls --state failed',
    'repro queue retry model3',
  ],
  async run({ args, options }, ctx) {
    const [action, ...rest] = args as [string, ...string[]];
    if (!ACTIONS.includes(action))
      throw new UsageError(
        `repro queue takes push, ls, retry or cancel, not "${action}"`,
        'See repro queue --help',
      );
    const storage = () =>
      options.storage || ctx.env.REPRO_STORAGE ? openStorage(options.storage, ctx.env) : undefined;
    const store = await PgStore.connect(dbUrl(options.db, ctx.env));
    try {
      if (action === 'push') {
        if (rest.length === 0)
          throw new UsageError('repro queue push needs configs', 'See repro queue --help');
        const out = await pushConfigs({
          targets: rest,
          store,
          storage: storage(),
          project: findProject({ cwd: ctx.cwd }),
          cwd: ctx.cwd,
          maxAttempts: options['max-attempts'],
        });
        print(
          ctx,
          renderTable(
            ['name', 'pushed'],
            out.map((o) => [o.name, o.outcome === 'same' ? 'already there' : o.outcome]),
          ),
        );
        return 0;
      }
      if (action === 'ls') {
        const jobs = await store.list(options.state as JobState | undefined);
        const from = storage();
        const orphans = from ? await orphanedUploads(store, from) : [];
        if (options.json) {
          print(ctx, JSON.stringify({ jobs, orphans }, null, 2));
          return 0;
        }
        print(
          ctx,
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
            ctx,
            `orphaned uploads (attempts that did not complete):\n${orphans.map((o) => `  ${o}`).join('\n')}`,
          );
        return 0;
      }
      const name = rest[0];
      if (!name || rest.length > 1)
        throw new UsageError(`repro queue ${action} takes one name`, 'See repro queue --help');
      const ok = action === 'retry' ? await store.retry(name) : await store.cancel(name);
      if (!ok) {
        const job = await store.get(name);
        throw new UsageError(
          job
            ? `${name} is ${job.state}: ${action === 'retry' ? 'only failed or cancelled configs are retried' : 'only queued or running configs are cancelled'}`
            : `the store has no config named "${name}"`,
        );
      }
      print(ctx, `${name}: ${action === 'retry' ? 'queued again' : 'cancelled'}`);
      return 0;
    } finally {
      await store.close();
    }
  },
});
