import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { globSync } from 'tinyglobby';
import { describe, expect, it } from 'vitest';
import { hashConfig } from '../../src/config/hash.ts';
import { checkProject } from '../../src/graph/check.ts';
import {
  assertValid,
  childrenOf,
  configFiles,
  downstreamOf,
  loadGraph,
  topologicalOrder,
  upstreamOf,
} from '../../src/graph/graph.ts';
import { make } from '../../src/graph/make.ts';
import { renderDot, renderGraphText, renderMermaid } from '../../src/graph/render.ts';
import { graphStatus } from '../../src/graph/status.ts';
import { verifyResult } from '../../src/graph/verify.ts';
import { findProject } from '../../src/project/project.ts';
import { runConfig } from '../../src/run/runner.ts';
import { fakeRecord, isolateCache, makeProject, runCli, runRepro, waitFor, writeFiles } from '../helpers.ts';

const cacheFolder = isolateCache();

// a stage that copies its source's "value" file and adds its own number, logging a metric
const STAGE = `import json, os, sys
cfg = json.load(open(sys.argv[sys.argv.index("-c") + 1]))
out = os.environ["REPRO_RUN_DIR"]
value = 0
if "source" in cfg:
    value = int(open(os.path.join(os.path.dirname(out), cfg["source"], "value")).read())
if cfg.get("fail"):
    sys.exit(3)
value += cfg.get("add", 1)
open(os.path.join(out, "value"), "x").write(str(value))
open(os.path.join(out, "metrics.jsonl"), "x").write(json.dumps({"step": 0, "value": value}) + "\\n")
`;

function pipeline(extra: Record<string, object | string> = {}) {
  return makeProject({
    'stage.py': STAGE,
    'configs/data.json': { script: 'stage.py', add: 1 },
    'configs/features.json': { script: 'stage.py', source: 'data', add: 10 },
    'configs/model.json': { script: 'stage.py', source: 'features', add: 100 },
    'configs/report.json': { script: 'stage.py', source: 'model', add: 1000 },
    ...extra,
  });
}

const quiet = { log: () => {}, stdout: devNull(), stderr: devNull() };
function devNull() {
  return new Writable({ write: (_c, _e, done) => done() });
}

describe('the config graph', () => {
  it('links configs by source, orders them, and finds upstream and downstream', () => {
    const graph = loadGraph(findProject({ cwd: pipeline() }));
    assertValid(graph);
    expect(topologicalOrder(graph).map((n) => n.name)).toEqual(['data', 'features', 'model', 'report']);
    expect([...upstreamOf(graph, ['model'])].sort()).toEqual(['data', 'features', 'model']);
    expect([...downstreamOf(graph, ['features'])].sort()).toEqual(['model', 'report']);
  });

  it('finds the children of a source with thousands of them, a diamond included', () => {
    const files: Record<string, object> = { 'configs/data.json': { script: 'stage.py' } };
    for (let i = 0; i < 3000; i++) files[`configs/m${i}.json`] = { script: 'stage.py', source: 'data' };
    files['configs/join.json'] = { script: 'stage.py', source: ['m1', 'data'] };
    const graph = loadGraph(findProject({ cwd: makeProject(files) }));
    const children = childrenOf(graph);
    expect(children.get('data')).toHaveLength(3001);
    expect(children.get('data')).toContain('join');
    expect(children.get('m1')).toEqual(['join']);
    expect(downstreamOf(graph, ['data']).size).toBe(3001);
    expect([...downstreamOf(graph, ['m1'])]).toEqual(['join']);
    // among some nodes only
    expect(childrenOf(graph, new Set(['data', 'm1', 'join']))).toEqual(
      new Map([
        ['data', ['join', 'm1']],
        ['m1', ['join']],
      ]),
    );
  });

  it.each([
    [
      'a cycle, printed',
      {
        'configs/a.json': { source: 'b' },
        'configs/b.json': { source: 'c' },
        'configs/c.json': { source: 'a' },
      },
      /sources form a cycle: a -> b -> c -> a/,
    ],
    [
      'a dangling source, with the closest name',
      { 'configs/m.json': { source: 'dta' }, 'configs/data.json': {} },
      /names source "dta", which is no config and no result; closest: "data"/,
    ],
    [
      'a duplicate name, with both paths',
      { 'configs/m.json': {}, 'configs/old/m.json': {} },
      /config name "m" is taken twice: configs\/m.json and configs\/old\/m.json/,
    ],
  ])('refuses %s', (_name, files, message) => {
    const graph = loadGraph(findProject({ cwd: makeProject(files) }));
    expect(() => assertValid(graph)).toThrow(message);
    expect(() => assertValid(graph)).toThrow(expect.objectContaining({ code: 'REPRO_GRAPH_INVALID' }));
  });

  it('finds the configs the glob **/*.json finds: no dot file, nothing in a dot folder, links followed', () => {
    const root = makeProject({
      'configs/a.json': {},
      'configs/nested/deep/b.json': {},
      'configs/.hidden.json': {},
      'configs/.drafts/c.json': {},
      'configs/nested/.old/d.json': {},
      'configs/notes.txt': 'not a config',
      'configs/x.json.bak': {},
      'configs/.json': {},
      'elsewhere/e.json': {},
    });
    mkdirSync(join(root, 'configs/folder.json'));
    const globbed = () => globSync('**/*.json', { cwd: join(root, 'configs') }).sort();
    const labels = () => configFiles(findProject({ cwd: root })).map((f) => f.label);
    expect(labels()).toEqual(['configs/a.json', 'configs/nested/deep/b.json']);
    expect(labels()).toEqual(globbed().map((f) => `configs/${f}`));
    // a linked folder (readdir's walk would not follow it): the glob's answer, followed
    symlinkSync(join(root, 'elsewhere'), join(root, 'configs/linked'));
    expect(labels()).toEqual(globbed().map((f) => `configs/${f}`));
    expect(labels()).toContain('configs/linked/e.json');
  });

  it('leaves the search for dangling sources and cycles out when asked (a listing needs neither)', async () => {
    const ended = {
      status: 'done',
      exit_code: 0,
      signal: null,
      ended_at: '2026-01-01T00:01:00Z',
      duration_s: 1,
    };
    const made = (name: string, source: string) => {
      const hash = hashConfig({ source });
      return { name, file: `configs/${name}.json`, hash, base_hash: hash };
    };
    const root = makeProject({
      'configs/a.json': { source: 'b' },
      'configs/b.json': { source: 'a' },
      'configs/m.json': { source: 'dta' },
      'runs/a/config.json': { source: 'b' },
      'runs/a/run.json': fakeRecord({
        name: 'a',
        started_at: '2026-01-01T00:02:00Z',
        config: made('a', 'b'),
      }),
      'runs/a/end.json': ended,
      'runs/b/config.json': { source: 'a' },
      'runs/b/run.json': fakeRecord({
        name: 'b',
        started_at: '2026-01-01T00:00:00Z',
        config: made('b', 'a'),
      }),
      'runs/b/end.json': ended,
    });
    const project = findProject({ cwd: root });
    expect(loadGraph(project).problems.map((p) => p.kind)).toEqual(['dangling', 'cycle']);
    const graph = loadGraph(project, { links: false });
    expect(graph.problems).toEqual([]);
    expect([...graph.nodes.keys()].sort()).toEqual(['a', 'b', 'm']);
    // a status over the cycle still ends: each result is judged once, and the way back along the
    // cycle is no reason (b would be older than its upstream a)
    expect((await graphStatus(graph)).map((s) => [s.name, s.state, s.stale])).toEqual([
      ['a', 'done', []],
      ['b', 'done', []],
      ['m', 'missing', []],
    ]);
  });

  it('renders text, mermaid and dot with statuses', async () => {
    const graph = loadGraph(findProject({ cwd: pipeline({ 'configs/other.json': { source: 'data' } }) }));
    const names = new Set(graph.nodes.keys());
    const status = new Map((await graphStatus(graph)).map((s) => [s.name, s]));
    expect(renderGraphText(graph, names, status)).toBe(
      [
        'data  missing',
        '├─ features  missing',
        '│  └─ model  missing',
        '│     └─ report  missing',
        '└─ other  missing',
      ].join('\n'),
    );
    // ids by sorted position: data n0, features n1
    const mermaid = renderMermaid(graph, names, status);
    expect(mermaid).toContain('n0["data<br/>missing"]');
    expect(mermaid).toContain('n0 --> n1');
    expect(renderDot(graph, names, status)).toContain('"data" -> "features";');
  });
});

describe('make, status and verify', () => {
  it('makes every missing result upstream of a target, in order, then reports done', async () => {
    const root = pipeline();
    const summary = await make({ targets: ['model'], cwd: root, ...quiet });
    expect(summary.ok).toBe(true);
    expect(summary.stages.map((s) => [s.name, s.outcome])).toEqual([
      ['data', 'ran'],
      ['features', 'ran'],
      ['model', 'ran'],
    ]);
    expect(readFileSync(join(root, 'runs/model/value'), 'utf8')).toBe('111');
    expect(existsSync(join(root, 'runs/report'))).toBe(false);
    // a second make reruns nothing
    const again = await make({ targets: ['report'], cwd: root, jobs: 2, ...quiet });
    expect(again.stages.map((s) => s.outcome)).toEqual(['exists', 'exists', 'exists', 'ran']);
    const status = await graphStatus(loadGraph(findProject({ cwd: root })));
    expect(status.every((s) => s.state === 'done' && s.stale.length === 0)).toBe(true);
  });

  it('reports a kept stale stage by its reasons after the make, not before it', async () => {
    const root = pipeline();
    expect((await make({ targets: ['model'], cwd: root, ...quiet })).ok).toBe(true);
    // features goes aside: model is stale (upstream missing) and is kept; make makes features again
    renameSync(join(root, 'runs/features'), join(root, 'features-aside'));
    const before = await graphStatus(loadGraph(findProject({ cwd: root })), ['model']);
    expect(before[0]?.stale).toEqual(['upstream features is missing']);
    const summary = await make({ targets: ['model'], cwd: root, ...quiet });
    expect(summary.stages.map((s) => [s.name, s.outcome])).toEqual([
      ['data', 'exists'],
      ['features', 'ran'],
      ['model', 'exists'],
    ]);
    // not "missing", which it no longer is: model was built on another run of it
    expect(summary.stages[2]?.detail).toBe('stale: upstream features was rebuilt since this run');
    const after = await graphStatus(loadGraph(findProject({ cwd: root })), ['model']);
    expect(summary.stages[2]?.detail).toBe(`stale: ${after[0]?.stale.join('; ')}`);
  });

  it('runs independent stages in parallel and stops what depends on a failure', async () => {
    const root = makeProject({
      'stage.py': STAGE,
      'configs/a.json': { script: 'stage.py' },
      'configs/b.json': { script: 'stage.py', fail: true },
      'configs/c.json': { script: 'stage.py', source: 'b' },
      'configs/d.json': { script: 'stage.py', source: 'a' },
      'configs/all.json': { script: 'stage.py', source: ['c', 'd'] },
    });
    const summary = await make({ targets: ['all'], cwd: root, jobs: 2, keepGoing: true, ...quiet });
    expect(summary.ok).toBe(false);
    expect(Object.fromEntries(summary.stages.map((s) => [s.name, s.outcome]))).toEqual({
      a: 'ran',
      b: 'failed',
      c: 'skipped',
      d: 'ran',
      all: 'skipped',
    });
    expect(summary.stages.find((s) => s.name === 'c')?.detail).toBe('upstream b did not finish');
  });

  it('says what would run with --dry-run', async () => {
    const root = pipeline();
    const summary = await make({ targets: ['features'], cwd: root, dryRun: true, ...quiet });
    expect(summary.stages.map((s) => s.outcome)).toEqual(['planned', 'planned']);
    expect(existsSync(join(root, 'runs'))).toBe(false);
  });

  it('tells every staleness reason', async () => {
    const root = pipeline();
    await make({ targets: ['model'], cwd: root, ...quiet });
    // the config file changed (an immutability breach) and the script changed
    writeFiles(root, { 'configs/model.json': { script: 'stage.py', source: 'features', add: 101 } });
    writeFileSync(join(root, 'stage.py'), `${STAGE}# changed\n`);
    const model = (await graphStatus(loadGraph(findProject({ cwd: root })), ['model']))[0];
    expect(model?.state).toBe('done');
    expect(model?.stale).toEqual([
      'configs/model.json changed since the run (configs are immutable: repro clone configs/model.json makes a new one)',
      'the script stage.py changed since the run',
      // features runs the same script: its staleness flows down too
      'upstream features is stale: the script stage.py changed since the run (+1 more)',
    ]);
    const breach = (await checkProject(findProject({ cwd: root }))).find((f) => f.kind === 'immutability');
    expect(breach).toMatchObject({ severity: 'error', file: 'configs/model.json' });
  });

  it('lets staleness flow downstream with the chain of reasons, and status exits 1 for the whole chain', async () => {
    const root = pipeline({
      'raw/a.txt': 'one\n',
      'raw/b.txt': 'two\n',
      'configs/data.json': { script: 'stage.py', add: 1, inputs: 'raw/*.txt', paranoia: 'checksum' },
    });
    await make({ targets: ['report'], cwd: root, ...quiet });
    expect((await runRepro(root, ['status'])).code).toBe(0);
    writeFileSync(join(root, 'raw', 'b.txt'), 'two, edited\n');

    const all = await graphStatus(loadGraph(findProject({ cwd: root })));
    const why = Object.fromEntries(all.map((s) => [s.name, s.stale]));
    expect(why.data).toEqual(['data changed in raw/*.txt: 1 changed (raw/b.txt)']);
    expect(why.features).toEqual([
      'upstream data is stale: data changed in raw/*.txt: 1 changed (raw/b.txt)',
    ]);
    expect(why.report).toEqual([
      'upstream model is stale: upstream features is stale: upstream data is stale: data changed in raw/*.txt: 1 changed (raw/b.txt)',
    ]);
    // the CI gate: a result built on stale data is never "done" and good
    const model = await runRepro(root, ['status', 'model']);
    expect(model.code).toBe(1);
    expect(model.stdout).toMatch(/model\s+done, stale\s+upstream features is stale: upstream data is stale/);
    const json = JSON.parse((await runRepro(root, ['status', 'report', '--json'])).stdout);
    expect(json[0].stale[0]).toContain('upstream model is stale');
    const graph = await runRepro(root, ['graph', '--format', 'json']);
    expect(
      JSON.parse(graph.stdout).nodes.find((n: { name: string }) => n.name === 'report').stale,
    ).toHaveLength(1);

    // an upstream that is gone makes its dependents stale too
    rmSync(join(root, 'runs', 'data'), { recursive: true });
    const gone = await graphStatus(loadGraph(findProject({ cwd: root })), ['features']);
    expect(gone[0]?.stale).toEqual(['upstream data is missing']);
  });

  it('verifies that a result reproduces, and reports the first differing metric when not', async () => {
    const root = pipeline();
    await make({ targets: ['features'], cwd: root, ...quiet });
    const ok = await verifyResult({ result: 'runs/features', cwd: root, ...quiet });
    expect(ok).toMatchObject({ reproduced: true, missing: [], extra: [], changed: [], metrics: [] });
    expect(ok.rerun).toBe(join(root, 'runs/.features~verify1'));
    // today's code adds one more: the value and the metric differ
    writeFileSync(
      join(root, 'stage.py'),
      STAGE.replace('value += cfg.get("add", 1)', 'value += cfg.get("add", 1) + 1'),
    );
    const bad = await verifyResult({ result: 'runs/features', cwd: root, ...quiet });
    expect(bad.reproduced).toBe(false);
    expect(bad.rerun).toBe(join(root, 'runs/.features~verify2'));
    expect(bad.explanations).toEqual([
      expect.stringMatching(/^the script stage.py changed since the original run \(git diff /),
    ]);
    expect(bad.changed).toEqual(['value']);
    expect(bad.metrics).toEqual([{ metric: 'value', row: 0, step: 0, original: 11, rerun: 12 }]);
  });

  it('says when a result differs only in the last bits, and accepts it with --rtol', async () => {
    const sum = (order: string) => `import json, os
out = os.environ["REPRO_RUN_DIR"]
total = ${order}
open(os.path.join(out, "report.json"), "x").write(json.dumps({"total": total, "n": 3}))
open(os.path.join(out, "metrics.jsonl"), "x").write(json.dumps({"step": 0, "total": total}) + "\\n")
`;
    const root = makeProject({ 'sum.py': sum('0.1 + 0.2 + 0.3'), 'configs/sum.json': { script: 'sum.py' } });
    await make({ targets: ['sum'], cwd: root, ...quiet });
    // the same numbers summed in another order: 0.6000000000000001 becomes 0.6
    writeFileSync(join(root, 'sum.py'), sum('0.3 + 0.2 + 0.1'));
    const near = await verifyResult({ result: 'runs/sum', cwd: root, ...quiet });
    expect(near).toMatchObject({ reproduced: false, changed: ['report.json'], lastBitsOnly: true });
    expect(near.metrics).toEqual([
      { metric: 'total', row: 0, step: 0, original: 0.6000000000000001, rerun: 0.6 },
    ]);
    const accepted = await verifyResult({ result: 'runs/sum', cwd: root, rtol: 1e-12, ...quiet });
    expect(accepted).toMatchObject({ reproduced: true, changed: [], metrics: [] });
    const cli = await runRepro(root, ['verify', 'runs/sum']);
    expect(cli.code).toBe(1);
    expect(cli.stdout).toContain('differs only in the last bits (summation order');
    // a real difference is not "the last bits"
    writeFileSync(join(root, 'sum.py'), sum('0.1 + 0.2 + 0.4'));
    const far = await verifyResult({ result: 'runs/sum', cwd: root, ...quiet });
    expect(far).toMatchObject({ reproduced: false, lastBitsOnly: false });
  });

  it('runs scripts with PYTHONHASHSEED=0 unless set, records it, and verifies with the recorded value', async () => {
    const seed = `import os
open(os.path.join(os.environ["REPRO_RUN_DIR"], "seed"), "x").write(os.environ.get("PYTHONHASHSEED", "unset"))
`;
    const root = makeProject({
      'seed.py': seed,
      'configs/a.json': { script: 'seed.py' },
      'configs/b.json': { script: 'seed.py', other: 1 },
    });
    const read = (f: string) => readFileSync(join(root, 'runs', f), 'utf8');
    const { PYTHONHASHSEED: _, ...env } = process.env;
    await runConfig({ config: 'configs/a.json', cwd: root, env, ...quiet });
    await runConfig({ config: 'configs/b.json', cwd: root, env: { ...env, PYTHONHASHSEED: '7' }, ...quiet });
    expect([read('a/seed'), read('b/seed')]).toEqual(['0', '7']);
    expect(JSON.parse(read('a/run.json')).env.PYTHONHASHSEED).toBe('0');
    expect(JSON.parse(read('b/run.json')).env.PYTHONHASHSEED).toBe('7');
    const again = await verifyResult({ result: 'runs/b', cwd: root, ...quiet });
    expect(again.reproduced).toBe(true);
    expect(read('.b~verify1/seed')).toBe('7');
  });

  it('verifies only a done result: refuses another by name, and --all names it as skipped', async () => {
    const root = makeProject({
      'stage.py': STAGE,
      'configs/a.json': { script: 'stage.py' },
      'configs/b.json': { script: 'stage.py', fail: true },
    });
    await runConfig({ config: 'configs/a.json', cwd: root, ...quiet });
    await runConfig({ config: 'configs/b.json', cwd: root, ...quiet });
    await expect(verifyResult({ result: 'runs/b', cwd: root, ...quiet })).rejects.toMatchObject({
      code: 'REPRO_VERIFY_NOT_DONE',
      message: 'cannot verify runs/b: it failed (exit 3); only a done result can be reproduced',
    });
    const all = await runRepro(root, ['verify', '--all']);
    expect(all.stdout).toBe('runs/a: reproduced (runs/.a~verify1)\nruns/b: skipped: it failed (exit 3)\n');
    expect(all.code).toBe(0);
    // nothing was rerun for b
    expect(existsSync(join(root, 'runs/.b~verify1'))).toBe(false);
  });

  it('compares the inputs by their bytes: a data set copied again (new times) still reproduces', async () => {
    const root = makeProject({
      'stage.py': STAGE,
      'raw/a.txt': 'one',
      'raw/b.txt': 'two',
      'configs/data.json': { script: 'stage.py', inputs: 'raw/*.txt', paranoia: 'checksum' },
    });
    await runConfig({ config: 'configs/data.json', cwd: root, ...quiet });
    const later = new Date(Date.now() + 3_600_000);
    for (const f of ['a.txt', 'b.txt']) utimesSync(join(root, 'raw', f), later, later);
    expect(await verifyResult({ result: 'runs/data', cwd: root, ...quiet })).toMatchObject({
      reproduced: true,
      changed: [],
    });
    // other bytes are another input
    writeFileSync(join(root, 'raw/b.txt'), 'three');
    const changed = await verifyResult({ result: 'runs/data', cwd: root, ...quiet });
    expect(changed).toMatchObject({ reproduced: false, changed: ['inputs.json'] });
  });

  it('refuses to verify a folder that is not a result, or one whose upstream is gone', async () => {
    const root = pipeline();
    await expect(verifyResult({ result: 'configs', cwd: root, ...quiet })).rejects.toMatchObject({
      code: 'REPRO_NOT_A_RESULT',
    });
    await make({ targets: ['features'], cwd: root, ...quiet });
    rmSync(join(root, 'runs/data'), { recursive: true });
    await expect(verifyResult({ result: 'runs/features', cwd: root, ...quiet })).rejects.toMatchObject({
      code: 'REPRO_VERIFY_UPSTREAM_GONE',
    });
  });
});

describe('the binary', () => {
  it('make, status (exit code gates CI), graph, verify and check', async () => {
    const root = pipeline();
    const before = await runRepro(root, ['status']);
    expect(before.code).toBe(1);
    expect(before.stdout).toMatch(/^name\s+state\s+why\ndata\s+missing\s+no result yet/);
    const made = await runRepro(root, ['make', 'report', '-j', '2']);
    expect(made.code).toBe(0);
    expect(made.stdout).toBe('4 ran, 0 failed, 0 skipped, 0 already done\n');
    expect(made.stderr).toContain('[0/4] ▶ data');
    expect((await runRepro(root, ['status'])).code).toBe(0);
    expect((await runRepro(root, ['graph', 'model'])).stdout).toBe(
      'data  done\n└─ features  done\n   └─ model  done\n      └─ report  done\n',
    );
    const verify = await runRepro(root, ['verify', 'runs/model']);
    expect(verify.stdout).toBe('runs/model: reproduced (runs/.model~verify1)\n');
    // the rerun stays out of the listings
    expect((await runRepro(root, ['ls', '--json'])).stdout).not.toContain('verify');
    expect(verify.code).toBe(0);
    const check = await runRepro(root, ['check']);
    expect(check.stdout).toBe('no problems found\n');
    writeFiles(root, { 'configs/bad.json': { source: 'nothing', script: 'gone.py' } });
    const bad = await runRepro(root, ['check']);
    expect(bad.code).toBe(1);
    expect(bad.stdout).toContain('error: configs/bad.json [source]: bad names source "nothing"');
    expect(bad.stdout).toContain(
      'error: configs/bad.json [script]: script "gone.py" named by configs/bad.json',
    );
  });

  it('stops the stages after a failing upstream, and says so', async () => {
    const root = pipeline({ 'configs/data.json': { script: 'stage.py', fail: true } });
    const r = await runRepro(root, ['make', 'model']);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('0 ran, 1 failed, 2 skipped, 0 already done\n');
    expect(r.stderr).toMatch(/✗ data: failed in [\d.]+ s, exit 3/);
  });
});

describe('errors block only the targets that reach them', () => {
  it('an unrelated cycle, dangling source or broken config warns; the target still works', async () => {
    const root = makeProject({
      'stage.py': 'import os\nopen(os.path.join(os.environ["REPRO_RUN_DIR"], "out"), "x").write("1")\n',
      'configs/data.json': { script: 'stage.py' },
      'configs/model.json': { script: 'stage.py', source: 'data' },
      'configs/x.json': { script: 'stage.py', source: 'y' },
      'configs/y.json': { script: 'stage.py', source: 'x' },
      'configs/z.json': { script: 'stage.py', source: 'nope' },
      'configs/bad.json': '{"script": ',
    });
    const make = await runRepro(root, ['make', 'model']);
    expect(make.code, make.stderr).toBe(0);
    expect(make.stderr).toContain('repro: warning: configs/x.json: sources form a cycle');
    expect(make.stderr).toContain('(not needed here, so not blocking)');
    const status = await runRepro(root, ['status', 'model']);
    expect(status.code).toBe(0);
    expect(status.stdout).toMatch(/^model\s+done/m);
    expect((await runRepro(root, ['graph', 'model'])).code).toBe(0);
    // what reaches an error is blocked, with that error only
    const x = await runRepro(root, ['status', 'x']);
    expect(x.code).toBe(1);
    expect(x.stderr).toContain('sources form a cycle');
    expect(x.stderr).toMatch(/warning: configs\/z\.json: .*"nope".*not blocking/);
    const bad = await runRepro(root, ['make', 'bad']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('configs/bad.json');
    // the whole project still reports every error
    expect((await runRepro(root, ['status'])).code).toBe(1);
  });

  it('keeps Mermaid ids unique for names that differ only in punctuation', async () => {
    const root = makeProject({
      'configs/m.1.json': { a: 1 },
      'configs/m-1.json': { a: 2 },
      'configs/m_1.json': { a: 3, source: 'm.1' },
    });
    const out = (await runRepro(root, ['graph', '--format', 'mermaid'])).stdout;
    const ids = [...out.matchAll(/^ {2}(\S+)\["/gm)].map((m) => m[1]);
    expect(new Set(ids).size).toBe(3);
    expect(out).toContain('m.1<br/>');
    expect(out).toMatch(/n\d+ --> n\d+/);
    const dot = (await runRepro(root, ['graph', '--format', 'dot'])).stdout;
    expect(dot).toContain('"m.1" -> "m_1"');
  });
});

describe('make and verify side by side', () => {
  const SLOW = `import json, os, sys, time
cfg = json.load(open(sys.argv[sys.argv.index("-c") + 1]))
time.sleep(cfg.get("sleep", 0))
open(os.path.join(os.environ["REPRO_RUN_DIR"], "out"), "x").write(str(cfg.get("v", 0)))
`;
  it("progress counts up under -j; a second make calls the first one's stage running, not failed", async () => {
    const root = makeProject({
      'slow.py': SLOW,
      'configs/a.json': { script: 'slow.py', sleep: 5 },
      'configs/b.json': { script: 'slow.py', v: 1 },
      'configs/c.json': { script: 'slow.py', v: 2 },
      'configs/d.json': { script: 'slow.py', source: 'a', v: 3 },
    });
    const first = runCli(root, ['make', 'd', 'b', 'c', '-j', '3']);
    await waitFor(() => existsSync(join(root, 'runs', 'a', 'run.json')));
    const second = await runRepro(root, ['make', 'd']);
    expect(second.code).toBe(1);
    expect(second.stderr).toMatch(/a\s+running\s+another process is making it/);
    expect(second.stderr).toMatch(/d\s+skipped\s+upstream a is still being made by another process/);
    expect(second.stderr).not.toMatch(/a\s+failed/);
    const r = await first;
    expect(r.code, r.stderr).toBe(0);
    const counts = [...r.stderr.matchAll(/^\[(\d+)\/4\]/gm)].map((m) => Number(m[1]));
    expect(counts.length).toBe(8);
    expect(counts).toEqual([...counts].sort((x, y) => x - y));
  });

  it('verifies the same result three times at once: three reruns, no refusal', async () => {
    const root = makeProject({ 'slow.py': SLOW, 'configs/m.json': { script: 'slow.py', v: 7 } });
    expect((await runRepro(root, ['run', 'configs/m.json'])).code).toBe(0);
    const all = await Promise.all([1, 2, 3].map(() => runCli(root, ['verify', 'm'])));
    for (const v of all) {
      expect(v.code, v.stderr).toBe(0);
      expect(v.stderr).not.toContain('Clone the config');
    }
    const reruns = all.map((v) => v.stdout.match(/\(runs\/(\.m~verify\d)\)/)?.[1]).sort();
    expect(reruns).toEqual(['.m~verify1', '.m~verify2', '.m~verify3']);
  });
});

describe('the graph cache', () => {
  it('is always right: a config edited to the same size, a result that ends, a result replaced', async () => {
    const root = makeProject({
      'configs/a.json': { lr: 1 },
      'runs/a/config.json': { lr: 1 },
    });
    const project = findProject({ cwd: root });
    const record = fakeRecord({
      name: 'a',
      config: { name: 'a', file: 'configs/a.json', hash: '', base_hash: hashConfig({ lr: 1 }) },
    });
    writeFiles(root, { 'runs/a/run.json': record });
    // running (this process is alive), then ended: read again because it had not ended
    expect((await graphStatus(loadGraph(project)))[0]?.state).toBe('running');
    writeFiles(root, {
      'runs/a/end.json': {
        status: 'done',
        exit_code: 0,
        signal: null,
        ended_at: new Date().toISOString(),
        duration_s: 1,
      },
    });
    const done = await graphStatus(loadGraph(project));
    expect(done[0]).toMatchObject({ state: 'done', stale: [] });
    // from the cache now; then the config changes to the same size
    expect((await graphStatus(loadGraph(project)))[0]).toMatchObject({ state: 'done', stale: [] });
    writeFileSync(join(root, 'configs/a.json'), JSON.stringify({ lr: 2 }, null, 2));
    expect((await graphStatus(loadGraph(project)))[0]?.stale[0]).toContain('configs/a.json changed');
    // the result moved aside and made again: another folder, read again
    rmSync(join(root, 'runs/a'), { recursive: true });
    expect((await graphStatus(loadGraph(project)))[0]?.state).toBe('missing');
  });

  it('is written again only when more than a few configs changed; the few are read again each time', () => {
    const files: Record<string, object> = {};
    for (let i = 0; i < 40; i++) files[`configs/c${String(i).padStart(2, '0')}.json`] = { lr: i };
    const root = makeProject(files);
    const project = findProject({ cwd: root });
    const lr = (name: string) => loadGraph(project).nodes.get(name)?.config.lr;
    expect(lr('c01')).toBe(1);
    const [cache] = readdirSync(cacheFolder(), { recursive: true, encoding: 'utf8' })
      .filter((f) => /graph-[0-9a-f]+\.json$/.test(f))
      .map((f) => join(cacheFolder(), f))
      .filter((f) => readFileSync(f, 'utf8').includes(JSON.stringify(root)));
    expect(cache, 'the graph cache of this project').toBeDefined();
    const written = () => {
      const st = statSync(cache as string);
      return `${st.ino}:${st.mtimeMs}`;
    };
    const before = written();
    // one config edited (the same size), one added, one removed: read as they are, every time,
    // and the cache left as it was
    writeFiles(root, { 'configs/c01.json': { lr: 7 }, 'configs/new.json': { lr: 99 } });
    rmSync(join(root, 'configs/c02.json'));
    for (let k = 0; k < 2; k++) {
      const graph = loadGraph(project);
      expect(graph.nodes.get('c01')?.config.lr).toBe(7);
      expect(graph.nodes.get('new')?.config.lr).toBe(99);
      expect(graph.nodes.has('c02')).toBe(false);
      expect(written(), 'the cache is not written for three configs').toBe(before);
    }
    // more than a few: written again, and what it keeps is the configs as they are now
    for (let i = 10; i < 30; i++) writeFiles(root, { [`configs/c${i}.json`]: { lr: i + 100 } });
    expect(lr('c15')).toBe(115);
    expect(written()).not.toBe(before);
    const kept = JSON.parse(readFileSync(cache as string, 'utf8')).configs;
    expect(kept[join(root, 'configs/c15.json')].config).toEqual({ lr: 115 });
    expect(kept[join(root, 'configs/c01.json')].config).toEqual({ lr: 7 });
    expect(kept[join(root, 'configs/c02.json')]).toBeUndefined();
    expect(lr('c01')).toBe(7);
  });
});
