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
export function writeCacheFile(file: string, text: string | Uint8Array | Iterable<Uint8Array>): void {
  try {
    writeWhole(file, text);
  } catch {
    // no cache this time
  }
}

/**
 * Writes a file whole or not at all: a temporary file beside it (parts one after the other,
 * each written before the next is asked for), renamed into place.
 */
export function writeWhole(file: string, text: string | Uint8Array | Iterable<Uint8Array>): void {
  fs.mkdirSync(join(file, '..'), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  try {
    if (typeof text === 'string' || text instanceof Uint8Array) fs.writeFileSync(tmp, text);
    else {
      const fd = fs.openSync(tmp, 'w');
      try {
        for (const part of text)
          for (let done = 0; done < part.byteLength; )
            done += fs.writeSync(fd, part, done, part.byteLength - done);
      } finally {
        fs.closeSync(fd);
      }
    }
    fs.renameSync(tmp, file);
  } catch (error) {
    fs.rmSync(tmp, { force: true });
    throw error;
  }
}

/**
 * A cache file as last parsed in this process, kept while the file's identity (inode, time,
 * size) stays: a long-lived process (the dashboard's server) and a command that asks twice parse
 * it once. What `parse` returns is shared: callers never change it in place.
 */
export class ParsedFile<T> {
  #memo: { file: string; stamp: string; value: T } | undefined;

  /** The file's value: the one kept, or `parse()` of it now (undefined when there is no file). */
  get(file: string, parse: () => T): T | undefined {
    const stamp = stampOf(file);
    if (!stamp) return undefined;
    if (this.#memo?.file !== file || this.#memo.stamp !== stamp) this.#memo = { file, stamp, value: parse() };
    return this.#memo.value;
  }

  /** Keeps what was just written to `file` as its value. */
  set(file: string, value: T): void {
    const stamp = stampOf(file);
    this.#memo = stamp ? { file, stamp, value } : undefined;
  }
}

function stampOf(file: string): string {
  const st = fs.statSync(file, { throwIfNoEntry: false });
  return st ? `${st.ino}:${st.mtimeMs}:${st.size}` : '';
}
