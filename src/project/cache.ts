import { fs, join, os } from '../_builtins.ts';

/**
 * repro's cache folder: `$XDG_CACHE_HOME/repro`, else `~/.cache/repro`. Everything in it is
 * derived (listings, file hashes, mirrors, a worker's staging) and may be deleted at any time.
 */
export function cacheDir(env: Readonly<Record<string, string | undefined>> = process.env): string {
  return join(env.XDG_CACHE_HOME || join(os.homedir(), '.cache'), 'repro');
}

/**
 * Replaces a cache file whole: written beside it, then renamed over it, so a reader sees the
 * old file or the new one, never half of one. A cache that cannot be written (a read-only home)
 * is skipped: losing it costs only time.
 */
export function writeCacheFile(file: string, text: string | Uint8Array): void {
  try {
    fs.mkdirSync(join(file, '..'), { recursive: true });
    const tmp = `${file}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, text);
    fs.renameSync(tmp, file);
  } catch {
    // no cache this time
  }
}
