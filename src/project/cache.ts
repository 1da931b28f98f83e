import { join, os } from '../_builtins.ts';

/**
 * repro's cache folder: `$XDG_CACHE_HOME/repro`, else `~/.cache/repro`. Everything in it is
 * derived (listings, file hashes, mirrors, a worker's staging) and may be deleted at any time.
 */
export function cacheDir(env: Readonly<Record<string, string | undefined>> = process.env): string {
  return join(env.XDG_CACHE_HOME || join(os.homedir(), '.cache'), 'repro');
}
