import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cloneConfig } from '../../src/breed/clone.ts';
import { crossConfigs } from '../../src/breed/cross.ts';
import { gridPoints, parseSpace, sweepConfigs } from '../../src/breed/sweep.ts';
import { nextLetterName, writeConfigs } from '../../src/breed/write.ts';
import { findProject } from '../../src/project/project.ts';
import { makeProject, runCli, runRepro, writeFiles } from '../helpers.ts';

const json = (file: string) => JSON.parse(readFileSync(file, 'utf8'));
const BASE = { script: 'train.ts', lr: 0.1, filters: 5 };

describe('repro clone', () => {
  it('writes the next free letter next to the original, with the changes', () => {
    const root = makeProject({ 'configs/model.json': BASE });
    const a = cloneConfig({
      config: 'configs/model.json',
      overrides: [{ kind: 'set', text: 'lr=0.001' }],
      cwd: root,
    });
    expect(a.name).toBe('modela');
    expect(json(join(root, 'configs/modela.json'))).toEqual({ ...BASE, lr: 0.001 });
    expect(a.diff.keys).toEqual(['lr']);
    const b = cloneConfig({
      config: 'configs/model.json',
      overrides: [{ kind: 'conf', text: '{"filters": 7}' }],
      cwd: root,
    });
    expect(b.name).toBe('modelb');
  });

  it('goes on past z without colliding', () => {
    const root = makeProject({ 'configs/m.json': {} });
    for (const c of 'abcdefghijklmnopqrstuvwxyz') writeFiles(root, { [`configs/m${c}.json`]: {} });
    const project = findProject({ cwd: root });
    expect(nextLetterName(project, join(root, 'configs'), 'm')).toBe('mza');
    writeFiles(root, { 'configs/mza.json': {} });
    expect(nextLetterName(project, join(root, 'configs'), 'm')).toBe('mzb');
  });

  it('takes a proper --name, and refuses a taken or bad one', () => {
    const root = makeProject({ 'configs/model.json': BASE, 'configs/taken.json': {} });
    const set = [{ kind: 'set' as const, text: 'lr=1' }];
    expect(
      cloneConfig({ config: 'configs/model.json', overrides: set, name: 'bigger_lr', cwd: root }).file,
    ).toBe('configs/bigger_lr.json');
    expect(() =>
      cloneConfig({ config: 'configs/model.json', overrides: set, name: 'taken', cwd: root }),
    ).toThrow(expect.objectContaining({ code: 'REPRO_CONFIG_EXISTS' }));
    expect(() =>
      cloneConfig({ config: 'configs/model.json', overrides: set, name: '../x', cwd: root }),
    ).toThrow(expect.objectContaining({ code: 'REPRO_CONFIG_BAD_NAME' }));
  });

  it('refuses a clone that changes nothing, and a missing config; writes nothing', () => {
    const root = makeProject({ 'configs/model.json': BASE });
    expect(() =>
      cloneConfig({ config: 'configs/model.json', overrides: [{ kind: 'set', text: 'lr=0.1' }], cwd: root }),
    ).toThrow(expect.objectContaining({ code: 'REPRO_CLONE_UNCHANGED' }));
    expect(() => cloneConfig({ config: 'configs/nope.json', overrides: [], cwd: root })).toThrow(
      expect.objectContaining({ code: 'REPRO_CONFIG_NOT_FOUND' }),
    );
    expect(readdirSync(join(root, 'configs'))).toEqual(['model.json']);
  });

  it('refuses --set without "="', async () => {
    const root = makeProject({ 'configs/model.json': BASE });
    const r = await runRepro(root, ['clone', 'configs/model.json', '--set', 'lr']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('--set "lr" is not key=value');
  });

  it('prints the new path and its diff (binary)', async () => {
    const root = makeProject({ 'configs/model.json': BASE });
    const r = await runRepro(root, ['clone', 'configs/model.json', '--set', 'lr=0.001']);
    expect(r.stdout).toBe('configs/modela.json\nname    lr\nmodel   0.1\nmodela  0.001\n');
  });
});

describe('repro sweep', () => {
  it('writes one config per grid point, named with digits', () => {
    const root = makeProject({ 'configs/model.json': BASE });
    const r = sweepConfigs({
      config: 'configs/model.json',
      space: '{"lr": [0.001, 0.0001], "filters": [5, 10]}',
      cwd: root,
    });
    expect(r.configs.map((c) => c.name)).toEqual(['model1', 'model2', 'model3', 'model4']);
    expect(json(join(root, 'configs/model4.json'))).toEqual({ ...BASE, lr: 0.0001, filters: 10 });
    expect(json(join(root, 'configs/model2.json'))).toEqual({ ...BASE, lr: 0.001, filters: 10 });
  });

  it('zero-pads past nine', () => {
    const root = makeProject({ 'configs/m.json': {} });
    const r = sweepConfigs({
      config: 'configs/m.json',
      space: { seed: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12] },
      cwd: root,
    });
    expect(r.configs[0]?.name).toBe('m01');
    expect(r.configs[11]?.name).toBe('m12');
  });

  it('does not clone into a config that already exists with the same content: it names that one', async () => {
    const root = makeProject({ 'configs/model.json': BASE });
    const first = cloneConfig({
      config: 'configs/model.json',
      overrides: [{ kind: 'set', text: 'lr=0.5' }],
      cwd: root,
    });
    expect(first).toMatchObject({ name: 'modela', existing: false });
    const again = cloneConfig({
      config: 'configs/model.json',
      overrides: [{ kind: 'set', text: 'lr=0.5' }],
      cwd: root,
    });
    expect(again).toMatchObject({ name: 'modela', file: 'configs/modela.json', existing: true });
    expect(readdirSync(join(root, 'configs')).sort()).toEqual(['model.json', 'modela.json']);
    const cli = await runRepro(root, ['clone', 'configs/model.json', '--set', 'lr=0.5']);
    expect(cli.code).toBe(0);
    expect(cli.stderr).toContain('configs/modela.json already has this content: nothing written');
    const forced = await runRepro(root, [
      'clone',
      'configs/model.json',
      '--set',
      'lr=0.5',
      '--allow-duplicates',
    ]);
    expect(forced.stdout).toMatch(/^configs\/modelb.json\n/);
  });

  it('goes on numbering after earlier sweeps, and never writes a config that already exists', () => {
    const root = makeProject({ 'configs/model.json': BASE, 'configs/model3.json': { other: 1 } });
    const first = sweepConfigs({ config: 'configs/model.json', space: '{"lr": [1, 2]}', cwd: root });
    expect(first.configs.map((c) => c.name)).toEqual(['model4', 'model5']);
    // the same grid again, plus the base's own value: nothing new but lr=3
    const again = sweepConfigs({
      config: 'configs/model.json',
      space: `{"lr": [1, 2, 3, ${BASE.lr}]}`,
      cwd: root,
    });
    expect(again.configs.map((c) => c.name)).toEqual(['model6']);
    expect(again.existing.map((e) => e.file)).toEqual([
      'configs/model4.json',
      'configs/model5.json',
      'configs/model.json',
    ]);
    // a dry run never refuses, and --allow-duplicates writes a twin anyway
    expect(
      sweepConfigs({ config: 'configs/model.json', space: '{"lr": [1]}', cwd: root, dryRun: true }),
    ).toMatchObject({
      configs: [],
      written: false,
    });
    const twin = sweepConfigs({
      config: 'configs/model.json',
      space: '{"lr": [1]}',
      cwd: root,
      allowDuplicates: true,
    });
    expect(twin.configs.map((c) => c.name)).toEqual(['model7']);
  });

  it('writes configs all or nothing: one taken file writes none', () => {
    const root = makeProject({ 'configs/b.json': {} });
    expect(() =>
      writeConfigs([
        { file: join(root, 'configs', 'a.json'), config: { x: 1 } },
        { file: join(root, 'configs', 'b.json'), config: { x: 2 } },
      ]),
    ).toThrow(expect.objectContaining({ code: 'REPRO_CONFIG_EXISTS' }));
    expect(readdirSync(join(root, 'configs')).sort()).toEqual(['b.json']);
  });

  it('samples at random, the same for the same seed, within the ranges', () => {
    const root = makeProject({ 'configs/model.json': BASE });
    const space =
      '{"lr": {"log_uniform": [1e-5, 1e-2]}, "filters": {"int": [1, 4]}, "opt": ["adam", "sgd"], "drop": {"uniform": [0, 0.5]}}';
    const a = sweepConfigs({
      config: 'configs/model.json',
      space,
      random: 20,
      seed: 7,
      dryRun: true,
      cwd: root,
    });
    const b = sweepConfigs({
      config: 'configs/model.json',
      space,
      random: 20,
      seed: 7,
      dryRun: true,
      cwd: root,
    });
    const c = sweepConfigs({
      config: 'configs/model.json',
      space,
      random: 20,
      seed: 8,
      dryRun: true,
      cwd: root,
    });
    expect(a.configs.map((x) => x.changes)).toEqual(b.configs.map((x) => x.changes));
    expect(a.configs.map((x) => x.changes)).not.toEqual(c.configs.map((x) => x.changes));
    for (const { changes } of a.configs) {
      expect(changes.lr).toBeGreaterThanOrEqual(1e-5);
      expect(changes.lr).toBeLessThanOrEqual(1e-2);
      expect([1, 2, 3, 4]).toContain(changes.filters);
      expect(['adam', 'sgd']).toContain(changes.opt);
    }
    // a dry run writes nothing
    expect(readdirSync(join(root, 'configs'))).toEqual(['model.json']);
  });

  it.each([
    ['{"lr": 0.1}', /values must be lists: key "lr" is a number/],
    ['{"lr": []}', /empty list/],
    ['{"lr": {"log_uniform": [1e-5, 1e-2]}}', /ranges need --random N/],
    ['[1]', /must be a JSON object/],
    ['{"lr": [1, 1]}', /the same config/],
  ])('refuses the grid %s', (grid, message) => {
    const root = makeProject({ 'configs/model.json': BASE });
    expect(() => sweepConfigs({ config: 'configs/model.json', space: grid, cwd: root })).toThrow(message);
  });

  it('orders the grid with the first key varying slowest', () => {
    expect(gridPoints(parseSpace({ a: [1, 2], b: ['x', 'y'] }, false))).toEqual([
      { a: 1, b: 'x' },
      { a: 1, b: 'y' },
      { a: 2, b: 'x' },
      { a: 2, b: 'y' },
    ]);
  });
});

describe('repro cross', () => {
  it('takes each differing key from one parent, reproducibly, and says from whom', () => {
    const a = { script: 't.ts', lr: 0.1, f: 5, opt: 'adam', only_a: 1 };
    const b = { script: 't.ts', lr: 0.2, f: 7, opt: 'sgd', only_b: 2 };
    const root = makeProject({ 'configs/a.json': a, 'configs/b.json': b });
    const r = crossConfigs({ a: 'configs/a.json', b: 'configs/b.json', seed: 3, cwd: root });
    expect(r.name).toBe('aa');
    expect(r.origins.map((o) => o.key)).toEqual(['lr', 'f', 'opt', 'only_a', 'only_b']);
    const child = json(join(root, 'configs/aa.json'));
    for (const o of r.origins) {
      const parent = o.from === 'a' ? a : b;
      expect(child[o.key]).toEqual((parent as Record<string, unknown>)[o.key]);
    }
    expect(child.script).toBe('t.ts');
    // the same seed breeds the same child
    const again = makeProject({ 'configs/a.json': a, 'configs/b.json': b });
    crossConfigs({ a: 'configs/a.json', b: 'configs/b.json', seed: 3, cwd: again });
    expect(json(join(again, 'configs/aa.json'))).toEqual(child);
  });

  it('names an existing config with the same content instead of writing a twin', async () => {
    const a = { lr: 0.1, f: 5, opt: 'adam' };
    const b = { lr: 0.2, f: 7, opt: 'sgd' };
    const root = makeProject({ 'configs/a.json': a, 'configs/b.json': b });
    const first = crossConfigs({ a: 'configs/a.json', b: 'configs/b.json', seed: 3, cwd: root });
    expect(first.existing).toBe(false);
    const again = await runRepro(root, ['cross', 'configs/a.json', 'configs/b.json', '--seed', '3']);
    expect(again.code).toBe(0);
    expect(again.stderr).toContain('configs/aa.json already has this content; nothing written');
    expect(existsSync(join(root, 'configs/ab.json'))).toBe(false);
    const forced = crossConfigs({
      a: 'configs/a.json',
      b: 'configs/b.json',
      seed: 3,
      cwd: root,
      allowDuplicates: true,
    });
    expect(forced).toMatchObject({ name: 'ab', existing: false });
  });

  it('refuses identical parents and a child that is a parent again', () => {
    const root = makeProject({
      'configs/a.json': { x: 1 },
      'configs/b.json': { x: 1 },
      'configs/c.json': { x: 2 },
    });
    expect(() => crossConfigs({ a: 'configs/a.json', b: 'configs/b.json', cwd: root })).toThrow(
      expect.objectContaining({ code: 'REPRO_CROSS_SAME' }),
    );
    // one differing key: the child is always one parent
    expect(() => crossConfigs({ a: 'configs/a.json', b: 'configs/c.json', cwd: root })).toThrow(
      expect.objectContaining({ code: 'REPRO_CROSS_CLONE' }),
    );
    expect(existsSync(join(root, 'configs/aa.json'))).toBe(false);
  });
});

describe('breeding at once', () => {
  it('eight concurrent clones each report the file they wrote, with their own change', async () => {
    const root = makeProject({ 'configs/model.json': { script: 's.py', lr: 0.1 } });
    const results = await Promise.all(
      [1, 2, 3, 4, 5, 6, 7, 8].map((i) =>
        runCli(root, ['clone', 'configs/model.json', '--set', `lr=0.00${i}`]),
      ),
    );
    const files = results.map((r, i) => {
      expect(r.code, r.stderr).toBe(0);
      const file = r.stdout.split('\n')[0] as string;
      // the file it names holds its own change, not another clone's
      expect(json(join(root, file)).lr, file).toBe(Number(`0.00${i + 1}`));
      return file;
    });
    expect(new Set(files).size).toBe(8);
  });
});
