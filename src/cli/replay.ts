import { fs, join } from '../_builtins.ts';
import { sha1Hex } from '../config/hash.ts';
import { cacheDir } from '../project/cache.ts';
import { isAlive } from '../run/status.ts';
import { type CommandContext, drained, type Output } from './spec.ts';

/**
 * A big listing's output (what `repro ls` wrote to stdout and stderr) kept in the cache folder
 * under the key of everything it is a function of, and written again while that key holds: the
 * index's stamp (its rows, every run in them ended), the kept staleness verdicts' digest, the
 * options, the terminal's width and repro's own code. At 100,000 results the table is ~27 MB made
 * from 2 million cells, ~0.8 s of every `repro ls` in which nothing changed. A listing is kept
 * the second time it is asked for (the first leaves a note): keeping one costs ~2% of its
 * making, which `repro run; repro ls`, each listing of a new index, would pay for nothing.
 *
 * `from`: the fewest results a listing must have to be kept (a small one is made faster than
 * read). `piece`: how much is read and written at a time. `last`: for tests, what the last
 * listing did.
 */
export const keptListings = {
  from: 10_000,
  piece: 1 << 20,
  last: '' as '' | 'noted' | 'kept' | 'replayed',
};

/**
 * The most listings of one state of a project kept (`repro ls`, with --sort, --json, ...), the
 * most recently asked first, and the most bytes they take (the last one kept is kept whatever
 * its size). Notes of listings asked once are kept up to NOTED_PER_STATE.
 */
const KEPT_PER_STATE = 8;
const KEPT_BYTES = 256 << 20;
const NOTED_PER_STATE = 32;
/** The trailer's length: ten digits and two newlines. */
const TAIL = 12;

export interface ListingKey {
  file: string;
  key: string;
}

/**
 * Where a listing is kept: `state` is what every listing of the project's results shares now (the
 * index, repro's code), `verdicts` the staleness verdicts' digest it shows (null: not checked),
 * `asked` what else it depends on (the options, the width). Keeping one lets go of the
 * project's listings of another state or of other verdicts: none of them can be asked for again.
 */
export function listingKey(
  project: { root: string; runsRoot: string },
  state: Record<string, unknown>,
  verdicts: string | null,
  asked: Record<string, unknown>,
): ListingKey {
  const part = (value: unknown) => sha1Hex(JSON.stringify(value)).slice(0, 16);
  const whose = part([project.root, project.runsRoot]);
  const key = JSON.stringify({ project: [project.root, project.runsRoot], state, verdicts, asked });
  const name = `ls-${whose}-${part(state)}-${verdicts === null ? NONE : part(verdicts)}-${part(asked)}.out`;
  return { file: join(cacheDir(), name), key };
}

/** The verdicts' part of the name of a listing without the staleness check. */
const NONE = 'none';

interface Trailer {
  key: string;
  /** stdout's bytes and their SHA-1: a file damaged on disk is never written as if whole. */
  length: number;
  sha1: string;
  stderr: string;
}

/**
 * Writes the kept listing again, stderr then stdout, as the listing wrote them. False, with
 * nothing written, when none is kept for the key or the kept one does not check.
 */
export async function replay(kept: ListingKey, ctx: CommandContext): Promise<boolean> {
  let fd: number;
  try {
    fd = fs.openSync(kept.file, 'r');
  } catch {
    return false;
  }
  try {
    // one buffer, read into again and again: a fresh one of 27 MB cost ~0.25 s of page faults
    const { piece } = keptListings;
    let buffer = Buffer.allocUnsafe(piece);
    let trailer: Trailer | undefined;
    try {
      trailer = checked(fd, kept, buffer);
    } catch {
      // not a kept listing's file
    }
    if (!trailer) return false;
    keptListings.last = 'replayed';
    if (trailer.stderr) ctx.stderr.write(trailer.stderr);
    const out = ctx.stdout;
    for (let at = 0; at < trailer.length; ) {
      const n = fs.readSync(fd, buffer, 0, Math.min(piece, trailer.length - at), at);
      if (n === 0) break;
      at += n;
      // the buffer is read into again only once the stream has passed it on: it said true of a
      // piece above its high-water mark, or it drained
      if (out.write(buffer.subarray(0, n)) === false) {
        await drained(out);
        // a reader that went away (repro ls | head) takes nothing more
        if (out.destroyed) break;
      } else if ((out as { writableLength?: number }).writableLength) buffer = Buffer.allocUnsafe(piece);
    }
  } finally {
    fs.closeSync(fd);
  }
  // the most recently asked are the ones kept (KEPT_PER_STATE)
  try {
    const now = new Date();
    fs.utimesSync(kept.file, now, now);
  } catch {
    // kept or not, it was written
  }
  return true;
}

/** The kept listing's trailer when it is the key's and its stdout checks against its SHA-1, else undefined. */
function checked(fd: number, kept: ListingKey, buffer: Buffer): Trailer | undefined {
  const size = fs.fstatSync(fd).size;
  if (size < TAIL) return undefined;
  const tail = Buffer.alloc(TAIL);
  fs.readSync(fd, tail, 0, TAIL, size - TAIL);
  const text = tail.toString('latin1');
  if (!/^\n\d{10}\n$/.test(text)) return undefined;
  const n = Number(text.slice(1, 11));
  if (n > size - TAIL) return undefined;
  const json = Buffer.alloc(n);
  if (fs.readSync(fd, json, 0, n, size - TAIL - n) !== n) return undefined;
  const trailer = JSON.parse(json.toString('utf8')) as Trailer;
  const length = size - TAIL - n;
  if (trailer.key !== kept.key || trailer.length !== length || typeof trailer.stderr !== 'string')
    return undefined;
  const hash = process.getBuiltinModule('node:crypto').createHash('sha1');
  for (let at = 0; at < length; ) {
    const got = fs.readSync(fd, buffer, 0, Math.min(buffer.byteLength, length - at), at);
    if (got === 0) return undefined;
    hash.update(buffer.subarray(0, got));
    at += got;
  }
  return hash.digest('hex') === trailer.sha1 ? trailer : undefined;
}

/**
 * A listing not written from a kept one: recorded when it was asked for before (noted, or kept
 * and found damaged: `recording`), else noted as asked for, and undefined.
 */
export function recorder(kept: ListingKey, ctx: CommandContext): ReturnType<typeof recording> | undefined {
  const note = noteOf(kept.file);
  if (fs.existsSync(note) || fs.existsSync(kept.file)) return recording(kept, ctx);
  try {
    fs.mkdirSync(join(note, '..'), { recursive: true });
    fs.writeFileSync(note, '');
    keptListings.last = 'noted';
    prune(note);
  } catch {
    // not noted: asked for again, it is noted then
  }
  return undefined;
}

const noteOf = (file: string) => file.replace(/\.out$/, '.asked');

/**
 * A context whose stdout and stderr are also written to the kept listing's file as they go.
 * `keep()` once the listing has ended well puts it in place whole (a temporary file renamed);
 * `drop()` when it failed. A cache that cannot be written costs only time: the output is never
 * held back by it.
 */
export function recording(
  kept: ListingKey,
  ctx: CommandContext,
): { ctx: CommandContext; keep(): void; drop(): void } {
  const tmp = `${kept.file}.${process.pid}.tmp`;
  let fd: number | undefined;
  try {
    fs.mkdirSync(join(kept.file, '..'), { recursive: true });
    fd = fs.openSync(tmp, 'w');
  } catch {
    return { ctx, keep() {}, drop() {} };
  }
  const hash = process.getBuiltinModule('node:crypto').createHash('sha1');
  let length = 0;
  let stderr = '';
  const drop = () => {
    if (fd === undefined) return;
    try {
      fs.closeSync(fd);
    } catch {}
    fd = undefined;
    fs.rmSync(tmp, { force: true });
  };
  const out = ctx.stdout;
  const stdout: Output = {
    write(chunk) {
      const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
      if (fd !== undefined) {
        try {
          for (let done = 0; done < bytes.byteLength; )
            done += fs.writeSync(fd, bytes, done, bytes.byteLength - done);
          hash.update(bytes);
          length += bytes.byteLength;
        } catch {
          drop();
        }
      }
      return out.write(bytes);
    },
    columns: out.columns,
    rows: out.rows,
    isTTY: out.isTTY,
    get destroyed() {
      return out.destroyed;
    },
    once: out.once && ((event, listener) => out.once?.call(out, event, listener)),
    off: out.off && ((event, listener) => out.off?.call(out, event, listener)),
  };
  return {
    ctx: {
      ...ctx,
      stdout,
      stderr: {
        write(chunk) {
          stderr += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString();
          return ctx.stderr.write(chunk);
        },
      },
    },
    keep() {
      if (fd === undefined) return;
      try {
        const trailer: Trailer = { key: kept.key, length, sha1: hash.digest('hex'), stderr };
        const json = Buffer.from(JSON.stringify(trailer));
        const tail = Buffer.concat([json, Buffer.from(`\n${String(json.byteLength).padStart(10, '0')}\n`)]);
        for (let done = 0; done < tail.byteLength; ) done += fs.writeSync(fd, tail, done);
        fs.closeSync(fd);
        fd = undefined;
        fs.renameSync(tmp, kept.file);
        fs.rmSync(noteOf(kept.file), { force: true });
        keptListings.last = 'kept';
        prune(kept.file);
      } catch {
        drop();
      }
    },
    drop,
  };
}

/**
 * Removes the project's kept listings (and notes) of another state or of other verdicts; of the
 * rest, all but the most recently asked within KEPT_PER_STATE and KEPT_BYTES (notes:
 * NOTED_PER_STATE); and temporary files an interrupted listing left (its process gone, or an
 * hour old: a process number may be taken again).
 */
function prune(file: string): void {
  const dir = join(file, '..');
  // ls-<project>-<state>-<verdicts>-<asked>.out (or .asked: a note)
  const [, project, state, verdicts] = file.slice(dir.length + 1).split('-');
  const kept: { path: string; at: number; size: number }[] = [];
  const noted: { path: string; at: number; size: number }[] = [];
  for (const name of fs.readdirSync(dir)) {
    const parts = name.split('-');
    if (parts[0] !== 'ls' || parts[1] !== project) continue;
    const path = join(dir, name);
    const st = fs.statSync(path, { throwIfNoEntry: false });
    if (!st) continue;
    const theirs = parts[3];
    if (name.endsWith('.tmp')) {
      if (st.mtimeMs < Date.now() - 3_600_000 || !isAlive(Number(name.split('.').at(-2)), null))
        fs.rmSync(path, { force: true });
    } else if (parts[2] !== state || (theirs !== verdicts && theirs !== NONE && verdicts !== NONE))
      fs.rmSync(path, { force: true });
    else (name.endsWith('.asked') ? noted : kept).push({ path, at: st.mtimeMs, size: st.size });
  }
  const newest = (a: { at: number }, b: { at: number }) => b.at - a.at;
  let bytes = 0;
  kept.sort(newest).forEach(({ path, size }, k) => {
    bytes += size;
    if (k > 0 && (k >= KEPT_PER_STATE || bytes > KEPT_BYTES)) fs.rmSync(path, { force: true });
  });
  for (const { path } of noted.sort(newest).slice(NOTED_PER_STATE)) fs.rmSync(path, { force: true });
}
