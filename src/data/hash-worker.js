// Hashes files with BLAKE3 (the native @napi-rs/blake-hash, SIMD; the same digests as b3sum).
// Loaded two ways: imported by src/data/fingerprint.ts to hash in the calling thread, and
// started as a worker thread that hashes the paths it is sent. Plain JavaScript, so the same
// file serves the sources and dist/.
import { closeSync, openSync, readSync } from 'node:fs';
import { parentPort } from 'node:worker_threads';
import { Blake3Hasher } from '@napi-rs/blake-hash';

/** Read size: 1 MiB (a 64 KiB read caps throughput near 1.25 GB/s). */
export const CHUNK = 1 << 20;

/** A file's BLAKE3 digest, 64 hex digits, read in 1 MiB pieces so memory stays flat. */
export function hashFile(path, buffer = Buffer.allocUnsafe(CHUNK)) {
  const fd = openSync(path, 'r');
  try {
    const hasher = new Blake3Hasher();
    for (;;) {
      const n = readSync(fd, buffer, 0, CHUNK, null);
      if (n === 0) break;
      hasher.update(n === CHUNK ? buffer : buffer.subarray(0, n));
    }
    return hasher.digest('hex');
  } finally {
    closeSync(fd);
  }
}

/** BLAKE3 of a string, 64 hex digits. */
export function hashText(text) {
  return new Blake3Hasher().update(text).digest('hex');
}

if (parentPort) {
  const buffer = Buffer.allocUnsafe(CHUNK);
  parentPort.on('message', (paths) => {
    const out = paths.map((path) => {
      try {
        return { path, hash: hashFile(path, buffer) };
      } catch (error) {
        return { path, error: error.code ?? error.message };
      }
    });
    parentPort.postMessage(out);
  });
}
