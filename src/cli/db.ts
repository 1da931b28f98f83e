import { UsageError } from '../errors.ts';
import { dbUrl, PgStore } from '../remote/store.ts';
import { DB_OPTION } from './source.ts';
import { defineCommand, print } from './spec.ts';

export default defineCommand({
  name: 'db',
  summary: 'create or upgrade the database schema',
  api: ['PgStore.migrate'],
  description: `db migrate creates or upgrades repro's tables in the PostgreSQL database (also done by itself on first use). The URL comes from --db or REPRO_DB_URL.`,
  args: [{ name: 'action', required: true, description: 'migrate' }],
  options: { ...DB_OPTION },
  examples: ['repro db migrate --db postgres://repro@db:5432/repro'],
  async run({ args, options }, ctx) {
    if (args[0] !== 'migrate')
      throw new UsageError(`repro db takes one action: migrate, not "${args[0]}"`, 'See repro db --help');
    const store = await PgStore.connect(dbUrl(options.db, ctx.env));
    try {
      const n = await store.migrate();
      print(ctx, n ? `applied ${n} migration${n === 1 ? '' : 's'}` : 'the schema is up to date');
    } finally {
      await store.close();
    }
    return 0;
  },
});
