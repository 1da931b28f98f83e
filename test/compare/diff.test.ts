import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import { diffToCsv } from '../../src/compare/csv.ts';
import { allKeys, diffConfigs, differingKeys, runConfigs } from '../../src/compare/diff.ts';
import { BadInputsError, selectConfigs } from '../../src/compare/select.ts';
import { diffToJson, displayWidth, fittedPieces, renderDiff, renderFitted } from '../../src/compare/table.ts';
import type { JsonObject } from '../../src/config/json.ts';
import { makeProject, runRepro } from '../helpers.ts';

const CONFIGS = {
  'configs/model.json': { script: 'train.ts', lr: 0.1, filters: 5, note: '', opt: null },
  'configs/modela.json': { script: 'train.ts', lr: 0.01, filters: 5, note: 'x', opt: 'adam' },
  'configs/modelb.json': { script: 'train.ts', lr: 0.1, filters: 5, extra: true },
};

describe('diffConfigs', () => {
  it('shows only the differing keys, and tells absent from null and from ""', () => {
    const root = makeProject(CONFIGS);
    const entries = selectConfigs(['configs/model*.json'], { cwd: root });
    expect(entries.map((e) => e.name)).toEqual(['model', 'modela', 'modelb']);
    const diff = diffConfigs(entries);
    expect(diff.keys).toEqual(['lr', 'note', 'opt', 'extra']);
    const table = renderDiff(diff, { width: 200 });
    expect(table).toBe(
      [
        'name    lr    note  opt   extra',
        'model   0.1   ""    null  —',
        'modela  0.01  x     adam  —',
        'modelb  0.1   —     —     true',
      ].join('\n'),
    );
  });

  it('compares result folders by what the code used: a default is a value, marked', () => {
    const root = makeProject({
      'runs/model/config.json': { lr: 0.1 },
      'runs/model/effective.json': {
        values: { lr: 0.1, bigrams: false },
        defaults: { bigrams: false },
        unread: [],
      },
      'runs/modela/config.json': { lr: 0.1, bigrams: true },
      'runs/modelb/config.json': { lr: 0.1, bigrams: false },
    });
    const diff = diffConfigs(selectConfigs(['runs/*'], { cwd: root }));
    expect(diff.keys).toEqual(['bigrams']);
    expect(renderDiff(diff, { width: 200 })).toBe(
      [
        'name    bigrams',
        'model   false*',
        'modela  true',
        'modelb  false',
        "* the script's default: the config lacks the key",
      ].join('\n'),
    );
    expect(diffToJson(diff)).toMatchObject({
      rows: [{ name: 'model', values: { bigrams: { value: false, default: true } } }, {}, {}],
    });
    // model (default false) and modelb (explicit false) used the same value
    expect(diffConfigs(selectConfigs(['runs/model', 'runs/modelb'], { cwd: root })).keys).toEqual([]);
  });

  it('compares against a base, and shows all keys with --all', () => {
    const root = makeProject(CONFIGS);
    const entries = selectConfigs(['model', 'modela', 'modelb'], { cwd: root });
    const diff = diffConfigs(entries, { base: 'modelb' });
    expect(diff.rows.map((r) => r.name)).toEqual(['modelb', 'model', 'modela']);
    expect(renderDiff(diff, { width: 200 }).split('\n')[1]).toMatch(/^modelb \(base\)/);
    expect(diffConfigs(entries, { all: true }).keys).toEqual([
      'script',
      'lr',
      'filters',
      'note',
      'opt',
      'extra',
    ]);
    expect(() => diffConfigs(entries, { base: 'nope' })).toThrow(/--base nope is not among/);
  });

  it('compares nested values by dotted keys and arrays as values', () => {
    const root = makeProject({
      'a.json': { loss: { l1: 1, l2: 0 }, sizes: [1, 2] },
      'b.json': { loss: { l1: 1, l2: 1 }, sizes: [1, 3] },
    });
    expect(diffConfigs(selectConfigs(['a.json', 'b.json'], { cwd: root })).keys).toEqual([
      'loss.l2',
      'sizes',
    ]);
  });

  it('writes CSV that survives a round trip: quotes, commas, newlines, unicode', () => {
    const tricky = 'a "quoted", comma\nand newline — ünïcödé 测试';
    const root = makeProject({
      'a.json': { v: tricky, n: 1 },
      'b.json': { v: 'plain', n: 2 },
      'c.json': { v: '' },
    });
    const csv = diffToCsv(diffConfigs(selectConfigs(['a.json', 'b.json', 'c.json'], { cwd: root })));
    const rows = parse(csv) as string[][];
    expect(rows).toEqual([
      ['name', 'v', 'n', 'defaults'],
      ['a', tricky, '1', ''],
      ['b', 'plain', '2', ''],
      ['c', '""', '', ''],
    ]);
  });

  it('keeps a table readable with a 1 MB value', () => {
    const root = makeProject({
      'a.json': { blob: 'x'.repeat(1_000_000), k: 1 },
      'b.json': { blob: 'y', k: 2 },
    });
    const t0 = performance.now();
    const table = renderDiff(diffConfigs(selectConfigs(['a.json', 'b.json'], { cwd: root })), { width: 120 });
    expect(performance.now() - t0).toBeLessThan(2000);
    expect(Math.max(...table.split('\n').map((l) => l.length))).toBeLessThan(120);
    expect(table).toContain('xxx…');
  });

  it('wraps a wide table into blocks, or transposes it', () => {
    const wide = Object.fromEntries(Array.from({ length: 30 }, (_, i) => [`key_number_${i}`, i]));
    const root = makeProject({
      'a.json': wide,
      'b.json': Object.fromEntries(Object.keys(wide).map((k) => [k, -1])),
    });
    const diff = diffConfigs(selectConfigs(['a.json', 'b.json'], { cwd: root }));
    const auto = renderDiff(diff, { width: 80 });
    // two configs and thirty keys: transposed, one key per row
    expect(auto.split('\n')[0]).toMatch(/^key\s+a\s+b$/);
    expect(Math.max(...auto.split('\n').map((l) => l.length))).toBeLessThanOrEqual(80);
    expect(renderDiff(diff, { transpose: true, width: 1000 }).split('\n')).toHaveLength(31);
  });

  it('names every bad input with its reason; --skip-bad goes on without them', () => {
    const root = makeProject({
      'c/good.json': { a: 1 },
      'c/bad.json': '{"a": ',
      'c/list.json': '[1]',
      'c/other.json': { a: 2 },
    });
    const cwd = `${root}/c`;
    try {
      selectConfigs(['good.json', 'bad.json', 'list.json', 'nothing*.json', 'missing'], { cwd });
      throw new Error('expected a failure');
    } catch (error) {
      expect(error).toBeInstanceOf(BadInputsError);
      const e = error as BadInputsError;
      expect(e.problems.map((p) => p.input)).toEqual(['bad.json', 'list.json', 'nothing*.json', 'missing']);
      expect(e.problems[0]?.reason).toMatch(/invalid JSON at line 1, column 7/);
      expect(e.problems[1]?.reason).toMatch(/must be a JSON object/);
      expect(e.problems[2]?.reason).toBe('the glob matches no config or result');
    }
    const warnings: string[] = [];
    const entries = selectConfigs(['*.json'], { cwd, skipBad: true, warn: (l) => warnings.push(l) });
    expect(entries.map((e) => e.name)).toEqual(['good', 'other']);
    expect(warnings).toHaveLength(2);
  });
});

describe('repro diff (binary)', () => {
  it('prints the table, CSV and JSON, and fails on a glob that matches nothing', async () => {
    const root = makeProject(CONFIGS);
    const table = await runRepro(root, ['diff', 'configs/*.json']);
    expect(table.code).toBe(0);
    expect(table.stdout.split('\n')[0]).toBe('name    lr    note  opt   extra');
    const csv = await runRepro(root, ['diff', 'configs/*.json', '--csv']);
    expect(csv.stdout.split('\r\n')[0]).toBe('name,lr,note,opt,extra,defaults');
    const json = JSON.parse((await runRepro(root, ['diff', 'model', 'modela', '--json'])).stdout);
    expect(json.keys).toEqual(['lr', 'note', 'opt']);
    const none = await runRepro(root, ['diff', 'configs/zzz*.json']);
    expect(none.code).toBe(1);
    expect(none.stderr).toContain('configs/zzz*.json: the glob matches no config or result');
  });
});

describe('CSV that every reader reads back', () => {
  it("quotes a bare newline or carriage return; Python's csv module reads the rows whole", async () => {
    const root = makeProject({
      'configs/a.json': { note: 'line one\nline two', lr: 1 },
      'configs/b.json': { note: 'cr\ronly, and a comma', lr: 2 },
    });
    const csv = await runRepro(root, ['diff', 'a', 'b', '--csv']);
    const file = join(root, 'out.csv');
    writeFileSync(file, csv.stdout);
    const read = execFileSync(
      'python3',
      [
        '-c',
        'import csv, json, sys; print(json.dumps(list(csv.reader(open(sys.argv[1], newline="")))))',
        file,
      ],
      { encoding: 'utf8' },
    );
    expect(JSON.parse(read)).toEqual([
      ['name', 'note', 'lr', 'defaults'],
      ['a', 'line one\nline two', '1', ''],
      ['b', 'cr\ronly, and a comma', '2', ''],
    ]);
  });
});

describe('the keys that differ across listed runs', () => {
  it('reads each distinct config once, in place, and compares as the tokens do', () => {
    const shared = { lr: 0.1, opt: 'adam', tags: ['a', 'b'], seed: null, n: 1 };
    const none = {};
    const runs: { config: JsonObject; defaults: JsonObject }[] = [
      { config: shared, defaults: none },
      { config: shared, defaults: none }, // the same objects: one config
      { config: { lr: 0.1, opt: 'adam', tags: ['a', 'b'], seed: null, n: '1' }, defaults: none },
      // a default the script used counts as the value; null in the config is a value, not absent
      { config: { lr: 0.1, tags: ['a', 'b'], seed: null, n: 1 }, defaults: { opt: 'adam', seed: 5 } },
    ];
    expect(runConfigs(runs)).toHaveLength(3);
    expect(differingKeys(runConfigs(runs))).toEqual(['n']);
    const more = [...runs, { config: { lr: 0.1, opt: 'adam', tags: ['a', 'c'], n: 1 }, defaults: none }];
    expect(differingKeys(runConfigs(more))).toEqual(['tags', 'seed', 'n']);
    expect(allKeys(runConfigs(more))).toEqual(['lr', 'opt', 'tags', 'seed', 'n']);
    // null in a config is its value, whatever the default
    const nulled = [...runs, { config: { ...shared, opt: null }, defaults: { opt: 'adam' } }];
    expect(differingKeys(runConfigs(nulled))).toEqual(['opt', 'n']);
    // the first run's value absent or null: compared by tokens
    const first: typeof runs = [
      { config: { lr: 1 }, defaults: none },
      { config: { lr: 1, seed: null }, defaults: none },
    ];
    expect(differingKeys(runConfigs(first))).toEqual(['seed']);
  });
});

describe('a big table written in pieces', () => {
  it('writes what renderFitted returns, cut in blocks of columns and chunks of lines', () => {
    // 2,345 rows: past the 1,000-line chunks; wide characters and cells of every width
    const head = ['name', 'lr', 'note', 'loss'];
    const rows = Array.from({ length: 2345 }, (_, i) => [
      `r${i}`,
      String(0.1 / (1 + (i % 7))),
      i % 11 === 0 ? '日本語のメモ' : 'x'.repeat(i % 13),
      i % 5 === 0 ? '—' : String(i * 1.5),
    ]);
    for (const width of [200, 30, 12]) {
      const pieces = [...fittedPieces(head, rows.length, (r, c) => rows[r]?.[c] ?? '', width)];
      const whole = renderFitted(head, rows, width);
      expect(pieces.join('')).toBe(`${whole}\n`);
      // cut in pieces, never one string of the whole table
      expect(pieces.length).toBeGreaterThan(2);
      // a narrow terminal gets blocks that each repeat the names
      if (width === 12) expect(whole.split('\n\n').length).toBe(3);
    }
  });

  it('measures text as a terminal shows it: wide characters and emoji two, marks none', () => {
    const cases: [string, number][] = [
      ['plain', 5],
      ['a—…b', 4],
      ['日本語', 6],
      ['한국', 4],
      ['ｱ', 1],
      ['Ünïcödé', 7],
      ['e\u0301', 1],
      ['\u0301', 0],
      ['a\u200bb', 2],
      ['😀', 2],
      ['❤️', 2],
      ['👨‍👩‍👧', 2],
      ['🇫🇷', 2],
      ['©', 1],
      ['1️⃣', 2],
    ];
    expect(cases.map(([text]) => displayWidth(text))).toEqual(cases.map(([, width]) => width));
  });
});
