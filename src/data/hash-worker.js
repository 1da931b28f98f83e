// Hashes files with BLAKE3 (the native @napi-rs/blake-hash, SIMD; the same digests as b3sum).
// Loaded two ways: imported by src/data/fingerprint.ts to hash in the calling thread, and
// started as a worker thread that hashes the pieces of work it is sent. Plain JavaScript, so the
// same file serves the sources and dist/.
import { closeSync, existsSync, openSync, readSync } from 'node:fs';
import { createRequire } from 'node:module';
import { parentPort } from 'node:worker_threads';

/**
 * The BLAKE3 binding. Its loader (@napi-rs/blake-hash) asks process.report.getReport() whether
 * the C library is musl, which costs ~15 ms in every thread: on x64 Linux without musl's loader,
 * the glibc build it would pick is required straight away (the same module), else the loader.
 */
function binding() {
  const require = createRequire(import.meta.url);
  if (process.platform === 'linux' && process.arch === 'x64' && !existsSync('/lib/ld-musl-x86_64.so.1'))
    try {
      return require('@napi-rs/blake-hash-linux-x64-gnu');
    } catch {
      // not installed here (another package manager's layout): the loader finds it
    }
  return require('@napi-rs/blake-hash');
}
const { Blake3Hasher, blake3UrlSafeBase64 } = binding();

/**
 * Read sizes, measured on this 2-core EPYC (L2 512 KiB a core): 1 GiB out of the page cache read
 * in 0.12-0.16 s into a buffer of 128 KiB, in 0.45-0.68 s into one of 192 KiB or more (and in
 * 1.0 s with 1 MiB), whatever size each read asked for. So a file is read in 128 KiB pieces;
 * only a file known to be smaller than 256 KiB is read in one call into a buffer of that size
 * (one read and one hash call per file counts more there than the copy).
 */
export const PIECE = 128 << 10;
const SMALL = 256 << 10;

/** The thread's two read buffers, made when first used. */
let pieceBuffer;
let smallBuffer;
const piece = () => {
  pieceBuffer ??= Buffer.allocUnsafe(PIECE);
  return pieceBuffer;
};
const whole = () => {
  smallBuffer ??= Buffer.allocUnsafe(SMALL);
  return smallBuffer;
};

/**
 * Files larger than this are hashed by blocks of this size, so that one file is hashed on every
 * thread (`blake3-64MiB`, see fileDigest); files up to this size are hashed whole.
 */
export const BLOCK = 64 << 20;

/** The algorithm that hashes big files by blocks (the other, `blake3`, hashes every file whole). */
const BLOCKS = 'blake3-64MiB';

/**
 * BLAKE3 of bytes, 64 hex digits. Through the binding's base64 text: its `blake3()` answers with a
 * Buffer that the garbage collector must finalize, 2.6 µs a call more, which thousands of small
 * files feel.
 */
const blake3Hex = (bytes) => Buffer.from(blake3UrlSafeBase64(bytes), 'base64url').toString('hex');

/**
 * BLAKE3 of bytes [start, end) of a file (to its end when end is undefined), 64 hex digits;
 * `small`: the file is known to be under 256 KiB, read in one call.
 */
function hashRange(path, start, end, small = false) {
  const fd = openSync(path, 'r');
  try {
    let buffer = small ? whole() : piece();
    let hasher;
    let pos = start;
    for (;;) {
      const want = end === undefined ? buffer.length : Math.min(buffer.length, end - pos);
      if (want <= 0) break;
      const n = readSync(fd, buffer, 0, want, pos);
      // a short read of a regular file is its end: a small file is one read and one call
      if (n < want && !hasher) return blake3Hex(buffer.subarray(0, n));
      hasher ??= new Blake3Hasher();
      hasher.update(n === buffer.length ? buffer : buffer.subarray(0, n));
      pos += n;
      if (n < want) break;
      // a file that was not as small as its size said goes on in pieces
      buffer = piece();
    }
    return (hasher ?? new Blake3Hasher()).digest('hex');
  } finally {
    closeSync(fd);
  }
}

/**
 * A file's BLAKE3 digest, 64 hex digits, read in pieces so memory stays flat: what b3sum prints.
 * `size`, when known, lets a small file be read in one call.
 */
export function hashFile(path, size) {
  return hashRange(path, 0, undefined, size !== undefined && size < SMALL);
}

/** How many blocks a file of this size is hashed as under `blake3-64MiB` (0: hashed whole). */
export function blockCount(size) {
  return size > BLOCK ? Math.ceil(size / BLOCK) : 0;
}

/** BLAKE3 of one block of a file, 64 hex digits. */
export function hashBlock(path, index) {
  return hashRange(path, index * BLOCK, (index + 1) * BLOCK);
}

/**
 * A big file's `blake3-64MiB` digest from its blocks' digests (in order): the BLAKE3 of their
 * 32-byte digests laid end to end. The same as
 * `split -b 64M --filter='b3sum --raw' FILE | b3sum`.
 */
export function joinBlocks(hexDigests) {
  return new Blake3Hasher().update(Buffer.from(hexDigests.join(''), 'hex')).digest('hex');
}

/**
 * A file's digest under an algorithm, in this thread: `blake3` hashes it whole; `blake3-64MiB`
 * hashes a file over 64 MiB by blocks (`size` is the size it was listed with).
 */
export function fileDigest(path, size, algorithm) {
  const blocks = algorithm === BLOCKS ? blockCount(size) : 0;
  if (blocks === 0) return hashFile(path, size);
  return joinBlocks(Array.from({ length: blocks }, (_, i) => hashBlock(path, i)));
}

/** BLAKE3 of a string, 64 hex digits. */
export function hashText(text) {
  return new Blake3Hasher().update(text).digest('hex');
}

/** A piece of work: block -1 hashes the whole file (of `size`), n >= 0 that block of it; 64 hex digits. */
export function hashPiece(path, block, size) {
  return block < 0 ? hashFile(path, size) : hashBlock(path, block);
}

/**
 * One batch of a piece of work (`bounds[b]` to `bounds[b + 1]` of its pieces), taken from a
 * counter that every thread shares: each batch once, by whichever thread is free, so that no
 * thread waits for another to hand out work and the threads end together. Returns the batch's
 * number and its pieces' outcomes, or undefined when none is left.
 */
export function claimBatch(work) {
  const { pieces, bounds, shared } = work;
  const b = Atomics.add(shared, 0, 1);
  if (b >= bounds.length - 1) return undefined;
  const outcomes = [];
  for (let i = bounds[b]; i < bounds[b + 1]; i++) {
    const { path, block, size } = pieces[i];
    try {
      outcomes.push({ hash: hashPiece(path, block, size) });
    } catch (error) {
      outcomes.push({ error: error.code ?? error.message });
    }
  }
  return { batch: b, outcomes };
}

if (parentPort) {
  // work: { pieces: [{ path, block, size }], bounds, shared }; answers { batch, outcomes } per
  // batch taken, then { end: true }
  parentPort.on('message', (work) => {
    for (let done = claimBatch(work); done; done = claimBatch(work)) parentPort.postMessage(done);
    parentPort.postMessage({ end: true });
  });
}
