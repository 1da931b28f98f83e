/**
 * Node.js built-ins for every module of repro. An ES `import { readFileSync } from 'node:fs'`
 * builds the module's whole export facade, which loads fs streams and some 30 internal modules
 * before a script's first line runs; the facades of node:path, node:os, node:util and node:url
 * add ~2 ms more (measured in docs/benchmarks.md). `process.getBuiltinModule` hands over the
 * plain objects, whose heavy parts stay lazy. child_process (with net, dgram and streams) loads
 * on first use only.
 */
export const fs = process.getBuiltinModule('node:fs');
export const os = process.getBuiltinModule('node:os');
export const { basename, dirname, extname, isAbsolute, join, relative, resolve, sep } =
  process.getBuiltinModule('node:path');
export const { parseArgs } = process.getBuiltinModule('node:util');
export const { fileURLToPath, pathToFileURL } = process.getBuiltinModule('node:url');

/**
 * Up to `length` bytes of a file from `position` (null: where the file stands, for a device such
 * as /dev/urandom); fewer at its end. One open, one read.
 */
export function readBytes(path: string, length: number, position: number | null = 0): Buffer<ArrayBuffer> {
  const buffer = Buffer.alloc(length);
  const fd = fs.openSync(path, 'r');
  try {
    return buffer.subarray(0, fs.readSync(fd, buffer, 0, length, position));
  } finally {
    fs.closeSync(fd);
  }
}

/** parseJsonFile's buffer, reused: reading is synchronous, and each thread has its own. */
let jsonBuffer: Buffer | undefined;

/**
 * A JSON file parsed, in one open, one read and one close: a record or a config is a few KB, and
 * `readFileSync` reads on until a read returns nothing (a fourth system call; 100,000 results
 * hold 300,000 such files). A read that comes back shorter than asked is taken as the file's
 * end, which it is for a regular file; where it is not (a pipe, a file system that ends a read
 * sooner), the text so far is not JSON, and the file is read on to its end before its text is
 * judged. Throws what `readFileSync` or `JSON.parse` throw.
 */
export function parseJsonFile(path: string): unknown {
  jsonBuffer ??= Buffer.allocUnsafe(64 << 10);
  const fd = fs.openSync(path, 'r');
  try {
    const length = fs.readSync(fd, jsonBuffer, 0, jsonBuffer.length, null);
    if (length < jsonBuffer.length)
      try {
        return JSON.parse(jsonBuffer.toString('utf8', 0, length));
      } catch {
        // cut short, or not JSON: judged on the whole file below
      }
    const parts = [Buffer.from(jsonBuffer.subarray(0, length))];
    for (let n = length; n > 0; ) {
      const part = Buffer.allocUnsafe(64 << 10);
      n = fs.readSync(fd, part, 0, part.length, null);
      parts.push(part.subarray(0, n));
    }
    return JSON.parse(Buffer.concat(parts).toString('utf8'));
  } finally {
    fs.closeSync(fd);
  }
}

let cp: typeof import('node:child_process') | undefined;
export function childProcess(): typeof import('node:child_process') {
  cp ??= process.getBuiltinModule('node:child_process');
  return cp;
}

let nodeRequire: NodeJS.Require | undefined;
/**
 * `require` from this package, for its own dependencies that load only when needed (CommonJS
 * builds, kept out of the bundle) and for resolving tsx.
 */
export function packageRequire(): NodeJS.Require {
  nodeRequire ??= process.getBuiltinModule('node:module').createRequire(import.meta.url);
  return nodeRequire;
}

/**
 * A file of the built package (dist/<rel>): found beside this code whether it runs bundled
 * (dist/chunks/…, dist/index.js) or from the sources (src/, with dist/ built next to it).
 */
export function distFile(rel: string): string {
  const here = new URL('.', import.meta.url).pathname;
  const candidates = [join(here, '..', rel), join(here, rel), join(here, '..', 'dist', rel)];
  return candidates.find((c) => fs.existsSync(c)) ?? (candidates[0] as string);
}
