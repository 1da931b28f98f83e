import { appendFileSync, readdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { higherIsBetter, summarizeMetrics } from '../../src/compare/metrics.ts';
import {
  hasKey,
  knownKeys,
  listRuns,
  matches,
  parseWhere,
  sortRuns,
  stringifyNumbers,
  stringifyNumbersPieces,
} from '../../src/compare/runs.ts';
import { parseMetricsCounted } from '../../src/run/metrics.ts';
import { fakeRecord, isolateCache, makeProject, runCli, runRepro, writeFiles } from '../helpers.ts';

const cacheDir = isolateCache();

const end = (status: string) => ({
  status,
  exit_code: status === 'done' ? 0 : 1,
  signal: null,
  ended_at: '2026-01-01T00:01:00Z',
  duration_s: 2,
});
const metrics = (rows: object[]) => rows.map((r) => JSON.stringify(r)).join('\n') + '\n';

function project() {
  return makeProject({
    'runs/a/config.json': { lr: 0.1, opt: 'adam' },
    'runs/a/run.json': fakeRecord({ name: 'a', started_at: '2026-01-01T00:00:01Z', pid: 2 ** 22 + 5 }),
    'runs/a/end.json': end('done'),
    'runs/a/metrics.jsonl': metrics([
      { step: 0, loss: 1, acc: 0.5 },
      { step: 1, loss: 0.4, acc: 0.8 },
      { step: 2, loss: 0.6, acc: 0.7 },
    ]),
    'runs/b/config.json': { lr: 0.01, opt: 'adam' },
    'runs/b/run.json': fakeRecord({ name: 'b', started_at: '2026-01-01T00:00:02Z', pid: 2 ** 22 + 5 }),
    'runs/b/end.json': end('failed'),
    'runs/b/metrics.jsonl': metrics([
      { step: 0, loss: 2 },
      { step: 1, loss: 'NaN' },
    ]),
    'runs/c/config.json': { lr: 0.001, opt: 'sgd' },
    'runs/c/run.json': fakeRecord({ name: 'c', started_at: '2026-01-01T00:00:03Z', pid: 2 ** 22 + 5 }),
  });
}

describe('listRuns', () => {
  it('lists every result with status, config and metric summaries', async () => {
    const root = project();
    const runs = await listRuns({ cwd: root });
    expect(runs.map((r) => [r.name, r.status])).toEqual([
      ['a', 'done'],
      ['b', 'failed'],
      ['c', 'crashed'],
    ]);
    expect(runs[0]?.metrics).toEqual({
      loss: { last: 0.6, best: 0.4, count: 3 },
      acc: { last: 0.7, best: 0.8, count: 3 },
    });
    expect(runs[1]?.metrics.loss).toMatchObject({ best: 2, count: 2 });
    expect(Number.isNaN(runs[1]?.metrics.loss?.last)).toBe(true);
  });

  it('keeps a cache that is always right: changed, new and deleted folders are seen', async () => {
    const root = project();
    expect((await listRuns({ cwd: root })).map((r) => r.name)).toEqual(['a', 'b', 'c']);
    expect(readdirSync(join(cacheDir(), 'repro')).some((f) => f.startsWith('results-'))).toBe(true);
    // metrics appended by a run that has not ended (no new file: the folder's time stays)
    writeFiles(root, { 'runs/c/metrics.jsonl': metrics([{ step: 0, loss: 0.3 }]) });
    expect((await listRuns({ cwd: root }))[2]?.metrics.loss).toEqual({ last: 0.3, best: 0.3, count: 1 });
    appendFileSync(join(root, 'runs/c/metrics.jsonl'), metrics([{ step: 1, loss: 0.1 }]));
    expect((await listRuns({ cwd: root }))[2]?.metrics.loss).toEqual({ last: 0.1, best: 0.1, count: 2 });
    // a run that ends
    writeFileSync(join(root, 'runs/c/end.json'), JSON.stringify(end('done')));
    expect((await listRuns({ cwd: root }))[2]?.status).toBe('done');
    // a deleted and a new folder
    rmSync(join(root, 'runs/b'), { recursive: true });
    writeFiles(root, { 'runs/d/config.json': { lr: 1 } });
    expect((await listRuns({ cwd: root })).map((r) => r.name).sort()).toEqual(['a', 'c', 'd']);
    expect((await listRuns({ cwd: root, cache: false })).map((r) => r.name).sort()).toEqual(['a', 'c', 'd']);
  });

  it('lists by start time, then name, whether the index sorts them or kept their order', async () => {
    const at = (s: number) => `2026-01-01T00:00:0${s}Z`;
    const root = makeProject({
      'runs/a/config.json': { lr: 1 },
      'runs/a/run.json': fakeRecord({ name: 'a', started_at: at(3) }),
      'runs/a/end.json': end('done'),
      'runs/b/config.json': { lr: 2 },
      'runs/b/run.json': fakeRecord({ name: 'b', started_at: at(1) }),
      'runs/b/end.json': end('done'),
      'runs/c/config.json': { lr: 3 },
      'runs/c/run.json': fakeRecord({ name: 'c', started_at: at(3) }),
      'runs/c/end.json': end('done'),
      // no start record: no start time, listed first
      'runs/d/config.json': { lr: 4 },
    });
    const order = ['d', 'b', 'a', 'c'];
    expect((await listRuns({ cwd: root, cache: false })).map((r) => r.name)).toEqual(order);
    expect((await listRuns({ cwd: root })).map((r) => r.name)).toEqual(order);
    // a root older than its listing is trusted: the order comes from the index file as written
    const old = new Date(Date.now() - 60_000);
    utimesSync(join(root, 'runs'), old, old);
    expect((await listRuns({ cwd: root })).map((r) => r.name)).toEqual(order);
    expect((await listRuns({ cwd: root })).map((r) => r.name)).toEqual(order);
  });

  it('shows each run its own defaults and metrics where runs share a config', async () => {
    const done = (name: string, s: number) => ({
      [`runs/${name}/config.json`]: { lr: 0.1 },
      [`runs/${name}/run.json`]: fakeRecord({ name, started_at: `2026-01-01T00:00:0${s}Z` }),
      [`runs/${name}/end.json`]: end('done'),
    });
    const root = makeProject({
      ...done('a', 1),
      'runs/a/effective.json': { defaults: { wd: 1 } },
      ...done('b', 2),
      'runs/b/effective.json': { defaults: { wd: 2 } },
      ...done('c', 3),
      'runs/c/effective.json': { defaults: { wd: 1, score: 'x' } },
      ...done('d', 4),
      'runs/d/metrics.jsonl': metrics([{ score: 0.5 }]),
      // config and defaults as d's, no metric
      ...done('f', 5),
      ...done('e', 6),
      'runs/e/effective.json': { defaults: { wd: 1 } },
    });
    const table = await runRepro(root, ['ls', '--columns', 'name,lr,wd,score,config:score']);
    expect(table.stdout.split('\n').map((l) => l.split(/ +/))).toEqual([
      ['name', 'lr', 'wd', 'score', 'config:score'],
      ['a', '0.1', '1', '—', '—'],
      ['b', '0.1', '2', '—', '—'],
      ['c', '0.1', '1', 'x', 'x'],
      ['d', '0.1', '—', '0.5', '—'],
      ['f', '0.1', '—', '—', '—'],
      ['e', '0.1', '1', '—', '—'],
      [''],
    ]);
  });

  it('knows a key when some run has it, as the full set of keys does', async () => {
    const runs = await listRuns({ cwd: project() });
    const known = knownKeys(runs);
    const asked = [...known, 'loss.best.best', 'config:loss', 'metric:lr', 'nope', 'config:nope', 'metric:'];
    for (const key of asked) expect([key, hasKey(runs, key)]).toEqual([key, known.has(key)]);
    expect(hasKey(runs, 'metric:acc.best')).toBe(true);
    expect(hasKey(runs, 'config:acc')).toBe(false);
    expect(hasKey([], 'name')).toBe(true);
  });

  it('filters, sorts and reads metrics by name', async () => {
    const runs = await listRuns({ cwd: project() });
    const where = (t: string) => runs.filter((r) => matches(r, parseWhere(t))).map((r) => r.name);
    expect(where('opt=adam')).toEqual(['a', 'b']);
    expect(where('opt!=adam')).toEqual(['c']);
    expect(where('lr<0.05')).toEqual(['b', 'c']);
    expect(where('lr>=0.01')).toEqual(['a', 'b']);
    expect(where('loss<1')).toEqual(['a']);
    expect(where('status=crashed')).toEqual(['c']);
    expect(sortRuns(runs, 'lr').map((r) => r.name)).toEqual(['c', 'b', 'a']);
    expect(sortRuns(runs, '-lr').map((r) => r.name)).toEqual(['a', 'b', 'c']);
    expect(sortRuns(runs, 'acc').map((r) => r.name)).toEqual(['a', 'b', 'c']);
    expect(() => parseWhere('lr')).toThrow(/is not key=value/);
    // an order of something that is no number matched nothing, silently: a doubled operator, a word
    expect(() => parseWhere('acc>>0.9')).toThrow(
      '--where "acc>>0.9": > compares numbers, and ">0.9" is not one',
    );
    expect(() => parseWhere('lr<=high')).toThrow(/<= compares numbers/);
    expect(where('opt=>adam')).toEqual([]);
  });

  it('knows which way is better', async () => {
    expect(['acc', 'val_acc', 'f1', 'test/accuracy', 'top5', 'reward'].every(higherIsBetter)).toBe(true);
    expect(['loss', 'val_loss', 'error', 'perplexity', 'accuracy_loss_weight'].some(higherIsBetter)).toBe(
      true,
    );
    expect(['loss', 'val_loss', 'error', 'perplexity', 'mae'].some(higherIsBetter)).toBe(false);
    expect(
      summarizeMetrics([
        { step: 0, acc: 0.5 },
        { step: 1, acc: 0.9 },
        { step: 2, acc: 0.7 },
      ]),
    ).toEqual({
      acc: { last: 0.7, best: 0.9, count: 3 },
    });
    // each metric's direction is its own, asked once; a metric named __proto__ is one like any other
    const mixed = summarizeMetrics([
      { step: 0, acc: 0.5, loss: 2, ['__proto__']: 3, note: 'x' },
      { step: 1, acc: 0.4, loss: 1, ['__proto__']: 1 },
      { step: 2, acc: 'NaN', loss: 1.5 },
    ] as never);
    expect(Object.entries(mixed)).toEqual([
      ['acc', { last: Number.NaN, best: 0.5, count: 3 }],
      ['loss', { last: 1.5, best: 1, count: 3 }],
      ['__proto__', { last: 1, best: 1, count: 2 }],
    ]);
    expect(({} as Record<string, unknown>).last).toBeUndefined();
    // and so from the results index, as written and as read again
    const root = makeProject({
      'runs/p/config.json': { lr: 1 },
      'runs/p/run.json': fakeRecord({ name: 'p', started_at: '2026-01-01T00:00:01Z', pid: 2 ** 22 + 5 }),
      'runs/p/end.json': end('done'),
      'runs/p/metrics.jsonl': '{"step": 0, "__proto__": 2, "loss": 1}\n',
    });
    for (let again = 0; again < 2; again++) {
      const [p] = await listRuns({ cwd: root });
      expect(Object.entries(p?.metrics ?? {})).toEqual([
        ['__proto__', { last: 2, best: 2, count: 1 }],
        ['loss', { last: 1, best: 1, count: 1 }],
      ]);
    }
    // lines of blanks are no lines; a line that is not a JSON object is skipped and counted
    expect(
      parseMetricsCounted('{"a": 1}\n   \n\nnot json\n[1]\n{"a": NaN, "b": "NaN x"}\r\n{"a": -Infinity}'),
    ).toEqual({ rows: [{ a: 1 }, { a: 'NaN', b: 'NaN x' }, { a: '-Infinity' }], skipped: 2 });
  });
});

describe('repro ls --csv of many results', () => {
  it('is one header and every row, written a thousand rows at a time', async () => {
    const files: Record<string, object> = {};
    for (let i = 0; i < 2345; i++) {
      const name = `r${String(i).padStart(4, '0')}`;
      files[`runs/${name}/config.json`] = { lr: i % 3, note: i === 1500 ? 'a, "quoted"\nline' : 'x' };
      files[`runs/${name}/run.json`] = fakeRecord({
        name,
        started_at: '2026-01-01T00:00:01Z',
        pid: 2 ** 22 + 5,
      });
      files[`runs/${name}/end.json`] = end('done');
    }
    const root = makeProject(files);
    const r = await runRepro(root, ['ls', '--no-stale', '--csv', '--columns', 'name,lr,note']);
    expect(r.stderr).toBe('');
    const { parse } = await import('csv-parse/sync');
    const rows = parse(r.stdout) as string[][];
    expect(rows[0]).toEqual(['name', 'lr', 'note']);
    expect(rows).toHaveLength(2346);
    expect(rows.slice(1).map((row) => row[0])).toEqual(
      Object.keys(files)
        .filter((f) => f.endsWith('config.json'))
        .map((f) => f.split('/')[1]),
    );
    // a text with a line break is shown as JSON, as in the table; the CSV quotes what it must
    expect(rows[1501]).toEqual(['r1500', '0', JSON.stringify('a, "quoted"\nline')]);
    expect(r.stdout.endsWith('\r\n')).toBe(true);
  });

  it('writes NaN and the infinities as strings wherever they are, and everything else as JSON.stringify does', () => {
    // the replacer everywhere, as it was: the text to match, whatever path stringifyNumbers takes
    const reference = (v: unknown, space?: number) =>
      JSON.stringify(v, (_k, x) => (typeof x === 'number' && !Number.isFinite(x) ? String(x) : x), space);
    class Point {
      x = Number.NaN;
      y = 2;
    }
    const cases: unknown[] = [
      { runs: [{ name: 'a', metrics: { loss: { last: 0.5, best: 0.25 } } }], keys: ['lr'] },
      { runs: [{ name: 'a' }, { name: 'b', metrics: { loss: { last: Number.NaN } } }] },
      [1, [2, [3, [Number.NEGATIVE_INFINITY]]]],
      { deep: { deeper: { deepest: Number.POSITIVE_INFINITY } } },
      { toJSON: () => ({ made: Number.NaN }) },
      { when: new Date(0), n: 1 },
      new Point(),
      { point: new Point() },
      Object.assign(Object.create(null), { a: Number.NaN, b: 1 }),
      { map: new Map([['a', 1]]), set: new Set([1]), f: () => 1, u: undefined, s: Symbol('s') },
      Number.NaN,
      -0,
      'text',
      null,
    ];
    for (const v of cases) {
      expect(stringifyNumbers(v)).toBe(reference(v));
      expect(stringifyNumbers(v, 2)).toBe(reference(v, 2));
    }
    expect(stringifyNumbers(cases[1])).toContain('"last":"NaN"');
  });

  it('is the same JSON text in pieces as in one string, the runs listed included', async () => {
    const odd = [
      { loss: Number.NaN, best: Number.POSITIVE_INFINITY, note: 'two\nlines', nested: { a: [1, {}, []] } },
      undefined,
      () => 1,
      { toJSON: () => ({ made: 'by toJSON' }) },
      'text',
      null,
      [],
    ];
    const many = Array.from({ length: 2345 }, (_, i) => odd[i % odd.length]);
    for (const values of [[], [1], odd, many]) {
      const pieces = [...stringifyNumbersPieces(values)];
      expect(pieces.join('')).toBe(stringifyNumbers(values, 2));
      if (values.length > 1000) expect(pieces.length).toBeGreaterThan(3);
    }
    const runs = await listRuns({ cwd: project() });
    expect([...stringifyNumbersPieces(runs)].join('')).toBe(stringifyNumbers(runs, 2));
  });
});

describe('repro ls (binary)', () => {
  it('shows differing keys and metrics, filters, sorts, limits, and prints JSON and CSV', async () => {
    const root = project();
    const env = { XDG_CACHE_HOME: cacheDir() };
    const table = await runCli(root, ['ls'], { env });
    expect(table.code).toBe(0);
    const lines = table.stdout.trim().split('\n');
    expect(lines[0]).toMatch(
      /^name\s+status\s+started\s+duration\s+lr\s+opt\s+loss\s+loss\.best\s+acc\s+acc\.best$/,
    );
    expect(lines[1]).toMatch(
      /^a\s+done\s+2026-01-01 00:00:01\s+2\.00 s\s+0\.1\s+adam\s+0\.6\s+0\.4\s+0\.7\s+0\.8$/,
    );
    const sorted = await runRepro(
      root,
      ['ls', '--sort=-lr', '--limit', '2', '--columns', 'name,lr', '--where', 'opt=adam'],
      { env },
    );
    expect(sorted.stdout).toBe('name  lr\na     0.1\nb     0.01\n');
    const json = JSON.parse((await runCli(root, ['ls', '--json'], { env })).stdout);
    expect(json.map((r: { name: string }) => r.name)).toEqual(['a', 'b', 'c']);
    expect(json[1].metrics.loss.last).toBe('NaN');
    const csv = await runCli(root, ['ls', '--csv', '--columns', 'name,status,loss'], { env });
    expect(csv.stdout).toBe('name,status,loss\r\na,done,0.6\r\nb,failed,NaN\r\nc,crashed,\r\n');
  });
});

describe('repro ls --upstream', () => {
  // a digits-like pipeline: data -> model1..3 (a sweep of gamma) -> evaluation1..3
  function pipeline() {
    const files: Record<string, object | string> = {
      'runs/data/config.json': { seed: 7 },
      'runs/data/run.json': fakeRecord({ name: 'data', started_at: '2026-01-01T00:00:00Z' }),
      'runs/data/end.json': end('done'),
    };
    [0.1, 0.01, 0.001].forEach((gamma, i) => {
      const n = i + 1;
      const rec = (name: string, config: string) => ({
        ...fakeRecord({ name, started_at: `2026-01-01T00:0${n}:00Z` }),
        config: { name: config, file: null, hash: '', base_hash: '' },
      });
      files[`runs/model${n}/config.json`] = { source: 'data', gamma, C: 1 };
      files[`runs/model${n}/run.json`] = rec(`model${n}`, `model${n}`);
      files[`runs/model${n}/end.json`] = end('done');
      files[`runs/evaluation${n}/config.json`] = { source: `model${n}`, precision: 'high' };
      files[`runs/evaluation${n}/run.json`] = rec(`evaluation${n}`, `evaluation${n}`);
      files[`runs/evaluation${n}/end.json`] = end('done');
      files[`runs/evaluation${n}/metrics.jsonl`] = metrics([
        { accuracy: [0.9, 0.97, 0.93][i], precision: 0.5 + i / 10 },
      ]);
    });
    return makeProject(files);
  }

  it('puts the upstream configs beside each run, and sorts and filters on them', async () => {
    const root = pipeline();
    const r = await runRepro(root, [
      'ls',
      'evaluation*',
      '--upstream',
      '--columns',
      'name,model.gamma,data.seed,accuracy',
      '--sort=-accuracy',
      '--csv',
    ]);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe(
      'name,model.gamma,data.seed,accuracy\r\nevaluation2,0.01,7,0.97\r\nevaluation3,0.001,7,0.93\r\nevaluation1,0.1,7,0.9\r\n',
    );
    const where = await runRepro(root, [
      'ls',
      '--upstream',
      '--where',
      'model.gamma<0.05',
      '--json',
      '--no-stale',
    ]);
    expect(JSON.parse(where.stdout).map((x: { name: string }) => x.name)).toEqual(
      ['model2', 'model3', 'evaluation2', 'evaluation3'].filter((n) => n.startsWith('evaluation')),
    );
    // the default columns show the upstream keys that differ
    const table = await runRepro(root, ['ls', 'evaluation*', '--upstream', '--no-stale'], { columns: 200 });
    expect(table.stdout.split('\n')[0], table.stdout).toMatch(
      /name\s+status\s+started\s+duration\s+source\s+model\.gamma\s+accuracy\s+accuracy\.best\s+metric:precision\s+metric:precision\.best$/,
    );
  });

  it('tells a metric from a config key of the same name, and refuses an unknown key', async () => {
    const root = pipeline();
    const both = await runRepro(root, [
      'ls',
      'evaluation1',
      '--columns',
      'precision,metric:precision',
      '--csv',
    ]);
    expect(both.stdout).toBe('precision,metric:precision\r\nhigh,0.5\r\n');
    const typo = await runRepro(root, ['ls', '--sort', 'acuracy']);
    expect(typo.code).toBe(2);
    expect(typo.stderr).toContain('error: --sort: no listed run has "acuracy"');
    expect(typo.stderr).toContain('hint: Did you mean "accuracy"');
    const column = await runRepro(root, ['ls', '--columns', 'name,gama']);
    expect(column.stderr).toContain('--columns: no listed run has "gama"');
  });
});

describe('sorting and filtering with NaN and text', () => {
  const run = (name: string, loss: number | string | undefined) => ({
    name,
    status: 'done',
    started_at: null,
    duration_s: null,
    config: {},
    defaults: {},
    metrics: (loss === undefined ? {} : { loss: { last: loss, best: loss } }) as Record<
      string,
      { last: number | string; best: number | string }
    >,
  });
  it('keeps numbers in order, NaN after them either way, and absent last', () => {
    const runs = [
      run('a', 10),
      run('b', 'NaN'),
      run('c', 9),
      run('d', undefined),
      run('e', -1),
      run('f', 'Infinity'),
    ];
    expect(sortRuns(runs, 'loss').map((r) => r.name)).toEqual(['e', 'c', 'a', 'f', 'b', 'd']);
    expect(sortRuns(runs, '-loss').map((r) => r.name)).toEqual(['f', 'a', 'c', 'e', 'b', 'd']);
    const lt = parseWhere('loss<9.5');
    expect(runs.filter((r) => matches(r as never, lt)).map((r) => r.name)).toEqual(['c', 'e']);
  });
});
