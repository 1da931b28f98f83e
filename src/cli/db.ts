import { UsageError } from '../errors.ts';
import { dbUrl, PgStore } from '../remote/store.ts';
import { parseCommand, print } from './args.ts';

export const USAGE = `usage: repro db migrate [--db URL]

Creates or upgrades repro's tables in the PostgreSQL database (also done by itself on first
use). The URL comes from --db or REPRO_DB_URL.`;

export async function main(argv: string[]): Promise<number> {
  const args = parseCommand(argv, { db: { type: 'string' } }, USAGE);
  if (!args) return 0;
  if (args.positionals[0] !== 'migrate' || args.positionals.length > 1)
    throw new UsageError('repro db takes one subcommand: migrate', USAGE);
  const store = await PgStore.connect(dbUrl(args.values.db));
  try {
    const n = await store.migrate();
    print(n ? `applied ${n} migration${n === 1 ? '' : 's'}` : 'the schema is up to date');
  } finally {
    await store.close();
  }
  return 0;
}
