import { relative } from '../_builtins.ts';
import { UsageError } from '../errors.ts';
import { findProject } from '../project/project.ts';
import { pullResult } from '../remote/queue.ts';
import { openStorage } from '../remote/storage.ts';
import { dbUrl, PgStore } from '../remote/store.ts';
import { parseCommand, print } from './args.ts';

export const USAGE = `usage: repro pull NAME... [--db URL] [--storage URI]

Copies results from the shared storage into the local runs root, each file checked against
the digest recorded when it was uploaded. A local folder of the same name is never touched.`;

export async function main(argv: string[]): Promise<number> {
  const args = parseCommand(argv, { db: { type: 'string' }, storage: { type: 'string' } }, USAGE);
  if (!args) return 0;
  if (args.positionals.length === 0) throw new UsageError('repro pull needs names', USAGE);
  const storage = openStorage(args.values.storage);
  const store = await PgStore.connect(dbUrl(args.values.db));
  try {
    for (const name of args.positionals) {
      const dir = await pullResult({ name, store, storage, project: findProject() });
      print(`${name} -> ${relative(process.cwd(), dir)}`);
    }
  } finally {
    await store.close();
  }
  return 0;
}
