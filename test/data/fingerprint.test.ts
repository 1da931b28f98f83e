import { execFileSync, spawnSync } from 'node:child_process';
import { appendFileSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { blake3 } from '@napi-rs/blake-hash';
import { globSync } from 'tinyglobby';
import { describe, expect, it, vi } from 'vitest';
import { diffManifests, fingerprint, type Manifest } from '../../src/data/fingerprint.ts';
import { loadGraph } from '../../src/graph/graph.ts';
import { graphStatus } from '../../src/graph/status.ts';
import { findProject } from '../../src/project/project.ts';
import { runConfig } from '../../src/run/runner.ts';
import { isolateCache, makeProject, runCli, runRepro } from '../helpers.ts';

const cacheDir = isolateCache();

function data() {
  return makeProject({
    'data/a.txt': 'alpha',
    'data/b.txt': 'beta',
    'data/sub/c.txt': 'gamma',
    'data/skip.bin': 'x',
  });
}

describe('fingerprint', () => {
  it('records patterns, files, or content hashes by level', async () => {
    const root = data();
    const path = await fingerprint(['data/**/*.txt'], { level: 'path', root });
    expect(path).toMatchObject({ level: 'path', patterns: ['data/**/*.txt'], files: null, total: null });
    const list = await fingerprint(['data/**/*.txt'], { level: 'list', root });
    expect(list.files?.map((f) => [f.path, f.size])).toEqual([
      ['data/a.txt', 5],
      ['data/b.txt', 4],
      ['data/sub/c.txt', 5],
    ]);
    expect(list.files?.[0]?.hash).toBeUndefined();
    const sum = await fingerprint(['data/**/*.txt'], { level: 'checksum', root });
    expect(sum).toMatchObject({ algorithm: 'blake3-64MiB', count: 3, bytes: 14 });
    expect(sum.total).toMatch(/^[0-9a-f]{64}$/);
    expect(sum.files?.map((f) => f.hash)).toEqual(
      sum.files?.map(() => expect.stringMatching(/^[0-9a-f]{64}$/)),
    );
  });

  it('hashes as b3sum does, the same in threads, in this thread, with or without the cache', async () => {
    const root = data();
    // a 3.5 MiB file: several reads
    writeFileSync(join(root, 'data/big.txt'), Buffer.alloc(3.5 * 2 ** 20, 7));
    const one = await fingerprint(['data'], { root, threads: 1, cache: false });
    const many = await fingerprint(['data'], { root, threads: 4, cache: false });
    const cached = await fingerprint(['data'], { root });
    const again = await fingerprint(['data'], { root });
    expect(many.total).toBe(one.total);
    expect(cached.total).toBe(one.total);
    expect(again.total).toBe(one.total);
    expect(one.count).toBe(5);
    // the digests are BLAKE3's: b3sum (Debian package) agrees when it is installed
    const big = one.files?.find((f) => f.path === 'data/big.txt')?.hash;
    expect(big).toBe('53312efc628dd1124ba578495ec33437fc010ffe702327fb43932d0146329f36');
  });

  it('hashes many files on this thread and workers started early, as one thread does', async () => {
    const root = data();
    // over 512 files: the workers start before the files are stat'ed, and this thread hashes too
    mkdirSync(join(root, 'data/many'));
    for (let i = 0; i < 600; i++)
      writeFileSync(join(root, `data/many/${i}.bin`), Buffer.alloc(1000 + i * 37, i % 251));
    const one = await fingerprint(['data'], { root, threads: 1, cache: false });
    for (const threads of [2, 3]) {
      const many = await fingerprint(['data'], { root, threads, cache: false });
      expect(many.files).toEqual(one.files);
      expect(many.total).toBe(one.total);
      // expected cached (a staleness check) but none is: the workers start once the work is known
      const late = await fingerprint(['data'], { root, threads, cache: false, cached: true });
      expect(late.files).toEqual(one.files);
    }
    expect(one.count).toBe(604);
    expect(new Set(one.files?.map((f) => f.hash)).size).toBe(604);
  });

  it('hands each batch to one thread: this one and a worker take them from one shared counter', async () => {
    const root = data();
    mkdirSync(join(root, 'data/many'));
    const pieces = Array.from({ length: 300 }, (_, i) => {
      const path = join(root, `data/many/${i}.bin`);
      writeFileSync(path, Buffer.alloc(500 + i, i % 251));
      return { path, block: -1, size: 500 + i };
    });
    // batches of 1 to 4 pieces
    const bounds = [0];
    while ((bounds.at(-1) as number) < pieces.length)
      bounds.push(Math.min(pieces.length, (bounds.at(-1) as number) + 1 + (bounds.length % 4)));
    const work = { pieces, bounds, shared: new Int32Array(new SharedArrayBuffer(4)) };
    const module = '../../src/data/hash-worker.js';
    const { claimBatch, hashFile } = await import(module);
    type Done = { batch: number; outcomes: { hash?: string; error?: string }[] };
    const worker = new Worker(new URL(module, import.meta.url));
    const byWorker: Done[] = [];
    const ended = new Promise<void>((resolve, reject) => {
      worker.on('message', (m: Done | { end: true }) => ('end' in m ? resolve() : byWorker.push(m)));
      worker.once('error', reject);
    });
    worker.postMessage(work);
    // once the worker has begun, this thread takes batches beside it
    await vi.waitFor(() => expect(byWorker.length).toBeGreaterThan(0), { interval: 1 });
    const here: Done[] = [];
    for (let done = claimBatch(work); done; done = claimBatch(work)) here.push(done);
    await ended;
    await worker.terminate();
    const all = [...byWorker, ...here].sort((a, b) => a.batch - b.batch);
    // every batch once, whichever thread took it, each piece with its own file's digest
    expect(all.map((d) => d.batch)).toEqual(Array.from({ length: bounds.length - 1 }, (_, b) => b));
    for (const { batch, outcomes } of all)
      expect(outcomes).toEqual(
        pieces.slice(bounds[batch], bounds[batch + 1]).map((p) => ({ hash: hashFile(p.path, p.size) })),
      );
    // a counter past the last batch: nothing more to take
    expect(claimBatch(work)).toBeUndefined();
  });

  it('hashes a file over 64 MiB by blocks on every thread, and whole when asked', async () => {
    const root = data();
    // 2 full blocks and a short one, each block different
    const MiB = 2 ** 20;
    const content = Buffer.alloc(129 * MiB + 5);
    for (let i = 0; i < content.length; i += 4096) content[i] = (i >> 12) & 0xff;
    writeFileSync(join(root, 'data/huge.bin'), content);
    const one = await fingerprint(['data'], { root, threads: 1, cache: false });
    const many = await fingerprint(['data'], { root, threads: 3, cache: false });
    const hashOf = (m: Manifest) => m.files?.find((f) => f.path === 'data/huge.bin')?.hash;
    // the digest of the blocks' digests, as `split -b 64M --filter='b3sum --raw' | b3sum`
    const blocks = [0, 1, 2].map((i) => blake3(content.subarray(i * 64 * MiB, (i + 1) * 64 * MiB)));
    const expected = blake3(Buffer.concat(blocks)).toString('hex');
    expect(hashOf(one)).toBe(expected);
    expect(hashOf(many)).toBe(expected);
    expect(many.total).toBe(one.total);
    expect(one.algorithm).toBe('blake3-64MiB');
    // the small files keep b3sum's digest
    expect(one.files?.find((f) => f.path === 'data/a.txt')?.hash).toBe(
      blake3(Buffer.from('alpha')).toString('hex'),
    );
    // whole: what b3sum prints; the cache keeps the two digests of the same file apart
    const whole = await fingerprint(['data'], { root, threads: 2, algorithm: 'blake3' });
    expect(whole.algorithm).toBe('blake3');
    expect(hashOf(whole)).toBe(blake3(content).toString('hex'));
    expect(hashOf(await fingerprint(['data'], { root }))).toBe(expected);
    expect(hashOf(await fingerprint(['data'], { root, algorithm: 'blake3' }))).toBe(hashOf(whole));
    await expect(fingerprint(['data'], { root, algorithm: 'md5' as never })).rejects.toMatchObject({
      code: 'REPRO_BAD_ALGORITHM',
    });
    // b3sum (Debian package b3sum), when installed, agrees with both
    const b3sum = spawnSync('b3sum', ['--version']);
    if (b3sum.status === 0) {
      const file = join(root, 'data/huge.bin');
      expect(execFileSync('b3sum', ['--no-names', file], { encoding: 'utf8' }).trim()).toBe(hashOf(whole));
      const piped = execFileSync(
        'sh',
        ['-c', `split -b 64M --filter='b3sum --raw' '${file}' | b3sum --no-names`],
        {
          encoding: 'utf8',
        },
      );
      expect(piped.trim()).toBe(expected);
    } else
      console.warn(
        '*** b3sum comparison NOT RUN: b3sum is not installed (apt-get install b3sum; .ci/run installs it). The digests were checked against the BLAKE3 binding only. ***',
      );
  });

  it('lists a folder as the glob of everything below it does: dot files, nested, links followed', async () => {
    const root = makeProject({
      'data/a.txt': 'alpha',
      'data/.hidden': 'h',
      'data/sub/deeper/c.txt': 'gamma',
      'other/d.txt': 'delta',
    });
    mkdirSync(join(root, 'data/empty'));
    const listed = async (pattern: string) =>
      (await fingerprint([pattern], { level: 'list', root })).files?.map((f) => f.path);
    const walked = await listed('data');
    expect(walked).toEqual(['data/.hidden', 'data/a.txt', 'data/sub/deeper/c.txt']);
    expect(walked).toEqual(await listed('data/**/*'));
    // a link to a file and one to a folder: the glob follows both
    symlinkSync(join(root, 'other/d.txt'), join(root, 'data/link.txt'));
    symlinkSync(join(root, 'other'), join(root, 'data/linked'));
    expect(await listed('data')).toEqual([...walked!, 'data/link.txt', 'data/linked/d.txt'].sort());
    expect(await listed('data')).toEqual(await listed('data/**/*'));
  });

  it('names what a glob matches as the glob library does, walked from the fixed part of the pattern', async () => {
    const root = makeProject({
      'project/sub/q.json': {},
      'data/a/x.json': {},
      'data/a/y.csv': 'y',
      'data/.h/z.json': {},
      'data/top.json': {},
      'data/my+dir/w.json': {},
    });
    const project = join(root, 'project');
    const listed = async (pattern: string) =>
      (await fingerprint([pattern], { level: 'list', root: project })).files?.map((f) => f.path);
    for (const pattern of [
      '../data/*/*.json',
      '../data/**/*',
      './sub/*.json',
      'sub/../sub/*.json',
      `${root}/data/*/*.json`,
      '../data/{a,.h}/*',
      '../data/a/*.{json,csv}',
      '../data//a/*.json',
      '../data/my+dir/*.json',
      '*/*.json',
      '../data/*/../top.json',
      '../nothing/*.json',
    ]) {
      const library = globSync(pattern, { cwd: project, dot: true }).sort();
      if (library.length === 0) {
        await expect(listed(pattern), pattern).rejects.toThrow(/match no file/);
        continue;
      }
      expect(await listed(pattern), pattern).toEqual(library);
    }
    expect(await listed('../data/*/*.json')).toEqual([
      '../data/.h/z.json',
      '../data/a/x.json',
      '../data/my+dir/w.json',
    ]);
  });

  it('tells added, removed and changed files apart', async () => {
    const root = data();
    const before = await fingerprint(['data/**/*.txt'], { root });
    appendFileSync(join(root, 'data/a.txt'), '!');
    rmSync(join(root, 'data/b.txt'));
    writeFileSync(join(root, 'data/d.txt'), 'delta');
    const now = await fingerprint(['data/**/*.txt'], { root });
    expect(diffManifests(before, now)).toEqual({
      added: ['data/d.txt'],
      removed: ['data/b.txt'],
      changed: ['data/a.txt'],
    });
  });

  it('refuses an empty data set unless allowed, and names an unreadable file', async () => {
    const root = data();
    await expect(fingerprint(['nope/*.txt'], { root })).rejects.toMatchObject({ code: 'REPRO_INPUTS_EMPTY' });
    expect((await fingerprint(['nope/*.txt'], { root, allowEmpty: true })).count).toBe(0);
    // a link to nothing, named outright (tests run as root, so a chmod 000 file would still read)
    execFileSync('ln', ['-s', join(root, 'gone'), join(root, 'data/broken.txt')]);
    await expect(fingerprint(['data/broken.txt'], { root, cache: false })).rejects.toMatchObject({
      code: 'REPRO_INPUT_UNREADABLE',
      message: expect.stringContaining('data/broken.txt'),
    });
  });
});

describe('inputs of a run', () => {
  it('are fingerprinted before the script runs, and a change makes the result stale', async () => {
    const root = makeProject({
      'data/a.txt': 'alpha',
      'data/b.txt': 'beta',
      'count.sh': 'ls data | wc -l > "$REPRO_RUN_DIR/count"\n',
      'configs/count.json': { script: 'count.sh', inputs: 'data/*.txt', paranoia: 'checksum' },
    });
    const r = await runConfig({ config: 'configs/count.json', cwd: root, quiet: true, handleSignals: false });
    expect(r.status).toBe('done');
    const manifest = JSON.parse(readFileSync(join(r.dir, 'inputs.json'), 'utf8'));
    expect(manifest).toMatchObject({ level: 'checksum', count: 2 });
    const fresh = await graphStatus(loadGraph(findProject({ cwd: root })), ['count']);
    expect(fresh[0]?.stale).toEqual([]);
    writeFileSync(join(root, 'data/a.txt'), 'ALPHA');
    writeFileSync(join(root, 'data/c.txt'), 'new');
    const stale = await graphStatus(loadGraph(findProject({ cwd: root })), ['count']);
    expect(stale[0]?.stale).toEqual([
      'data changed in data/*.txt: 1 added (data/c.txt), 1 changed (data/a.txt)',
    ]);
  });

  it('a result recorded with whole-file digests stays fresh; an unknown algorithm cannot vouch', async () => {
    const root = makeProject({
      'count.sh': 'true\n',
      'data/small.txt': 'small',
      'configs/count.json': { script: 'count.sh', inputs: 'data/*.bin', paranoia: 'checksum' },
    });
    const content = Buffer.alloc(65 * 2 ** 20, 1);
    writeFileSync(join(root, 'data/huge.bin'), content);
    const r = await runConfig({ config: 'configs/count.json', cwd: root, quiet: true, handleSignals: false });
    const file = join(r.dir, 'inputs.json');
    const manifest = JSON.parse(readFileSync(file, 'utf8')) as Manifest;
    expect(manifest.algorithm).toBe('blake3-64MiB');
    const status = async () =>
      (await graphStatus(loadGraph(findProject({ cwd: root })), ['count']))[0]?.stale;
    expect(await status()).toEqual([]);
    // as a repro before the block digest wrote it: every file whole
    const old = {
      ...manifest,
      algorithm: 'blake3',
      files: manifest.files?.map((f) => ({ ...f, hash: blake3(content).toString('hex') })),
    };
    writeFileSync(file, JSON.stringify(old));
    expect(await status()).toEqual([]);
    writeFileSync(file, JSON.stringify({ ...manifest, algorithm: 'blake3-1GiB' }));
    expect(await status()).toEqual([
      'the data cannot be checked: data/*.bin was hashed with "blake3-1GiB", which this repro does not know (update repro)',
    ]);
  });

  it('refuses inputs that match nothing before anything is written', async () => {
    const root = makeProject({
      'x.sh': 'true\n',
      'configs/x.json': { script: 'x.sh', inputs: ['data/*.csv'], paranoia: 'list' },
    });
    const r = await runRepro(root, ['run', 'configs/x.json']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('the inputs "data/*.csv" match no file');
    const ok = await runRepro(root, ['run', 'configs/x.json', '--set', 'inputs_allow_empty=true', '-q']);
    expect(ok.code).toBe(0);
  });

  it('are declared from TypeScript with run.inputs()', async () => {
    const root = makeProject({
      'data/a.txt': 'alpha',
      'read.ts': `import { readFileSync } from 'node:fs';
import { startRun } from 'repro';
const run = await startRun();
const files = await run.inputs('data/*.txt', { level: 'checksum' });
console.log(files.map((f) => readFileSync(f, 'utf8')).join(','));
`,
      'configs/read.json': { script: 'read.ts' },
    });
    const r = await runRepro(root, ['run', 'configs/read.json', '-q']);
    expect(r.stdout).toBe('alpha\n');
    const manifests = JSON.parse(readFileSync(join(root, 'runs/read/inputs-read.json'), 'utf8'));
    expect(manifests).toEqual([
      expect.objectContaining({ level: 'checksum', count: 1, patterns: ['data/*.txt'] }),
    ]);
  });
});

describe('repro fingerprint (binary)', () => {
  it('prints a summary or the manifest', async () => {
    const root = data();
    const r = await runCli(root, ['fingerprint', 'data/**/*.txt'], { env: { XDG_CACHE_HOME: cacheDir() } });
    expect(r.stdout).toMatch(/^3 files, 0\.0 MiB\nblake3-64MiB [0-9a-f]{64}\n/);
    const whole = await runRepro(root, ['fingerprint', 'data/**/*.txt', '--algorithm', 'blake3']);
    expect(whole.stdout).toMatch(/^3 files, 0\.0 MiB\nblake3 [0-9a-f]{64}\n/);
    const json = JSON.parse(
      (await runRepro(root, ['fingerprint', 'data', '--level', 'list', '--json'])).stdout,
    );
    expect(json.count).toBe(4);
    const bad = await runRepro(root, ['fingerprint', 'data', '--level', 'sha1']);
    expect(bad.code).toBe(2);
  });
});
