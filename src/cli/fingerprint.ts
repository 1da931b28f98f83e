import {
  ALGORITHMS,
  type FingerprintLevel,
  fingerprint,
  type HashAlgorithm,
  LEVELS,
} from '../data/fingerprint.ts';
import { defineCommand, print } from './spec.ts';

export default defineCommand({
  name: 'fingerprint',
  summary: 'fingerprint input data: paths, file list or checksums',
  api: ['fingerprint'],
  description: `Prints the fingerprint of input data as a run records it (docs/config.md, "Input data"): path records the patterns; list every matched file with size and modification time; checksum (the default here) also each file's BLAKE3 digest and one digest of the whole set. A file up to 64 MiB has the digest b3sum prints; a bigger one is hashed by 64 MiB blocks on every thread (algorithm blake3-64MiB: the digest split -b 64M --filter='b3sum --raw' FILE | b3sum prints); --algorithm blake3 hashes every file whole, as b3sum does. A plain path must exist (a folder counts with everything below it); a glob that matches nothing is an error unless --allow-empty. Globs are relative to the current folder. Files are hashed on --threads threads (default: all cores; this one and workers) in 128 KiB reads (a file under 256 KiB in one); a cache in $XDG_CACHE_HOME/repro (one file per project), keyed by path, size, modification time and inode, skips unchanged files. A progress line shows files and bytes per second when hashing takes more than a second on a terminal.`,
  args: [{ name: 'paths', required: true, variadic: true, description: 'files, folders or globs' }],
  options: {
    level: {
      type: 'string',
      value: 'LEVEL',
      choices: LEVELS,
      default: 'checksum',
      description: 'path, list or checksum',
    },
    algorithm: {
      type: 'string',
      value: 'NAME',
      choices: ALGORITHMS,
      default: 'blake3-64MiB',
      description: 'blake3-64MiB (files over 64 MiB by blocks, in parallel) or blake3 (every file whole)',
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
      algorithm: options.algorithm as HashAlgorithm,
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
    if (manifest.total) lines.push(`${manifest.algorithm} ${manifest.total}`);
    lines.push(
      `${seconds.toFixed(2)} s${manifest.total && seconds > 0 ? `, ${(mib / seconds).toFixed(0)} MiB/s` : ''}`,
    );
    print(ctx, lines.join('\n'));
    return 0;
  },
});
