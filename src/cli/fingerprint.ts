import { type FingerprintLevel, fingerprint, LEVELS } from '../data/fingerprint.ts';
import { UsageError } from '../errors.ts';
import { intOption, parseCommand, print } from './args.ts';

export const USAGE = `usage: repro fingerprint <path|glob>... [--level path|list|checksum] [--allow-empty] [--threads N] [--json]

Prints the fingerprint of a set of input files, as repro records it for a run's "inputs":
the patterns (path), every matched file with size and modification time (list), and each
file's BLAKE3 content hash (as b3sum prints it) plus one hash of the whole set (checksum, the default). Folders
count with everything below them; globs are relative to the current folder.`;

export async function main(argv: string[]): Promise<number> {
  const args = parseCommand(
    argv,
    {
      level: { type: 'string' },
      'allow-empty': { type: 'boolean' },
      threads: { type: 'string' },
      json: { type: 'boolean' },
    },
    USAGE,
  );
  if (!args) return 0;
  if (args.positionals.length === 0) throw new UsageError('repro fingerprint needs paths or globs', USAGE);
  const level = (args.values.level ?? 'checksum') as FingerprintLevel;
  if (!LEVELS.includes(level)) throw new UsageError(`--level takes path, list or checksum, not "${level}"`);
  const t0 = performance.now();
  const manifest = await fingerprint(args.positionals, {
    level,
    allowEmpty: args.values['allow-empty'],
    threads: args.values.threads === undefined ? undefined : intOption(args.values.threads, 'threads', 1),
  });
  const seconds = (performance.now() - t0) / 1000;
  if (args.values.json) {
    print(JSON.stringify(manifest, null, 2));
    return 0;
  }
  if (level === 'path') {
    print(`patterns: ${manifest.patterns.join(' ')}`);
    return 0;
  }
  const mib = (manifest.bytes ?? 0) / 2 ** 20;
  const lines = [`${manifest.count} files, ${mib.toFixed(1)} MiB`];
  if (manifest.total) lines.push(`blake3 ${manifest.total}`);
  lines.push(
    `${seconds.toFixed(2)} s${manifest.total && seconds > 0 ? `, ${(mib / seconds).toFixed(0)} MiB/s` : ''}`,
  );
  print(lines.join('\n'));
  return 0;
}
