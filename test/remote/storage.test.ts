import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { downloadFolder, openStorage, type Storage, uploadFolder } from '../../src/remote/storage.ts';
import { createBucket, type S3Server, startS3 } from './servers.ts';

let s3: S3Server;
let scratch: string;
const saved: Record<string, string | undefined> = {};
beforeAll(async () => {
  s3 = await startS3();
  for (const [k, v] of Object.entries(s3.env)) {
    saved[k] = process.env[k];
    process.env[k] = v;
  }
  await createBucket(s3, 'results');
  scratch = mkdtempSync(join(tmpdir(), 'repro-storage-'));
}, 60_000);
afterAll(() => {
  s3?.stop();
  for (const [k, v] of Object.entries(saved)) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
  rmSync(scratch, { recursive: true, force: true });
});

let n = 0;
const fresh = () => join(scratch, `case${n++}`);

// one conformance suite, every backend
const backends: [string, () => Storage][] = [
  ['file://', () => openStorage(`file://${fresh()}`)],
  ['s3://', () => openStorage(`s3://results/prefix${n++}`)],
];

describe.each(backends)('storage %s', (_name, make) => {
  it('puts, lists and gets files', async () => {
    const storage = make();
    const dir = fresh();
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'a.txt'), 'alpha');
    await storage.put('model/t1/a.txt', join(dir, 'a.txt'));
    await storage.put('model/t1/sub/b.txt', join(dir, 'a.txt'));
    expect(await storage.list('model/')).toEqual(['model/t1/a.txt', 'model/t1/sub/b.txt']);
    await storage.get('model/t1/a.txt', join(dir, 'back.txt'));
    expect(readFileSync(join(dir, 'back.txt'), 'utf8')).toBe('alpha');
  });

  it('never overwrites a key', async () => {
    const storage = make();
    const dir = fresh();
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'one'), '1');
    writeFileSync(join(dir, 'two'), '2');
    await storage.put('k/x', join(dir, 'one'));
    await expect(storage.put('k/x', join(dir, 'two'))).rejects.toMatchObject({
      code: 'REPRO_STORAGE_EXISTS',
    });
    await storage.get('k/x', join(dir, 'check'));
    expect(readFileSync(join(dir, 'check'), 'utf8')).toBe('1');
  });

  it('uploads and downloads a result folder, checking every digest', async () => {
    const storage = make();
    const dir = fresh();
    mkdirSync(join(dir, 'plots'), { recursive: true });
    writeFileSync(join(dir, 'config.json'), '{"a":1}');
    writeFileSync(join(dir, 'plots', 'loss.svg'), '<svg/>');
    const files = await uploadFolder(storage, dir, 'model/tok');
    expect(files.map((f) => f.path).sort()).toEqual(['config.json', 'plots/loss.svg']);
    const back = fresh();
    await downloadFolder(storage, 'model/tok', files, back);
    expect(readFileSync(join(back, 'plots', 'loss.svg'), 'utf8')).toBe('<svg/>');
    // a wrong digest: the download fails and leaves nothing behind
    const damaged = fresh();
    const wrong = files.map((f) => ({ ...f, hash: '0'.repeat(64) }));
    await expect(downloadFolder(storage, 'model/tok', wrong, damaged)).rejects.toMatchObject({
      code: 'REPRO_STORAGE_CORRUPT',
    });
    expect(() => readFileSync(join(damaged, 'config.json'))).toThrow();
  });

  it('downloads under a dot name beside the result, which listings skip, until it is whole', async () => {
    const storage = make();
    const dir = fresh();
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'config.json'), '{"lr":0.1}\n');
    writeFileSync(join(dir, 'end.json'), '{"status":"done"}\n');
    const files = await uploadFolder(storage, dir, 'seen/tok');
    const runs = fresh();
    mkdirSync(runs);
    const seen: string[][] = [];
    const watched: Storage = {
      uri: storage.uri,
      put: (key, file) => storage.put(key, file),
      list: (prefix) => storage.list(prefix),
      get: async (key, local) => {
        seen.push(readdirSync(runs));
        return storage.get(key, local);
      },
    };
    await downloadFolder(watched, 'seen/tok', files, join(runs, 'model'));
    expect(seen).toHaveLength(2);
    for (const names of seen) {
      expect(names).toHaveLength(1);
      expect(names[0]).toMatch(/^\.model\.partial-/);
    }
    expect(readdirSync(runs)).toEqual(['model']);
  });

  it('uploads a large file in parts', async () => {
    const storage = make();
    const dir = fresh();
    mkdirSync(dir, { recursive: true });
    const big = Buffer.alloc(70 * 2 ** 20);
    for (let i = 0; i < big.length; i += 4096) big[i] = i % 251;
    writeFileSync(join(dir, 'weights.bin'), big);
    const files = await uploadFolder(storage, dir, 'big/tok');
    const back = fresh();
    await downloadFolder(storage, 'big/tok', files, back);
    expect(readFileSync(join(back, 'weights.bin')).equals(big)).toBe(true);
  }, 120_000);
});

describe('openStorage', () => {
  it('needs a known scheme', () => {
    expect(() => openStorage('ftp://x')).toThrow(expect.objectContaining({ code: 'REPRO_BAD_STORAGE' }));
    const env = process.env.REPRO_STORAGE;
    delete process.env.REPRO_STORAGE;
    expect(() => openStorage(undefined)).toThrow(expect.objectContaining({ code: 'REPRO_NO_STORAGE' }));
    if (env !== undefined) process.env.REPRO_STORAGE = env;
  });
});
