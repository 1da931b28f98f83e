import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { deserialize, serialize } from 'node:v8';
import { describe, expect, it } from 'vitest';
import { listRuns, listRunViews, type RunSummary } from '../../src/compare/runs.ts';
import { sha256Hex } from '../../src/config/hash.ts';
import { loadGraph, statConfigs } from '../../src/graph/graph.ts';
import { lastVerdicts, markStale } from '../../src/graph/verdicts.ts';
import { findProject } from '../../src/project/project.ts';
import { fakeRecord, isolateCache, makeProject, PIPELINE, runRepro, STAGE, settle } from '../helpers.ts';

const cacheFolder = isolateCache();

/** markStale over the index's rows, as `repro ls` does: which verdicts, and whether they were kept ones. */
async function listing(root: string) {
  const project = findProject({ cwd: root });
  const runs = await listRunViews({ project });
  await markStale(project, runs);
  return { kept: lastVerdicts.kept, saved: lastVerdicts.saved, stale: byName(runs) };
}

/** The verdicts worked out afresh: every folder read, the graph loaded now, nothing kept. */
async function afresh(root: string) {
  const project = findProject({ cwd: root });
  const runs = await listRuns({ project, cache: false });
  await markStale(project, runs, loadGraph(project, { cache: false, links: false }));
  expect(lastVerdicts).toEqual({ kept: false, saved: false });
  return byName(runs);
}

/**
 * Lists twice after a change: the first works the verdicts out and keeps them (`redone.only`:
 * the results it must have worked out again, undefined for every one), the second reads them;
 * both must agree with the verdicts worked out afresh, which it returns.
 */
async function listedTwice(root: string, why: string, redone?: { only: string[] | undefined }) {
  const first = await listing(root);
  expect(first.kept, `${why}: the kept verdicts must not hold`).toBe(false);
  expect(first.saved, why).toBe(true);
  if (redone) {
    const worked = lastVerdicts.redone && [...lastVerdicts.redone].sort();
    expect(worked, `${why}: the results worked out again`).toEqual(redone.only);
  }
  const second = await listing(root);
  expect(second.kept, `${why}: the verdicts just kept must hold`).toBe(true);
  const fresh = await afresh(root);
  expect(first.stale, why).toEqual(fresh);
  expect(second.stale, why).toEqual(fresh);
  return fresh;
}

/** data (checksums of raw/*.txt) -> features -> model. */
const pipeline = () => makeProject(PIPELINE);

/** The pipeline with every stage made, its runs ended. */
async function built(): Promise<string> {
  const root = pipeline();
  expect((await runRepro(root, ['make', 'model'])).code).toBe(0);
  await settle();
  return root;
}

/** A file the kept verdicts of the project at `root` are in (the cache folder holds the other tests' too). */
function keptFile(root: string, ending: string): string {
  const { root: resolved } = findProject({ cwd: root });
  const file = join(cacheFolder(), 'repro', `stale-${sha256Hex(resolved).slice(0, 16)}${ending}`);
  expect(existsSync(file), file).toBe(true);
  return file;
}

const byName = (runs: RunSummary[]) => Object.fromEntries(runs.map((r) => [r.name, r.stale ?? []]));

describe('kept staleness verdicts (graph/verdicts.ts)', () => {
  it('are read again while nothing they rest on changed, and worked out again after each change', async () => {
    const root = await built();
    const twice = (why: string) => listedTwice(root, why);
    expect(await twice('the first listing')).toEqual({ data: [], features: [], model: [] });

    writeFileSync(join(root, 'raw', 'a.txt'), 'one, changed\n');
    let stale = await twice('a data file changed');
    expect(stale.data).toEqual(['data changed in raw/*.txt: 1 changed (raw/a.txt)']);
    expect(stale.model).toEqual([
      expect.stringMatching(/^upstream features is stale: upstream data is stale/),
    ]);
    writeFileSync(join(root, 'raw', 'a.txt'), 'one\n');
    expect(await twice('the data file put back')).toEqual({ data: [], features: [], model: [] });

    // the same size: only the time and the content tell
    writeFiles(root, 'configs/features.json', { script: 'stage.py', source: 'data', add: 11 });
    stale = await twice('a config edited in place');
    expect(stale.features).toEqual([expect.stringContaining('configs/features.json changed since the run')]);
    writeFiles(root, 'configs/features.json', { script: 'stage.py', source: 'data', add: 10 });
    expect(await twice('the config put back')).toEqual({ data: [], features: [], model: [] });

    writeFileSync(join(root, 'stage.py'), `${STAGE}# edited\n`);
    stale = await twice('the script edited');
    expect(stale.data).toEqual(['the script stage.py changed since the run']);
    writeFileSync(join(root, 'stage.py'), STAGE);
    await twice('the script put back');

    // a config with no result yet changes no verdict, but the graph it is part of changed
    writeFiles(root, 'configs/extra/other.json', { script: 'stage.py', add: 5 });
    await twice('a config added');
    rmSync(join(root, 'configs', 'extra'), { recursive: true });
    await twice('a config removed');

    // the results index changes: a result removed, then made again
    rmSync(join(root, 'runs', 'features'), { recursive: true });
    await settle();
    stale = await twice('an upstream result removed');
    expect(stale.model).toEqual(['upstream features is missing']);
    expect((await runRepro(root, ['make', 'features'])).code).toBe(0);
    await settle();
    stale = await twice('the upstream result made again');
    expect(stale.model).toEqual(['upstream features was rebuilt since this run']);

    // a kept file that is no JSON, or JSON of another shape, is worked out again, never trusted
    const file = keptFile(root, '.json');
    const good = JSON.parse(readFileSync(file, 'utf8'));
    const garbage = [
      '{"version": 1, "verd',
      '[]',
      JSON.stringify({ ...good, verdicts: good.verdicts.map(() => 5) }),
      JSON.stringify({ ...good, verdicts: [-1, 1] }),
      JSON.stringify({ ...good, configs: null }),
      JSON.stringify({ ...good, scripts: {} }),
    ];
    for (const text of garbage) {
      writeFileSync(file, text);
      expect(await twice(`a kept file of ${text.slice(0, 40)}`)).toEqual(stale);
    }
  });

  it('after configs, data or results changed, work out again only the results those judge and what is downstream of them', async () => {
    const root = await built();
    writeFiles(root, 'configs/other.json', { script: 'stage.py', add: 3 });
    expect((await runRepro(root, ['run', 'configs/other.json'])).code).toBe(0);
    // a result under another name, made from features.json, and one built on it
    expect((await runRepro(root, ['run', 'configs/features.json', '--postfix', 'x'])).code).toBe(0);
    expect((await runRepro(root, ['run', 'configs/model.json', '--set', 'source=features~x'])).code).toBe(0);
    await settle();
    const [onX] = readdirSync(join(root, 'runs')).filter((n) => n.startsWith('model~'));
    expect(onX).toBeDefined();
    expect((await listing(root)).saved).toBe(true);
    expect((await listing(root)).kept).toBe(true);
    const partly = (why: string, redone: string[] | undefined) => listedTwice(root, why, { only: redone });
    const featuresDown = ['features', 'features~x', 'model', onX as string].sort();
    const none = { data: [], features: [], 'features~x': [], model: [], [onX as string]: [], other: [] };

    writeFiles(root, 'configs/features.json', { script: 'stage.py', source: 'data', add: 11 });
    let stale = await partly('a config edited', featuresDown);
    expect(stale.features).toEqual([expect.stringContaining('configs/features.json changed since the run')]);
    expect(stale['features~x']).toEqual([
      expect.stringContaining('configs/features.json changed since the run'),
    ]);
    expect(stale[onX as string]).toEqual([expect.stringMatching(/^upstream features~x is stale/)]);
    expect(stale.data).toEqual([]);
    writeFiles(root, 'configs/features.json', { script: 'stage.py', source: 'data', add: 10 });
    expect(await partly('the config put back', featuresDown)).toEqual(none);

    // its sources changed: what it rests on is another result
    writeFiles(root, 'configs/other.json', { script: 'stage.py', add: 3, source: 'data' });
    stale = await partly("another config's source changed", ['other']);
    expect(stale.other).toEqual([expect.stringContaining('configs/other.json changed since the run')]);
    writeFiles(root, 'configs/other.json', { script: 'stage.py', add: 3 });
    expect(await partly('put back', ['other'])).toEqual(none);

    writeFileSync(join(root, 'configs', 'model.json'), '{"script": "stage.py",,}');
    // model~… was made from model.json too (with an override): it is judged by that file
    const modelBoth = ['model', onX as string].sort();
    stale = await partly('a config that no longer loads', modelBoth);
    const broken = [expect.stringContaining('configs/model.json changed since the run and no longer loads')];
    expect(stale.model).toEqual(broken);
    expect(stale[onX as string]).toEqual(broken);
    writeFiles(root, 'configs/model.json', { script: 'stage.py', source: 'features', add: 100 });
    expect(await partly('mended', modelBoth)).toEqual(none);

    rmSync(join(root, 'configs', 'features.json'));
    await partly('a config removed (its results stay)', featuresDown);
    writeFiles(root, 'configs/features.json', { script: 'stage.py', source: 'data', add: 10 });
    expect(await partly('the config written again', featuresDown)).toEqual(none);

    // a new config (repro clone makes one): no result judges it yet
    writeFiles(root, 'configs/extra/fresh.json', { script: 'stage.py', source: 'features', add: 7 });
    expect(await partly('a config added', ['fresh'])).toEqual(none);

    // the data changed too: the result that reads it, and what is downstream of it
    writeFiles(root, 'configs/features.json', { script: 'stage.py', source: 'data', add: 11 });
    writeFileSync(join(root, 'raw', 'a.txt'), 'one, changed\n');
    // fresh.json is downstream of features too (no result to judge)
    const all = ['data', 'fresh', ...featuresDown].sort();
    stale = await partly('a config and the data changed', all);
    expect(stale.data).toEqual(['data changed in raw/*.txt: 1 changed (raw/a.txt)']);
    writeFileSync(join(root, 'raw', 'a.txt'), 'one\n');
    writeFiles(root, 'configs/features.json', { script: 'stage.py', source: 'data', add: 10 });
    expect(await partly('both put back', all)).toEqual(none);

    // the results index changed: a result made, removed, made again (another folder, the same name)
    expect((await runRepro(root, ['run', 'configs/other.json', '--postfix', 'y'])).code).toBe(0);
    await settle();
    expect(await partly('a result made', ['other~y'])).toEqual({ ...none, 'other~y': [] });
    rmSync(join(root, 'runs', 'features~x'), { recursive: true });
    await settle();
    // features~x is no node now: what was built on it is worked out again
    stale = await partly('an upstream result removed', [onX as string]);
    // a source that is no node is the graph's error (repro check says so), not a verdict
    expect(stale[onX as string]).toEqual([]);
    expect((await runRepro(root, ['run', 'configs/features.json', '--postfix', 'x'])).code).toBe(0);
    await settle();
    stale = await partly('made again', ['features~x', onX as string]);
    expect(stale[onX as string]).toEqual(['upstream features~x was rebuilt since this run']);
    rmSync(join(root, 'runs', 'data'), { recursive: true });
    expect((await runRepro(root, ['run', 'configs/data.json'])).code).toBe(0);
    await settle();
    stale = await partly('the first stage made again', all);
    expect(stale.features).toEqual(['upstream data was rebuilt since this run']);
    expect(stale.other).toEqual([]);
    // an unrelated result made: every stale verdict above is carried over, each to its own row
    // (the listing is in start order, the index in name order)
    expect((await runRepro(root, ['run', 'configs/other.json', '--postfix', 'z'])).code).toBe(0);
    await settle();
    const carried = await partly('an unrelated result made', ['other~z']);
    expect(carried).toEqual({ ...stale, 'other~z': [] });
    expect(carried.features).toEqual(['upstream data was rebuilt since this run']);

    // the rows the verdicts were kept for, damaged or gone: every verdict is worked out again
    const rowsFile = keptFile(root, '.rows.v8');
    const good = deserialize(readFileSync(rowsFile));
    const damaged: [string, Uint8Array][] = [
      ['cut short', readFileSync(rowsFile).subarray(0, 40)],
      ['numbers of another length', serialize({ ...good, ino: new Float64Array(1) })],
      ['a name missing', serialize({ ...good, names: good.names.slice(0, good.names.lastIndexOf('\0')) })],
      ['of another index', serialize({ ...good, index: 'x' })],
    ];
    for (const [why, bytes] of damaged) {
      writeFileSync(rowsFile, bytes);
      rmSync(join(root, 'runs', 'other~y'), { recursive: true });
      expect((await runRepro(root, ['run', 'configs/other.json', '--postfix', 'y'])).code).toBe(0);
      await settle();
      expect(await partly(`kept rows ${why}`, undefined)).toEqual(carried);
    }

    // the script changed: every verdict is worked out again
    writeFileSync(join(root, 'stage.py'), `${STAGE}# edited\n`);
    await partly('the script changed', undefined);
  });

  it('agree with verdicts worked out afresh after every step of a long day of changes (a fixed random walk)', async () => {
    const root = await built();
    writeFiles(root, 'configs/other.json', { script: 'stage.py', source: 'features', add: 3 });
    let seed = 20261130;
    const pick = <T>(list: readonly T[]): T => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return list[seed % list.length] as T;
    };
    const results = () => readdirSync(join(root, 'runs')).filter((n) => !n.startsWith('.'));
    const configs = ['data', 'features', 'model', 'other'];
    let made = 0;
    let carried = 0;
    const newName = () => runRepro(root, ['run', `configs/${pick(configs)}.json`, '--postfix', `p${++made}`]);
    const steps: [string, () => Promise<unknown> | unknown][] = [
      ['a run under a new name', newName],
      ['another run under a new name', newName],
      ['a run of a config with no result yet', () => runRepro(root, ['make', pick(configs)])],
      [
        'a result removed by hand',
        () => results().length && rmSync(join(root, 'runs', pick(results())), { recursive: true }),
      ],
      [
        'a result removed and made again under its name',
        async () => {
          const name = pick(configs.filter((c) => results().includes(c)));
          if (!name) return;
          rmSync(join(root, 'runs', name), { recursive: true });
          await runRepro(root, ['run', `configs/${name}.json`]);
        },
      ],
      [
        'a result put aside and back (the same folder)',
        () => {
          const name = pick(results());
          if (!name) return;
          renameSync(join(root, 'runs', name), join(root, 'aside'));
          renameSync(join(root, 'aside'), join(root, 'runs', name));
        },
      ],
      [
        // back at the index's end, where the listing has it by its start: the two orders differ
        'a result put aside for a listing, then back',
        async () => {
          const name = pick(results());
          if (!name) return;
          renameSync(join(root, 'runs', name), join(root, 'aside'));
          await settle();
          await listing(root);
          renameSync(join(root, 'aside'), join(root, 'runs', name));
        },
      ],
      [
        'a config edited',
        () => {
          const name = pick(configs);
          const file = join(root, 'configs', `${name}.json`);
          const config = JSON.parse(readFileSync(file, 'utf8'));
          writeFiles(root, `configs/${name}.json`, { ...config, add: (config.add ?? 0) + 1 });
        },
      ],
      [
        'the data changed',
        () => writeFileSync(join(root, 'raw', 'a.txt'), pick(['one\n', 'two\n', 'three\n'])),
      ],
    ];
    for (let step = 0; step < 24; step++) {
      const [what, act] = pick(steps);
      await act();
      await settle();
      const why = `step ${step}: ${what}`;
      const first = await listing(root);
      if (lastVerdicts.redone) carried++;
      const second = await listing(root);
      // no result left: nothing to keep
      expect(second.kept, why).toBe(results().length > 0);
      const fresh = await afresh(root);
      expect(first.stale, why).toEqual(fresh);
      expect(second.stale, why).toEqual(fresh);
    }
    // most steps carried verdicts over rather than working every one out again
    expect(carried).toBeGreaterThan(12);
  });

  it('rest on the stats taken before the graph read the configs: a config changed in between is read again next time', async () => {
    const root = await built();
    const project = findProject({ cwd: root });
    expect((await listing(root)).saved).toBe(true);
    // edited: the verdicts are worked out again, and the config is edited once more after its
    // stat was taken but before the graph reads it (the graph takes markStale's stats)
    writeFiles(root, 'configs/features.json', { script: 'stage.py', source: 'data', add: 11 });
    const runs = await listRunViews({ project });
    let stated = 0;
    await markStale(project, runs, (configs) => {
      stated = configs?.files.length ?? 0;
      writeFiles(root, 'configs/features.json', { script: 'stage.py', source: 'data', add: 1100 });
      return loadGraph(project, { links: false, configs });
    });
    expect(stated, 'the graph is given the stats markStale took').toBe(3);
    expect(lastVerdicts).toMatchObject({ kept: false, saved: true });
    // the kept verdicts and the graph's cache hold the stat from before the second edit: the next
    // listing works the verdicts out again from the file as it is
    const next = await listing(root);
    expect(next.kept).toBe(false);
    expect(next.stale).toEqual(await afresh(root));
    expect((await listing(root)).kept).toBe(true);
    const status = await runRepro(root, ['status', 'features']);
    expect(status.stdout).toMatch(/features +done, stale +configs\/features.json changed since the run/);
  });

  it('rest on the stats the caller took before it read the index (repro ls): a config changed after them is read again next time', async () => {
    const root = await built();
    const project = findProject({ cwd: root });
    expect((await listing(root)).saved).toBe(true);
    expect((await listing(root)).kept).toBe(true);
    // stat'ed, then edited, then the index read and the verdicts asked for with those stats
    const stated = statConfigs(project);
    writeFiles(root, 'configs/features.json', { script: 'stage.py', source: 'data', add: 11 });
    const runs = await listRunViews({ project });
    await markStale(project, runs, undefined, stated);
    // the stats say nothing changed: the kept verdicts are given, and they are right for the
    // files as they were stat'ed; the listing after it sees the edit
    expect(lastVerdicts.kept).toBe(true);
    expect(byName(runs).features).toEqual([]);
    const next = await listing(root);
    expect(next.kept).toBe(false);
    expect(next.stale.features).toEqual([
      expect.stringContaining('configs/features.json changed since the run'),
    ]);
    expect(next.stale).toEqual(await afresh(root));
    // edited before the stats and again between them and the graph's reading: worked out from
    // the file as it is now, kept with the stats from before the second edit, so worked out
    // again next time
    writeFiles(root, 'configs/features.json', { script: 'stage.py', source: 'data', add: 10 });
    const before = statConfigs(project);
    writeFiles(root, 'configs/features.json', { script: 'stage.py', source: 'data', add: 12 });
    const again = await listRunViews({ project });
    await markStale(project, again, undefined, before);
    expect(lastVerdicts).toMatchObject({ kept: false, saved: true });
    expect(byName(again)).toEqual(await afresh(root));
    expect((await listing(root)).kept).toBe(false);
    expect((await listing(root)).kept).toBe(true);
  });

  it('are not kept while a run goes on, nor for a subset of the runs, nor from a graph read before', async () => {
    const root = pipeline();
    expect((await runRepro(root, ['make', 'features'])).code).toBe(0);
    const project = findProject({ cwd: root });
    // a run going on (this process): its row is read again at every listing
    mkdirSync(join(root, 'runs', 'going'));
    writeFileSync(join(root, 'runs', 'going', 'config.json'), '{}');
    writeFileSync(join(root, 'runs', 'going', 'run.json'), JSON.stringify(fakeRecord({ name: 'going' })));
    await settle();
    for (let k = 0; k < 2; k++) {
      const going = await listing(root);
      expect(going).toMatchObject({ kept: false, saved: false });
      expect(Object.keys(going.stale)).toEqual(['data', 'features', 'going']);
    }
    rmSync(join(root, 'runs', 'going'), { recursive: true });
    await settle();
    expect(await listing(root)).toMatchObject({ kept: false, saved: true });

    // a graph loaded before the stats are taken: used, not kept
    writeFileSync(join(root, 'raw', 'a.txt'), 'one, changed\n');
    const graph = loadGraph(project, { links: false });
    const runs = await listRunViews({ project });
    await markStale(project, runs, graph);
    expect(lastVerdicts).toEqual({ kept: false, saved: false });
    expect(byName(runs).features).toEqual([expect.stringMatching(/^upstream data is stale/)]);
    // some of the rows only: worked out for them, nothing kept
    const some = (await listRunViews({ project })).filter((r) => r.name === 'features');
    await markStale(project, some);
    expect(lastVerdicts).toEqual({ kept: false, saved: false });
    expect(byName(some)).toEqual({ features: [expect.stringMatching(/^upstream data is stale/)] });
  });
});

function writeFiles(root: string, file: string, value: object): void {
  mkdirSync(join(root, file, '..'), { recursive: true });
  writeFileSync(join(root, file), JSON.stringify(value));
}
