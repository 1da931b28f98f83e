import { type FingerprintLevel, fingerprint, LEVELS } from '../data/fingerprint.ts';
import { defineCommand, print } from './spec.ts';

export default defineCommand({
  name: 'fingerprint',
  summary: 'fingerprint input data: paths, file list or checksums',
  api: ['fingerprint'],
  description: `Prints the fingerprint of input data as a run records it (docs/config.md, "Input data"): path records the patterns; list every matched file with size and modification time; checksum (the default here) also each file's BLAKE3 digest (the one b3sum prints) and one digest of the whole set. A plain path must exist (a folder counts with everything below it); a glob that matches nothing is an error unless --allow-empty. Globs are relative to the current folder. Files are hashed on worker threads (--threads, default: all cores) in 1 MiB reads; a cache in $XDG_CACHE_HOME/repro/hashes-v2.json, keyed by path, size, modification time and inode, skips unchanged files. A progress line shows files and bytes per second when hashing takes more than a second on a terminal.`,
  args: [{ name: 'paths', required: true, variadic: true, description: 'files, folders or globs' }],
  options: {
    level: {
      type: 'string',
      value: 'LEVEL',
      choices: LEVELS,
      default: 'checksum',
      description: 'path, list or checksum',
    },
    'allow-empty': { type: 'boolean', description: 'a glob that matches nothing is no error' },
    threads: { type: 'integer', description: 'hashing threads (default: all cores)' },
    json: { type: 'boolean', description: 'the whole manifest as JSON' },
  },
  examples: ["repro fingerprint 'data/raw/**/*.txt'", 'repro fingerprint data --level list --json'],
  async run({ args, options }, ctx) {
    const level = options.level as FingerprintLevel;
    const t0 = performance.now();
    const manifest = await fingerprint(args, {
      level,
      allowEmpty: options['allow-empty'],
      threads: options.threads,
      root: ctx.cwd,
    });
    const seconds = (performance.now() - t0) / 1000;
    if (options.json) {
      print(ctx, JSON.stringify(manifest, null, 2));
      return 0;
    }
    if (level === 'path') {
      print(ctx, `patterns: ${manifest.patterns.join(' ')}`);
      return 0;
    }
    const mib = (manifest.bytes ?? 0) / 2 ** 20;
    const lines = [`${manifest.count} files, ${mib.toFixed(1)} MiB`];
    if (manifest.total) lines.push(`blake3 ${manifest.total}`);
    lines.push(
      `${seconds.toFixed(2)} s${manifest.total && seconds > 0 ? `, ${(mib / seconds).toFixed(0)} MiB/s` : ''}`,
    );
    print(ctx, lines.join('\n'));
    return 0;
  },
});
