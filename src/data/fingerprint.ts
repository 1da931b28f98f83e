import { fs, isAbsolute, join, os, relative, resolve, sep } from '../_builtins.ts';
import { sha256Hex } from '../config/hash.ts';
import { isJsonObject } from '../config/json.ts';
import { ReproError } from '../errors.ts';
import { cacheDir, writeCacheFile } from '../project/cache.ts';
import { filesBelow } from '../project/files.ts';

/**
 * How much repro records about a run's input data (adjustable paranoia):
 * - `path`: the patterns only;
 * - `list`: every matched file with size and modification time;
 * - `checksum`: also each file's content hash and one hash of the whole set.
 */
export type FingerprintLevel = 'path' | 'list' | 'checksum';
export const LEVELS: readonly FingerprintLevel[] = ['path', 'list', 'checksum'];

/** One input file in a manifest. */
export interface FileEntry {
  /** Relative to the project root (or absolute outside it). */
  path: string;
  size: number;
  mtime_ms: number;
  /**
   * BLAKE3, 64 hex digits (checksum level): for a file up to 64 MiB the digest b3sum prints;
   * over 64 MiB under `blake3-64MiB`, the digest of its 64 MiB blocks' digests.
   */
  hash?: string;
}

/** What a run's inputs were: saved as inputs.json in the result folder. */
export interface Manifest {
  level: FingerprintLevel;
  /**
   * How files were hashed (checksum level): `blake3-64MiB` (a file over 64 MiB by 64 MiB blocks,
   * on every thread; smaller files whole) or `blake3` (every file whole, as b3sum; manifests
   * written before 0.1.0's block digest).
   */
  algorithm: string | null;
  patterns: string[];
  files: FileEntry[] | null;
  count: number | null;
  bytes: number | null;
  /** One hash of the whole set: BLAKE3 over the lines `<path>\0<hash>\n`, sorted by path (checksum level). */
  total: string | null;
}

export interface FingerprintOptions {
  /** @default "checksum" */
  level?: FingerprintLevel;
  /** Paths and patterns are relative to this folder. @default process.cwd() */
  root?: string;
  /** An empty data set is almost always a mistake; pass true when it is not. @default false */
  allowEmpty?: boolean;
  /** Worker threads for hashing. @default os.availableParallelism() */
  threads?: number;
  /**
   * How files are hashed (checksum level): give the algorithm of a manifest to compare with.
   * @default "blake3-64MiB"
   */
  algorithm?: HashAlgorithm;
  /** Keep hashes between calls, keyed by path, size, modification time and inode. @default true */
  cache?: boolean;
  /** Progress on stderr when it takes longer than a second and stderr is a terminal. @default true */
  progress?: boolean;
  /**
   * The files were hashed before and are expected unchanged (a staleness check): worker threads
   * start only once the cache has left hashing to do, not while the files are stat'ed (a
   * thread's start costs ~60 ms of CPU on some hosts, for nothing when every file is cached).
   * @default false
   */
  cached?: boolean;
}

export class InputsEmptyError extends ReproError {
  constructor(patterns: string[]) {
    super(
      'REPRO_INPUTS_EMPTY',
      `the inputs ${patterns.map((p) => `"${p}"`).join(', ')} match no file; an empty data set is almost always a mistake`,
      'Check the pattern and the folder it is relative to (the project root), or allow it: "inputs_allow_empty": true in the config, --allow-empty on the command line.',
    );
  }
}

export class InputUnreadableError extends ReproError {
  constructor(file: string, reason: string) {
    super(
      'REPRO_INPUT_UNREADABLE',
      `cannot read input ${file}: ${reason}`,
      'Check that the file exists and is readable, then run again.',
    );
  }
}

/** `blake3-64MiB`: files over 64 MiB hashed by blocks (the default); `blake3`: every file whole. */
export type HashAlgorithm = 'blake3' | 'blake3-64MiB';
export const ALGORITHMS: readonly HashAlgorithm[] = ['blake3-64MiB', 'blake3'];

type HashModule = {
  /** The block size of `blake3-64MiB`. */
  BLOCK: number;
  hashFile: (path: string, size?: number) => string;
  hashText: (text: string) => string;
  fileDigest: (path: string, size: number, algorithm: HashAlgorithm) => string;
  blockCount: (size: number) => number;
  joinBlocks: (hexDigests: string[]) => string;
  /** One batch of the work, taken from the threads' shared counter; undefined when none is left. */
  claimBatch: (work: HashWork) => { batch: number; outcomes: Outcome[] } | undefined;
};

/**
 * Work for every hashing thread (hash-worker.js's claimBatch): the pieces, batch `b` being
 * `pieces[bounds[b]]` up to `pieces[bounds[b + 1]]`, and the shared counter of batches taken.
 */
interface HashWork {
  pieces: { path: string; block: number; size: number }[];
  bounds: number[];
  shared: Int32Array;
}
let hashModule: HashModule | undefined;
const WORKER = new URL('./hash-worker.js', import.meta.url);

/** BLAKE3 of files and text (the same code the worker threads run). */
export async function hasher(): Promise<HashModule> {
  hashModule ??= (await import(WORKER.href)) as HashModule;
  return hashModule;
}

/** A segment of a path that a glob reads as a pattern (picomatch's own syntax included). */
const GLOB_MAGIC = /[*?[\]{}()!+@]/;

/**
 * The files a set of patterns matches, sorted, relative to root. A plain path names a file (or
 * a folder, for everything below it) that must exist; a glob may match nothing.
 */
export async function matchInputs(patterns: readonly string[], root: string): Promise<string[]> {
  // tinyglobby (with picomatch and fdir) is loaded only for a glob: plain paths and folders need none
  const glob = async (pattern: string, cwd: string) =>
    (await import('tinyglobby')).globSync(pattern, { cwd, dot: true });
  // a glob is walked from the folder its fixed leading part names, and its matches named from
  // the root as the library names them: from a pattern that starts with ../ the library walked
  // far more (230 ms against 30 ms for the example's 6,000 e-mails)
  const globFromBase = async (pattern: string): Promise<string[]> => {
    const parts = pattern.split('/');
    const k = parts.findIndex((part) => GLOB_MAGIC.test(part));
    const rest = parts.slice(k);
    if (k <= 0 || rest.includes('..') || rest.includes('.')) return glob(pattern, root);
    const base = resolve(root, parts.slice(0, k).join('/') || '/');
    const named = relative(root, base);
    const found = await glob(rest.join('/'), base);
    return named ? found.map((f) => `${named}/${f}`) : found;
  };
  const out = new Set<string>();
  for (const pattern of patterns) {
    if (!/[*?[\]{}]/.test(pattern)) {
      const abs = resolve(root, pattern);
      const st = fs.statSync(abs, { throwIfNoEntry: false });
      // a file named outright must be there (a link to nothing counts as missing)
      if (!st) throw new InputUnreadableError(pattern, 'no such file (or a link to nothing)');
      if (st.isDirectory()) {
        const folder = relative(root, abs);
        for (const f of filesBelow(abs) ?? (await glob('**/*', abs))) out.add(below(folder, f));
      } else out.add(relative(root, abs));
      continue;
    }
    for (const f of await globFromBase(pattern)) out.add(f);
  }
  return [...out].sort();
}

/**
 * `base/path` for a normalized relative path (the glob's, relative()'s), as join() gives it but
 * without its normalizing, which thousands of files feel; a path that climbs (`../../data/x`, as
 * the example's e-mails are named) joins its climb once and then the rest.
 */
function below(base: string, path: string): string {
  if (base === '') return path;
  if (sep !== '/') return join(base, path);
  if (path.startsWith('..')) {
    let k = 0;
    while (path.startsWith('../', k)) k += 3;
    const rest = path.slice(k);
    // only a climb from an absolute folder, then plain names: anything else is join()'s
    if (k === 0 || rest === '' || !isAbsolute(base) || /(^|\/)\.\.?(\/|$)/.test(rest))
      return join(base, path);
    const key = `${base}\0${k}`;
    let up = climbs.get(key);
    if (up === undefined) {
      up = join(base, path.slice(0, k));
      climbs.set(key, up);
    }
    return up.endsWith('/') ? `${up}${rest}` : `${up}/${rest}`;
  }
  return `${base.endsWith('/') ? base.slice(0, -1) : base}/${path}`;
}
/** below()'s climbs, joined once: a folder and how many levels up (few of them in a process). */
const climbs = new Map<string, string>();

/**
 * The fingerprint of a set of inputs at a level. At `checksum` level files are hashed with
 * BLAKE3 in parallel on this thread and worker threads (this one only for small sets), read in
 * 128 KiB pieces; a file over 64 MiB is cut in 64 MiB blocks hashed in parallel too
 * (`blake3-64MiB`). A cache
 * keyed by path, size, modification time and inode skips files that did not change.
 * BLAKE3, not XXH3-128: as fast here (native, SIMD), a cryptographic hash, and a file up to
 * 64 MiB has the digest `b3sum` prints (a bigger one, what
 * `split -b 64M --filter='b3sum --raw' FILE | b3sum` prints), so anyone can check a manifest
 * without repro.
 */
export async function fingerprint(
  patterns: readonly string[],
  options: FingerprintOptions = {},
): Promise<Manifest> {
  const level = options.level ?? 'checksum';
  const algorithm = options.algorithm ?? 'blake3-64MiB';
  if (!ALGORITHMS.includes(algorithm))
    throw new ReproError(
      'REPRO_BAD_ALGORITHM',
      `unknown hash algorithm "${algorithm}"`,
      `Algorithms: ${ALGORITHMS.join(', ')}. A manifest naming another was written by a newer repro: update repro.`,
    );
  if (!LEVELS.includes(level))
    throw new ReproError(
      'REPRO_BAD_LEVEL',
      `unknown paranoia level "${level}"`,
      `Levels: ${LEVELS.join(', ')}.`,
    );
  const root = resolve(options.root ?? process.cwd());
  const base: Manifest = {
    level,
    algorithm: null,
    patterns: [...patterns],
    files: null,
    count: null,
    bytes: null,
    total: null,
  };
  if (level === 'path') return base;
  const files = await matchInputs(patterns, root);
  if (files.length === 0 && !options.allowEmpty) throw new InputsEmptyError([...patterns]);
  const threads = options.threads ?? os.availableParallelism();
  // this many files will be hashed on threads (unless the cache knows them): the threads start
  // now, while the files are stat'ed and the cache is read
  const early =
    level === 'checksum' && threads > 1 && files.length >= THREAD_THRESHOLD_FILES && !options.cached
      ? startWorkers(threads - 1)
      : [];
  try {
    return await checksums(files, { ...options, level, algorithm, root, threads }, base, early);
  } finally {
    for (const w of early) void w.terminate();
  }
}

/** fingerprint's work after the glob: stats, and at `checksum` level the digests. */
async function checksums(
  files: string[],
  options: FingerprintOptions & {
    level: FingerprintLevel;
    algorithm: HashAlgorithm;
    root: string;
    threads: number;
  },
  base: Manifest,
  early: Worker[],
): Promise<Manifest> {
  const { level, algorithm, root } = options;
  const entries: (FileEntry & { ino: number; abs: string })[] = files.map((path) => {
    const abs = isAbsolute(path) ? path : below(root, path);
    let st: import('node:fs').Stats;
    try {
      st = fs.statSync(abs);
    } catch (error) {
      throw new InputUnreadableError(path, (error as NodeJS.ErrnoException).code ?? String(error));
    }
    return { path, size: st.size, mtime_ms: st.mtimeMs, ino: st.ino, abs };
  });
  const manifest: Manifest = {
    ...base,
    count: entries.length,
    bytes: entries.reduce((a, e) => a + e.size, 0),
  };
  if (level === 'list')
    return { ...manifest, files: entries.map(({ path, size, mtime_ms }) => ({ path, size, mtime_ms })) };

  // checksum: the cache first, then hash what is left
  const cache = options.cache === false ? new Map<string, CachedHash>() : readHashCache(root);
  const { blockCount } = await hasher();
  // a big file hashed whole (for an old manifest) has another digest: cached under its own key
  const key = (e: { abs: string; size: number }) =>
    algorithm === 'blake3' && blockCount(e.size) > 0 ? `${e.abs}\0blake3` : e.abs;
  const todo = entries.filter((e) => {
    const c = cache.get(key(e));
    if (c && c[0] === e.size && c[1] === e.mtime_ms && c[2] === e.ino) {
      e.hash = c[3];
      return false;
    }
    return true;
  });
  if (todo.length) {
    const hashes = await hashAll(
      todo.map((e) => ({ path: e.abs, size: e.size })),
      algorithm,
      options.threads,
      options.progress ?? true,
      early,
    );
    for (const e of todo) {
      const h = hashes.get(e.abs) as { hash?: string; error?: string };
      if (h.error) throw new InputUnreadableError(e.path, h.error);
      e.hash = h.hash;
      cache.set(key(e), [e.size, e.mtime_ms, e.ino, h.hash as string]);
    }
    if (options.cache !== false) writeHashCache(root, cache);
  }
  const total = (await hasher()).hashText(entries.map((e) => `${e.path}\0${e.hash}\n`).join(''));
  return {
    ...manifest,
    algorithm,
    total,
    files: entries.map(({ path, size, mtime_ms, hash }) => ({ path, size, mtime_ms, hash: hash as string })),
  };
}

/** Below this much work, threads cost more to start than they save. */
const THREAD_THRESHOLD_BYTES = 64 << 20;
const THREAD_THRESHOLD_FILES = 512;

type Worker = import('node:worker_threads').Worker;

/** Worker threads running hash-worker.js. */
function startWorkers(count: number): Worker[] {
  const { Worker } = process.getBuiltinModule('node:worker_threads');
  return Array.from({ length: count }, () => new Worker(WORKER));
}

type Outcome = { hash?: string; error?: string };

async function hashAll(
  files: { path: string; size: number }[],
  algorithm: HashAlgorithm,
  threads: number,
  progress: boolean,
  early: Worker[] = [],
): Promise<Map<string, Outcome>> {
  const out = new Map<string, Outcome>();
  const bytes = files.reduce((a, f) => a + f.size, 0);
  const meter = progressMeter(files.length, bytes, progress);
  const { fileDigest, blockCount, joinBlocks, claimBatch, BLOCK } = await hasher();
  const attempt = (hash: () => string): Outcome => {
    try {
      return { hash: hash() };
    } catch (error) {
      return { error: (error as NodeJS.ErrnoException).code ?? String(error) };
    }
  };
  if (threads <= 1 || (bytes < THREAD_THRESHOLD_BYTES && files.length < THREAD_THRESHOLD_FILES)) {
    for (const f of files) {
      out.set(
        f.path,
        attempt(() => fileDigest(f.path, f.size, algorithm)),
      );
      meter.add(1, f.size);
    }
    meter.done();
    return out;
  }
  // the work: whole files, and the 64 MiB blocks of big ones, so one big file keeps every thread busy
  type Piece = { file: number; block: number; bytes: number };
  const pieces: Piece[] = [];
  const parts = files.map((f, file) => {
    const blocks = algorithm === 'blake3-64MiB' ? blockCount(f.size) : 0;
    if (blocks === 0) pieces.push({ file, block: -1, bytes: f.size });
    for (let block = 0; block < blocks; block++)
      pieces.push({ file, block, bytes: Math.min(BLOCK, f.size - block * BLOCK) });
    return {
      digests: new Array<string>(blocks),
      left: Math.max(1, blocks),
      error: undefined as string | undefined,
    };
  });
  // batches of ~8 MiB or 64 pieces, largest first, so the threads finish together
  pieces.sort((a, b) => b.bytes - a.bytes);
  const bounds = [0];
  let batchBytes = 0;
  pieces.forEach((p, i) => {
    batchBytes += p.bytes;
    if (
      batchBytes >= 8 << 20 ||
      i + 1 - (bounds[bounds.length - 1] as number) >= 64 ||
      i === pieces.length - 1
    ) {
      bounds.push(i + 1);
      batchBytes = 0;
    }
  });
  const finish = (p: Piece, r: Outcome) => {
    const part = parts[p.file] as (typeof parts)[number];
    if (r.error) part.error ??= r.error;
    else if (p.block >= 0) part.digests[p.block] = r.hash as string;
    else out.set((files[p.file] as { path: string }).path, r);
    if (--part.left > 0) return;
    const f = files[p.file] as { path: string; size: number };
    if (part.error) out.set(f.path, { error: part.error });
    else if (p.block >= 0) out.set(f.path, { hash: joinBlocks(part.digests) });
    meter.add(1, f.size);
  };
  const finishBatch = (batch: number, outcomes: Outcome[]) => {
    const first = bounds[batch] as number;
    for (const [k, r] of outcomes.entries()) finish(pieces[first + k] as Piece, r);
  };
  // this thread hashes too, beside threads - 1 workers (started early when the caller could).
  // Every thread takes the next batch from one shared counter: none waits for another to hand
  // out work (a worker sent batches by this thread waited while this one hashed 64 MiB blocks,
  // and held the last ones while this one was done: ~60 ms of a 2 GiB file on one thread alone)
  const count = Math.min(threads - 1, bounds.length - 2);
  const workers = [...early.slice(0, count), ...startWorkers(Math.max(0, count - early.length))];
  const work: HashWork = {
    pieces: pieces.map((p) => ({
      path: (files[p.file] as { path: string }).path,
      block: p.block,
      size: p.bytes,
    })),
    bounds,
    shared: new Int32Array(new SharedArrayBuffer(4)),
  };
  try {
    const working = workers.map(
      (worker) =>
        new Promise<void>((done, fail) => {
          worker.on('message', (answer: { batch: number; outcomes: Outcome[] } | { end: true }) => {
            if ('end' in answer) done();
            else finishBatch(answer.batch, answer.outcomes);
          });
          worker.once('error', fail);
          worker.once('exit', () => fail(new Error('a hashing thread ended before its work')));
          worker.postMessage(work);
        }),
    );
    // a worker that fails while this thread still hashes is reported once this one is done
    for (const w of working) w.catch(() => {});
    // between its batches this thread yields, so that the workers' answers (and the progress
    // line) come in
    for (let done = claimBatch(work); done; done = claimBatch(work)) {
      finishBatch(done.batch, done.outcomes);
      await new Promise((next) => setImmediate(next));
    }
    await Promise.all(working);
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
    meter.done();
  }
  return out;
}

/** Files and bytes per second on stderr, once the work has taken a second, on a terminal only. */
function progressMeter(files: number, bytes: number, enabled: boolean) {
  const start = Date.now();
  let doneFiles = 0;
  let doneBytes = 0;
  let shown = false;
  const show = enabled && Boolean(process.stderr.isTTY);
  const line = () => {
    const s = (Date.now() - start) / 1000;
    return `\rhashing ${doneFiles}/${files} files, ${(doneBytes / 2 ** 20).toFixed(0)}/${(bytes / 2 ** 20).toFixed(0)} MiB, ${(doneFiles / s).toFixed(0)} files/s, ${(doneBytes / 2 ** 20 / s).toFixed(0)} MiB/s`;
  };
  return {
    add(f: number, b: number) {
      doneFiles += f;
      doneBytes += b;
      if (show && Date.now() - start > 1000) {
        process.stderr.write(line());
        shown = true;
      }
    },
    done() {
      if (shown) process.stderr.write(`${line()}\n`);
    },
  };
}

type CachedHash = [size: number, mtimeMs: number, ino: number, hash: string];

/**
 * One cache file per project root: it holds that project's inputs only, so reading it costs what
 * the project's data costs, not what every project (or every test folder) ever hashed.
 */
function hashCacheFile(root: string): string {
  return join(cacheDir(), `hashes-v4-${sha256Hex(resolve(root)).slice(0, 16)}.json`);
}

function readHashCache(root: string): Map<string, CachedHash> {
  try {
    return new Map(
      Object.entries(JSON.parse(fs.readFileSync(hashCacheFile(root), 'utf8')) as Record<string, CachedHash>),
    );
  } catch {
    return new Map();
  }
}

function writeHashCache(root: string, cache: Map<string, CachedHash>): void {
  writeCacheFile(hashCacheFile(root), JSON.stringify(Object.fromEntries(cache)));
}

/** Why `value` is not a manifest as fingerprint() writes it, or null when it is one. */
export function checkManifest(value: unknown): string | null {
  if (!isJsonObject(value)) return 'not an object';
  const m = value;
  if (!LEVELS.includes(m.level as FingerprintLevel))
    return `"level" is ${JSON.stringify(m.level) ?? 'missing'}`;
  if (!Array.isArray(m.patterns) || !m.patterns.every((p) => typeof p === 'string'))
    return '"patterns" is not a list of strings';
  if (m.files !== null && m.files !== undefined) {
    if (!Array.isArray(m.files)) return '"files" is not a list';
    for (const f of m.files)
      if (!isJsonObject(f) || typeof f.path !== 'string') return '"files" holds an entry without a path';
  }
  return null;
}

export interface ManifestDiff {
  added: string[];
  removed: string[];
  changed: string[];
}

/** What changed between two manifests of the same patterns. */
export function diffManifests(before: Manifest, now: Manifest): ManifestDiff {
  const a = new Map((before.files ?? []).map((f) => [f.path, f]));
  const b = new Map((now.files ?? []).map((f) => [f.path, f]));
  const changed: string[] = [];
  for (const [path, f] of a) {
    const g = b.get(path);
    if (!g) continue;
    const differs =
      before.level === 'checksum' ? f.hash !== g.hash : f.size !== g.size || f.mtime_ms !== g.mtime_ms;
    if (differs) changed.push(path);
  }
  return {
    added: [...b.keys()].filter((p) => !a.has(p)),
    removed: [...a.keys()].filter((p) => !b.has(p)),
    changed,
  };
}
