import { once } from 'node:events';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { deserialize } from 'node:v8';
import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { listRuns, listRunViews, type RunSummary, runValue, summaryOf } from '../../src/compare/runs.ts';
import { IndexDamagedError } from '../../src/errors.ts';
import { findProject } from '../../src/project/project.ts';
import { type IndexedResult, indexFile, lastReading, readResults } from '../../src/project/results.ts';
import { type RunRecord, runFacts } from '../../src/run/record.ts';
import { createUiApp } from '../../src/ui/server.ts';
import { fakeRecord, isolateCache, makeProject, runRepro, writeFiles } from '../helpers.ts';

const cacheDir = isolateCache();

const end = { status: 'done', exit_code: 0, signal: null, ended_at: '2026-01-01T00:01:00Z', duration_s: 2 };
/** An ended result: config, start record, end record. */
const result = (name: string, config: object) => ({
  [`runs/${name}/config.json`]: config,
  [`runs/${name}/run.json`]: fakeRecord({ name, started_at: '2026-01-01T00:00:01Z', pid: 2 ** 22 + 5 }),
  [`runs/${name}/end.json`]: end,
});
/** Sets the runs root's time a minute back, as when nothing was added to it for a while. */
const settle = (root: string) => {
  const past = new Date(Date.now() - 60_000);
  utimesSync(join(root, 'runs'), past, past);
};
const byName = (root: string) => new Map(readResults(join(root, 'runs')).map((r) => [r.name, r]));

describe('the results index', () => {
  it('reads an ended result once, and a result whose run has not ended every time', () => {
    const root = makeProject({ ...result('a', { lr: 1 }), 'runs/b/config.json': { lr: 2 } });
    settle(root);
    expect(byName(root).get('a')?.flat).toEqual({ lr: 1 });
    expect(existsSync(indexFile(join(root, 'runs')))).toBe(true);
    // an ended result never changes, so the index does not look at it again while the runs root
    // is the same: a file rewritten by hand (which repro never does) is not seen...
    writeFileSync(join(root, 'runs/a/config.json'), JSON.stringify({ lr: 9 }));
    // ...while a result whose run has not ended is read again each time
    writeFileSync(join(root, 'runs/b/config.json'), JSON.stringify({ lr: 3 }));
    const again = byName(root);
    expect(again.get('a')?.flat).toEqual({ lr: 1 });
    expect(again.get('b')?.flat).toEqual({ lr: 3 });
    expect(again.get('b')?.status).toBe('running'); // no record yet: given a minute to write one
    // ...and the index is not written again for it while it runs (the dashboard lists every few
    // seconds), only once it has ended
    const stamp = () => {
      const st = statSync(indexFile(join(root, 'runs')));
      return `${st.ino}:${st.mtimeMs}`;
    };
    const before = stamp();
    expect(byName(root).get('b')?.status).toBe('running');
    expect(stamp()).toBe(before);
    writeFiles(root, {
      'runs/b/run.json': fakeRecord({ name: 'b', pid: 2 ** 22 + 5 }),
      'runs/b/end.json': end,
    });
    expect(byName(root).get('b')?.status).toBe('done');
    expect(stamp()).not.toBe(before);
    const ended = stamp();
    expect(byName(root).get('b')?.flat).toEqual({ lr: 3 });
    expect(stamp()).toBe(ended);
    // without the index, everything is read
    expect(readResults(join(root, 'runs'), { cache: false }).find((r) => r.name === 'a')?.flat).toEqual({
      lr: 9,
    });
  });

  it("lays runs that go on over the index as it is, in the listing's order by start time", () => {
    const at = (name: string, started: string) => ({
      [`runs/${name}/config.json`]: { lr: name },
      [`runs/${name}/run.json`]: fakeRecord({ name, started_at: started, pid: 2 ** 22 + 5 }),
      [`runs/${name}/end.json`]: end,
    });
    const root = makeProject({
      ...at('a', '2026-01-01T00:00:03Z'),
      ...at('b', '2026-01-01T00:00:01Z'),
      ...at('c', '2026-01-01T00:00:05Z'),
      'runs/d/config.json': { lr: 'd' }, // no record yet
      'runs/e/config.json': { lr: 'e' },
    });
    settle(root);
    const runs = join(root, 'runs');
    const order = (cache: boolean) => readResults(runs, { cache, order: 'started' }).map((r) => r.name);
    order(true);
    // d and e start (a record of a run still going, with its time), in the middle and first
    writeFiles(root, {
      'runs/d/run.json': fakeRecord({ name: 'd', started_at: '2026-01-01T00:00:04Z', pid: process.pid }),
      'runs/e/run.json': fakeRecord({ name: 'e', started_at: '2026-01-01T00:00:00Z', pid: process.pid }),
    });
    expect(order(true)).toEqual(['e', 'b', 'a', 'd', 'c']);
    expect(order(true)).toEqual(order(false));
    expect(lastReading.trusted).toBe(false); // cache: false
    const listed = byName(root);
    expect(lastReading.trusted).toBe(true);
    expect(listed.get('d')).toMatchObject({ status: 'running', flat: { lr: 'd' } });
    expect(listed.get('a')).toMatchObject({ status: 'done', flat: { lr: 'a' } });
    expect(readResults(runs, { order: 'name' }).map((r) => r.name)).toEqual(['a', 'b', 'c', 'd', 'e']);
  });

  it('trusts itself again once the runs root has been still since before it was made', () => {
    const root = makeProject({ ...result('a', { lr: 1 }), ...result('b', { lr: 2 }) });
    const runs = join(root, 'runs');
    // made the moment the root changed (repro run, then repro ls; here a time ahead, as a clock
    // that lags would stamp it): not trusted yet
    const ahead = new Date(Date.now() + 5000);
    utimesSync(runs, ahead, ahead);
    readResults(runs);
    readResults(runs);
    expect(lastReading.trusted).toBe(false);
    // a minute on, nothing added: looked at once more, and written with the root's time
    settle(root);
    readResults(runs);
    expect(lastReading.trusted).toBe(false);
    readResults(runs);
    expect(lastReading.trusted).toBe(true);
    expect(byName(root).get('b')?.flat).toEqual({ lr: 2 });
    expect(lastReading.trusted).toBe(true);
    // a root stamped a moment before the listing began (a tenth of a second and more: a clock
    // tick is at most 10 ms): trusted by the next listing, which reads no folder again
    const moment = new Date(Date.now() - 300);
    utimesSync(runs, moment, moment);
    readResults(runs);
    expect(lastReading.trusted).toBe(false);
    readResults(runs);
    expect(lastReading.trusted).toBe(true);
    // whole seconds (a file system that keeps no more, such as FAT): two seconds of margin
    const whole = new Date(Math.floor(Date.now() / 1000) * 1000);
    utimesSync(runs, whole, whole);
    readResults(runs);
    readResults(runs);
    expect(lastReading.trusted).toBe(false);
  });

  it('reads many folders on a worker thread beside this one, as one thread does', async () => {
    const files: Record<string, string | object | undefined> = {};
    for (let i = 0; i < 700; i++) {
      const name = `r${String(i).padStart(4, '0')}`;
      Object.assign(files, result(name, { lr: i % 7, depth: i % 3 }));
      if (i % 5 === 0)
        files[`runs/${name}/metrics.jsonl`] = `{"loss": ${i}}\n{"loss": ${i / 2}}\n{"loss": ${i * 0.75}}\n`;
      if (i % 9 === 0) files[`runs/${name}/effective.json`] = { defaults: { wd: i % 4 } };
    }
    // a folder that is no result, a damaged result and one still running
    files['runs/notes/readme.txt'] = 'not a result';
    files['runs/r0003/end.json'] = '{ torn';
    files['runs/r0004/end.json'] = undefined;
    const root = makeProject(
      Object.fromEntries(
        Object.entries(files).filter((e): e is [string, string | object] => e[1] !== undefined),
      ),
    );
    const runs = join(root, 'runs');
    const fields = (r: ReturnType<typeof readResults>[number]) => ({
      name: r.name,
      status: r.status,
      reason: r.reason,
      flat: r.flat,
      defaults: r.defaults,
      metrics: r.metrics,
      files: [...r.files],
      record: r.record,
      end: r.end,
    });
    const one = readResults(runs, { cache: false, parallelFrom: Number.POSITIVE_INFINITY }).map(fields);
    // 700 folders in batches of 256: the worker takes the first, this thread the rest it can
    const two = readResults(runs, { cache: false, parallelFrom: 1, workerFirst: true }).map(fields);
    expect(lastReading.byWorker).toBeGreaterThan(0);
    expect(two).toEqual(one);
    expect(one).toHaveLength(700);
    expect(one.find((r) => r.name === 'r0003')?.status).toBe('damaged');
    expect(one.find((r) => r.name === 'r0004')?.status).toBe('crashed');
    expect(one.find((r) => r.name === 'r0010')?.metrics.loss).toMatchObject({ last: 7.5, best: 5, count: 3 });
    // a metric read alone from the columns (as a sort reads it) is the one of the summaries
    const views = await listRunViews({ cwd: root, cache: false });
    for (const view of views) {
      const plain = summaryOf(view);
      // a metric, a key no run has, a config key, a default the script used, a prefixed one
      for (const key of ['loss', 'loss.best', 'metric:loss', 'acc', 'lr', 'depth', 'wd', 'config:wd'])
        expect(runValue(view, key)).toBe(runValue(plain, key));
    }
    expect(views.filter((r) => runValue(r, 'wd') !== undefined)).toHaveLength(78);
    const r10 = views.find((r) => r.name === 'r0010') as RunSummary;
    expect([runValue(r10, 'loss'), runValue(r10, 'loss.best'), runValue(r10, 'acc')]).toEqual([
      7.5,
      5,
      undefined,
    ]);
    // through the index, written from rows read in parallel, and read back
    const indexed = readResults(runs, { parallelFrom: 1, workerFirst: true }).map(fields);
    expect(indexed).toEqual(one);
    expect(readResults(runs).map(fields)).toEqual(one);
  });

  it('copies the rows it keeps as they were, between folders read anew, whichever index it starts from', () => {
    // results with and without metrics, ids and sources, so that every column and the places in
    // the records text and the metric values move when rows are added, removed or replaced
    const made = (name: string, i: number) => ({
      ...result(name, { lr: i, ...(i % 3 ? { layers: [i, i + 1] } : {}) }),
      [`runs/${name}/run.json`]: fakeRecord({
        name,
        id: i % 2 ? `id-${name}` : undefined,
        // times shared by several rows, in no order of their names: the listing's order by start
        // time, then name, is kept as rows come and go
        started_at: `2026-01-01T00:00:${String((i * 7) % 9).padStart(2, '0')}Z`,
        pid: 2 ** 22 + 5,
        sources: i % 4 ? [] : [{ name: 'up', id: `u${i}`, started_at: null, config_hash: null }],
        // characters of every UTF-8 length in what the index keeps of a record, so that a
        // record's place in bytes and in characters differ
        script:
          i % 3
            ? {
                path: `é-${i}-日本語${'🙂'.repeat(i % 4)}.py`,
                sha256: 'sha256:1',
                interpreter: [],
                interpreter_version: null,
              }
            : null,
      }),
      ...(i % 2
        ? { [`runs/${name}/metrics.jsonl`]: `${JSON.stringify({ step: 0, loss: i, [`m${i % 5}`]: 1 })}\n` }
        : {}),
    });
    const files = {};
    for (let i = 0; i < 40; i += 2) Object.assign(files, made(`r${String(i).padStart(2, '0')}`, i));
    const root = makeProject(files);
    const runs = join(root, 'runs');
    const fields = (r: IndexedResult) => ({
      name: r.name,
      files: [...r.files].sort(),
      record: r.record,
      end: r.end,
      config: r.config,
      flat: r.flat,
      status: r.status,
      reason: r.reason,
      started: r.started_at,
      exit: r.exit_code,
      duration: r.duration_s,
      metrics: r.metrics,
      facts: r.facts,
    });
    const same = () => {
      expect(readResults(runs).map(fields)).toEqual(readResults(runs, { cache: false }).map(fields));
      const order = (cache: boolean) => readResults(runs, { cache, order: 'started' }).map((r) => r.name);
      expect(order(true)).toEqual(order(false));
    };
    same();
    // new names between the old ones, one removed, one made anew
    const more = {};
    for (let i = 1; i < 40; i += 6) Object.assign(more, made(`r${String(i).padStart(2, '0')}`, i));
    rmSync(join(runs, 'r10'), { recursive: true });
    rmSync(join(runs, 'r20'), { recursive: true });
    writeFiles(root, { ...more, ...made('r20', 21) });
    same();
    // again from the index as written to its file (this process keeps what it wrote)
    const file = indexFile(runs);
    copyFileSync(file, `${file}.copy`);
    renameSync(`${file}.copy`, file);
    writeFiles(root, made('r00a', 3));
    rmSync(join(runs, 'r38'), { recursive: true });
    same();
    expect(readResults(runs)).toHaveLength(26);
  });

  it('keeps records of many MiB, encoded a few at a time, each row at its place, and new rows between them', () => {
    // records of ~22 KB (a result of many sources): 250 of them are more than one piece of bytes
    const sources = (i: number) =>
      Array.from({ length: 150 }, (_, k) => ({
        name: `up${k}`,
        id: `${'u'.repeat(60)}-${i}-${k}`,
        started_at: '2026-01-01T00:00:00Z',
        config_hash: `sha256:${String(k).padStart(64, '0')}`,
      }));
    const made = (name: string, i: number) => ({
      ...result(name, { lr: i }),
      [`runs/${name}/run.json`]: fakeRecord({
        name,
        started_at: '2026-01-01T00:00:01Z',
        pid: 2 ** 22 + 5,
        sources: sources(i),
      }),
    });
    const files = {};
    for (let i = 0; i < 500; i += 2) Object.assign(files, made(`r${String(i).padStart(3, '0')}`, i));
    const root = makeProject(files);
    const runs = join(root, 'runs');
    const fields = (r: IndexedResult) => [r.name, r.record, r.end, r.facts?.sources.at(-1)?.id];
    const read = readResults(runs);
    expect(read.reduce((n, r) => n + JSON.stringify(r.record).length, 0)).toBeGreaterThan(5 << 20);
    expect(read.map(fields)).toEqual(readResults(runs, { cache: false }).map(fields));
    expect(read[123]?.facts?.sources.at(-1)?.id).toBe(`${'u'.repeat(60)}-246-149`);
    // new rows between the kept ones: the new records are cut out of their pieces by place
    const more = {};
    for (let i = 1; i < 500; i += 50) Object.assign(more, made(`r${String(i).padStart(3, '0')}`, i));
    writeFiles(root, more);
    expect(readResults(runs).map(fields)).toEqual(readResults(runs, { cache: false }).map(fields));
    // and as written to the index file
    const file = indexFile(runs);
    copyFileSync(file, `${file}.copy`);
    renameSync(`${file}.copy`, file);
    expect(readResults(runs).map(fields)).toEqual(readResults(runs, { cache: false }).map(fields));
  });

  it('makes the rows of folders read on two threads in order, between kept ones, as the folders come in', () => {
    const files: Record<string, object> = {};
    for (let i = 0; i < 800; i += 2)
      Object.assign(files, result(`r${String(i).padStart(4, '0')}`, { lr: i }));
    const root = makeProject(files);
    const runs = join(root, 'runs');
    const fields = (r: IndexedResult) => [r.name, r.status, r.flat, r.files.size, r.facts?.started_at];
    readResults(runs);
    // 1,200 new folders, the first 400 between the kept ones, some removed, some made anew: five
    // batches to read, the worker taking the first, so that this thread's come in before it
    const more: Record<string, object> = {};
    for (let i = 1; i < 2400; i += 2)
      Object.assign(more, result(`r${String(i).padStart(4, '0')}`, { lr: -i }));
    for (const gone of ['r0010', 'r0300', 'r0798']) rmSync(join(runs, gone), { recursive: true });
    for (const anew of ['r0020', 'r0400']) {
      rmSync(join(runs, anew), { recursive: true });
      Object.assign(more, result(anew, { lr: 'anew' }));
    }
    writeFiles(root, more);
    const read = readResults(runs, { parallelFrom: 1, workerFirst: true });
    expect(lastReading.byWorker).toBeGreaterThan(0);
    expect(read.map(fields)).toEqual(readResults(runs, { cache: false }).map(fields));
    expect(read).toHaveLength(1597);
    expect(read.find((r) => r.name === 'r0400')?.flat).toEqual({ lr: 'anew' });
    // and as written to the index
    expect(readResults(runs).map(fields)).toEqual(read.map(fields));
  });

  it('sees new, removed and replaced folders, and a record removed by hand once the root changes', () => {
    const root = makeProject({ ...result('a', { lr: 1 }), ...result('b', { lr: 2 }) });
    settle(root);
    expect([...byName(root).keys()].sort()).toEqual(['a', 'b']);
    // a folder made anew under an old name (repro rm, then a run): the root changes
    rmSync(join(root, 'runs/a'), { recursive: true });
    writeFiles(root, { ...result('a', { lr: 5 }), ...result('c', { lr: 3 }) });
    const after = byName(root);
    expect([...after.keys()].sort()).toEqual(['a', 'b', 'c']);
    expect(after.get('a')?.flat).toEqual({ lr: 5 });
    // a record removed inside an ended result changes that folder's time
    rmSync(join(root, 'runs/b/end.json'));
    mkdirSync(join(root, 'runs/d'));
    expect(byName(root).get('b')?.status).toBe('crashed');
    rmSync(join(root, 'runs/c'), { recursive: true });
    expect([...byName(root).keys()].sort()).toEqual(['a', 'b']);
  });

  it('is not written again for a run still going while the runs root is too new to vouch for', () => {
    const root = makeProject({ ...result('a', { lr: 1 }), 'runs/b/config.json': { lr: 2 } });
    // a root time in the future: every listing looks at the folders again (the index cannot
    // vouch that nothing was added since)
    const later = new Date(Date.now() + 60_000);
    utimesSync(join(root, 'runs'), later, later);
    const stamp = () => {
      const st = statSync(indexFile(join(root, 'runs')));
      return `${st.ino}:${st.mtimeMs}`;
    };
    expect(byName(root).get('b')?.status).toBe('running');
    const before = stamp();
    expect(byName(root).get('b')?.status).toBe('running');
    expect(lastReading.trusted).toBe(false);
    expect(stamp()).toBe(before);
  });

  it('stats the folders it keeps on a second thread when they are many, and sees what changed', () => {
    const files = {};
    for (let i = 0; i < 30; i++) Object.assign(files, result(`r${String(i).padStart(2, '0')}`, { lr: i }));
    const root = makeProject(files);
    const runs = join(root, 'runs');
    settle(root);
    expect(readResults(runs)).toHaveLength(30);
    // made anew under an old name, removed, added, and a record removed inside one kept
    rmSync(join(runs, 'r05'), { recursive: true });
    rmSync(join(runs, 'r07'), { recursive: true });
    writeFiles(root, { ...result('r05', { lr: 500 }), ...result('r99', { lr: 99 }) });
    rmSync(join(runs, 'r11/end.json'));
    // the worker takes the one batch of 29 kept folders before this thread looks
    const rows = readResults(runs, { statParallelFrom: 1, workerFirst: true });
    expect(lastReading.statedByWorker).toBe(1);
    const seen = new Map(rows.map((r) => [r.name, r]));
    expect(seen.size).toBe(30);
    expect(seen.has('r07')).toBe(false);
    expect(seen.get('r05')?.flat).toEqual({ lr: 500 });
    expect(seen.get('r99')?.flat).toEqual({ lr: 99 });
    expect(seen.get('r11')?.status).toBe('crashed');
    expect(seen.get('r12')?.status).toBe('done');
    const plain = (r: IndexedResult) => [r.name, r.status, r.flat, r.started_at];
    expect(rows.map(plain)).toEqual(readResults(runs, { cache: false }).map(plain));
    // and on this thread alone, the same
    rmSync(join(runs, 'r12'), { recursive: true });
    const alone = readResults(runs, { statParallelFrom: Number.POSITIVE_INFINITY });
    expect(lastReading.statedByWorker).toBe(0);
    expect(alone.map(plain)).toEqual(readResults(runs, { cache: false }).map(plain));
  });

  it('starts its worker threads from the built entry (dist/results-worker.js) as from the sources', async () => {
    const files = {};
    for (let i = 0; i < 3; i++) Object.assign(files, result(`r${i}`, { lr: i }));
    const root = makeProject(files);
    const runs = join(root, 'runs');
    const names = ['r0', 'r1', 'r2', 'gone'];
    const shared = new Int32Array(new SharedArrayBuffer(4 * 3));
    const ino = new Float64Array(new SharedArrayBuffer(8 * names.length));
    const mtimeMs = new Float64Array(new SharedArrayBuffer(8 * names.length));
    const entry = new URL('../../dist/results-worker.js', import.meta.url);
    expect(existsSync(entry), 'dist/ is built (npm ci builds it)').toBe(true);
    const worker = new Worker(entry, {
      workerData: { reproStatFolders: { root: runs, names, shared, ino, mtimeMs } },
    });
    await once(worker, 'exit');
    expect(Atomics.load(shared, 1), "the one batch, stat'ed by the worker").toBe(1);
    for (const [k, name] of names.slice(0, 3).entries()) {
      const st = statSync(join(runs, name));
      expect([ino[k], mtimeMs[k]]).toEqual([st.ino, st.mtimeMs]);
    }
    expect(ino[3]).toBeNaN();
  });

  it('is rebuilt from the folders when its file is torn or foreign', () => {
    const root = makeProject({ ...result('a', { lr: 1 }) });
    settle(root);
    readResults(join(root, 'runs'));
    const file = indexFile(join(root, 'runs'));
    writeFileSync(file, 'not an index');
    expect(byName(root).get('a')?.status).toBe('done');
    writeFileSync(file, Buffer.from([0xff, 0x0f, 0x6f, 0x22, 0x02]));
    expect(byName(root).get('a')?.status).toBe('done');
    // cut short anywhere (a disk that filled while it was written, a copy cut off)
    const whole = readFileSync(file);
    for (const length of [6, 40, whole.length >> 1, whole.length - 4]) {
      writeFileSync(file, whole.subarray(0, length));
      expect(byName(root).get('a')).toMatchObject({ status: 'done', config: { lr: 1 } });
      // written again whole (its generation, a random text, may differ in length by a few bytes)
      expect(Math.abs(readFileSync(file).length - whole.length)).toBeLessThan(32);
    }
  });

  it('finds a part whose bytes changed when it reads it: rebuilt, or the command says so and runs again', async () => {
    const root = makeProject({
      ...result('a', { lr: 1 }),
      ...result('b', { lr: 2 }),
      'runs/a/metrics.jsonl': '{"loss": 0.5}\n{"loss": 0.25}\n',
    });
    settle(root);
    const runs = join(root, 'runs');
    readResults(runs);
    const file = indexFile(runs);
    const whole = readFileSync(file);
    /** The index file with one byte of a part changed (its length, and every other part, as they were). */
    const flip = (part: string) => {
      const at = Buffer.from('repro-results-index\n').length;
      const length = whole.readUInt32LE(at);
      const header = deserialize(whole.subarray(at + 4, at + 4 + length));
      const { at: start, length: size } = header.parts[part];
      expect(size).toBeGreaterThan(0);
      const bytes = Buffer.from(whole);
      const k = at + 4 + length + start + (size >> 1);
      bytes[k] = (bytes[k] as number) ^ 0x55;
      writeFileSync(file, bytes);
      return bytes;
    };
    // read while the index is checked (which results ended): rebuilt from the folders
    const flipped = flip('final');
    expect(byName(root).get('a')).toMatchObject({ status: 'done', flat: { lr: 1 } });
    expect(readFileSync(file).equals(flipped)).toBe(false); // written again
    // read later, when a field is first asked for: an error that names the file and the part,
    // and the file is gone, so that the next reading rebuilds it
    writeFileSync(file, whole);
    flip('tables.flats');
    const rows = readResults(runs);
    expect(() => rows[0]?.flat).toThrow(IndexDamagedError);
    expect(() => readResults(runs)[0]?.flat).not.toThrow(); // this one read the folders
    expect(existsSync(file)).toBe(true);
    // the records: each result's records are read from its folder instead
    writeFileSync(file, whole);
    flip('records');
    expect(readResults(runs).map((r) => r.record.value?.name)).toEqual(['a', 'b']);
    // listRuns (the dashboard's, the library's) reads the folders again at once
    writeFileSync(file, whole);
    flip('metricValues');
    const listed = await listRuns({ cwd: root });
    expect(listed.map((r) => [r.name, r.metrics.loss?.last])).toEqual([
      ['a', 0.25],
      ['b', undefined],
    ]);
    // a listing runs again on the folders, saying so, and prints the table once
    writeFileSync(file, whole);
    flip('metricValues');
    const ls = await runRepro(root, ['ls', '--no-stale']);
    expect(ls.code, ls.stderr).toBe(0);
    expect(ls.stderr).toContain(
      `repro: the results index ${file} is damaged (its part "metricValues" does not match its checksum): it was removed; reading the result folders again`,
    );
    expect(ls.stdout.match(/^a /gm)).toHaveLength(1);
    expect(ls.stdout).toMatch(/^a\s.*0\.25/m);
    expect((await runRepro(root, ['ls', '--no-stale'])).stderr).toBe('');
    // and when the index is written again (a result added), damaged records are never copied
    // into the new file as if whole: the kept rows are read from their folders
    writeFileSync(file, whole);
    flip('records');
    writeFiles(root, result('c', { lr: 3 }));
    settle(root);
    expect(readResults(runs).map((r) => r.record.value?.name)).toEqual(['a', 'b', 'c']);
    expect(existsSync(file)).toBe(true);
    // the file written then has whole records: read back from it, not from the folders
    copyFileSync(file, `${file}.copy`);
    renameSync(`${file}.copy`, file);
    const again = readResults(runs);
    expect(lastReading.trusted).toBe(true);
    expect(again.map((r) => r.record.value?.name)).toEqual(['a', 'b', 'c']);
  });

  it('a damaged part never fails make or a page of the dashboard: they read the folders again', async () => {
    const root = makeProject({
      'noop.mjs': '',
      'configs/data.json': { script: 'noop.mjs', n: 1 },
      'configs/model.json': { script: 'noop.mjs', source: 'data', lr: 0.1 },
    });
    expect((await runRepro(root, ['make', 'model'])).code).toBe(0);
    settle(root);
    const runs = join(root, 'runs');
    readResults(runs);
    const file = indexFile(runs);
    const whole = readFileSync(file);
    const at = Buffer.from('repro-results-index\n').length;
    const length = whole.readUInt32LE(at);
    const parts = deserialize(whole.subarray(at + 4, at + 4 + length)).parts as Record<
      string,
      { at: number; length: number }
    >;
    const app = createUiApp({ project: findProject({ cwd: root }) });
    const pages = async () => {
      const answers = [];
      for (const page of ['/api/graph', '/api/runs/model', '/api/runs']) {
        const r = await app.request(page);
        answers.push([page, r.status, await r.json()]);
      }
      return answers;
    };
    const make = async () => {
      const r = await runRepro(root, ['make', 'model', '--dry-run']);
      return [r.code, r.stdout, r.stderr];
    };
    const wanted = { make: await make(), pages: await pages() };
    expect(wanted.make[0]).toBe(0);
    let flipped = 0;
    for (const [name, part] of Object.entries(parts)) {
      if (part.length === 0) continue;
      for (const read of ['make', 'pages'] as const) {
        const bytes = Buffer.from(whole);
        const k = at + 4 + length + part.at + (part.length >> 1);
        bytes[k] = (bytes[k] as number) ^ 0x55;
        writeFileSync(file, bytes);
        expect(read === 'make' ? await make() : await pages(), `${read} with "${name}" damaged`).toEqual(
          wanted[read],
        );
        flipped++;
      }
    }
    expect(flipped).toBeGreaterThan(20);
  });

  it("keeps what a result's staleness rests on as its records say: made, loaded and copied", () => {
    const started = '2026-01-01T00:00:01Z';
    const record = (name: string, patch: Partial<RunRecord>) =>
      fakeRecord({ name, started_at: started, pid: 2 ** 22 + 5, ...patch });
    const script = { path: 'train.py', sha256: 'sha256:1', interpreter: [], interpreter_version: null };
    const root = makeProject({
      // an id, a script, the config it was made from, two upstream runs (one from before ids)
      ...result('a', { lr: 1 }),
      'runs/a/run.json': record('a', {
        id: 'id-a',
        script,
        config: { name: 'a', file: 'configs/a.json', hash: 'sha256:h', base_hash: 'sha256:b' },
        sources: [
          { name: 'up', id: 'id-up', started_at: started, config_hash: null },
          { name: 'old', started_at: null, config_hash: null },
        ],
      }),
      // two runs of one script, no id, no sources
      ...result('b', { lr: 2 }),
      'runs/b/run.json': record('b', { script }),
      // still running: no end
      'runs/c/config.json': { lr: 3 },
      'runs/c/run.json': record('c', { id: 'id-c' }),
      // no record, and a record that is none
      'runs/d/config.json': { lr: 4 },
      ...result('e', { lr: 5 }),
      'runs/e/run.json': '{"not": "a record"}',
    });
    settle(root);
    const runs = join(root, 'runs');
    const fromRecords = () =>
      new Map(
        readResults(runs, { cache: false }).map((r) => [r.name, runFacts(r.record.value, r.end.value)]),
      );
    const facts = (rows: readonly IndexedResult[]) => new Map(rows.map((r) => [r.name, r.facts]));
    const expected = fromRecords();
    expect(expected.get('a')).toEqual({
      id: 'id-a',
      started_at: started,
      ended_at: end.ended_at,
      base_hash: 'sha256:b',
      config_name: 'a',
      config_file: 'configs/a.json',
      script: { path: 'train.py', sha256: 'sha256:1' },
      sources: [
        { name: 'up', id: 'id-up', started_at: started },
        { name: 'old', id: null, started_at: null },
      ],
    });
    expect(expected.get('c')).toMatchObject({ id: 'id-c', ended_at: null, script: null, sources: [] });
    expect(expected.get('d')).toBeNull();
    expect(expected.get('e')).toBeNull();
    // as made from the folders
    const made = readResults(runs);
    expect(facts(made)).toEqual(expected);
    // one object for one script, whichever results recorded it
    expect(made.find((r) => r.name === 'a')?.facts?.script).toBe(
      made.find((r) => r.name === 'b')?.facts?.script,
    );
    // as loaded from the file (a copy of it: this process keeps the index it wrote)
    const file = indexFile(runs);
    copyFileSync(file, `${file}.copy`);
    renameSync(`${file}.copy`, file);
    lastReading.trusted = false;
    expect(facts(readResults(runs))).toEqual(expected);
    expect(lastReading.trusted).toBe(true);
    // as copied from the old index into a new one when a folder is added
    writeFiles(root, result('f', { lr: 6 }));
    const copied = readResults(runs);
    expect(lastReading.trusted).toBe(false);
    expect(facts(copied.filter((r) => r.name !== 'f'))).toEqual(expected);
    expect(copied.find((r) => r.name === 'f')?.facts).toMatchObject({ started_at: started, sources: [] });
  });

  it('keeps one object per distinct config, written once', () => {
    const files = {};
    for (let i = 0; i < 20; i++) Object.assign(files, result(`r${i}`, { lr: i % 2 }));
    const root = makeProject(files);
    readResults(join(root, 'runs'));
    const listed = readResults(join(root, 'runs'));
    expect(new Set(listed.map((r) => r.config)).size).toBe(2);
    expect(new Set(listed.map((r) => r.flat)).size).toBe(2);
  });

  it('stays right while commands list and runs are made at the same time', { timeout: 60_000 }, async () => {
    const root = makeProject({
      'configs/base.json': { script: 'noop.mjs', x: 0 },
      'noop.mjs': '',
    });
    const env = { XDG_CACHE_HOME: cacheDir() };
    const runs = Array.from({ length: 6 }, (_, i) =>
      runRepro(root, ['run', 'configs/base.json', '--set', `x=${i}`]),
    );
    const lists = Array.from({ length: 4 }, () => runRepro(root, ['ls', '--json', '--no-stale'], { env }));
    await Promise.all([...runs, ...lists]);
    const listed = JSON.parse((await runRepro(root, ['ls', '--json', '--no-stale'], { env })).stdout);
    const folders = readdirSync(join(root, 'runs')).filter((n) => !n.startsWith('.'));
    expect(listed.map((r: { name: string }) => r.name).sort()).toEqual(folders.sort());
    expect(listed.every((r: { status: string }) => r.status === 'done')).toBe(true);
    expect(folders).toHaveLength(6);
  });
});
