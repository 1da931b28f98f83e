import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { findProject } from '../../src/project/project.ts';
import { startRun } from '../../src/run/start.ts';
import { createUiApp } from '../../src/ui/server.ts';
import { makeProject, PIPELINE, runCli, runRepro, waitFor } from '../helpers.ts';

// a stage that adds its number to its source's value, reading raw data when it has inputs
const STAGE = `import json, os, sys, time
cfg = json.load(open(sys.argv[sys.argv.index("-c") + 1]))
out = os.environ["REPRO_RUN_DIR"]
value = sum(len(open(os.path.join("raw", f)).read()) for f in sorted(os.listdir("raw"))) if "inputs" in cfg else 0
if "source" in cfg:
    value += int(open(os.path.join(os.path.dirname(out), cfg["source"], "value")).read())
if os.path.exists("fail-" + os.path.basename(out)):
    sys.exit(3)
time.sleep(cfg.get("sleep", 0))
open(os.path.join(out, "value"), "x").write(str(value + cfg.get("add", 1)))
`;

function pipeline() {
  // this file's stage (it can sleep), in the shared pipeline
  return makeProject({ ...PIPELINE, 'stage.py': STAGE, 'raw/b.txt': 'two\n' });
}

// the API's JSON, read loosely: the assertions say what it must hold
// biome-ignore lint/suspicious/noExplicitAny: test reads of JSON bodies
type J = any;

const attic = (root: string) =>
  existsSync(join(root, 'runs', '.attic')) ? readdirSync(join(root, 'runs', '.attic')).sort() : [];

describe('day two: change without loss', () => {
  it('warns before running on a stale upstream and records why, in repro run and startRun', async () => {
    const root = pipeline();
    expect((await runRepro(root, ['make', 'features'])).code).toBe(0);
    writeFileSync(join(root, 'raw', 'a.txt'), 'one, changed\n');
    const r = await runRepro(root, ['run', 'configs/model.json']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain(
      'repro: warning: configs/model.json: upstream features is stale: upstream data is stale: data changed in raw/*.txt: 1 changed (raw/a.txt)',
    );
    const json = (run: string) => JSON.parse(readFileSync(join(root, 'runs', run, 'run.json'), 'utf8'));
    const features = json('features');
    expect(json('model').sources).toEqual([
      {
        name: 'features',
        id: features.id,
        started_at: features.started_at,
        ended_at: JSON.parse(readFileSync(join(root, 'runs', 'features', 'end.json'), 'utf8')).ended_at,
        config_hash: features.config.hash,
        stale: [expect.stringContaining('upstream data is stale: data changed in raw/*.txt')],
      },
    ]);

    const warned: string[] = [];
    const run = await startRun({
      argv: ['-c', 'configs/model.json', '--postfix', 'api'],
      cwd: root,
      handleExit: false,
      captureOutput: false,
      warn: (line) => warned.push(line),
    });
    run.finish();
    await run.recorded;
    expect(warned.join('\n')).toContain('upstream features is stale: upstream data is stale');
    expect(json('model~api').sources[0].stale[0]).toContain('upstream data is stale');
    expect(json('model~api').id).toBe(run.id);
  });

  it('rebuilds a pipeline on changed data: the old results move to the attic byte for byte', async () => {
    const root = pipeline();
    expect((await runRepro(root, ['make', 'model'])).code).toBe(0);
    const before = readFileSync(join(root, 'runs', 'model', 'value'), 'utf8');
    writeFileSync(join(root, 'raw', 'b.txt'), 'two, and more\n');

    const status = await runRepro(root, ['status', 'model']);
    expect(status.code).toBe(1);
    expect(status.stdout).toContain(
      'upstream features is stale: upstream data is stale: data changed in raw/*.txt',
    );

    // listings say it too: ls, ls --json and the dashboard never show a plain done
    const shown = await runRepro(root, ['ls']);
    expect(shown.stdout).toMatch(/^model\s+done, stale/m);
    expect(shown.stderr).toContain('3 results are stale');
    const listed = JSON.parse((await runRepro(root, ['ls', '--json'])).stdout);
    expect(listed.find((r: { name: string }) => r.name === 'model').stale[0]).toContain(
      'upstream features is stale',
    );
    const app = createUiApp({ project: findProject({ cwd: root }) });
    const api: J = await (await app.request('/api/runs')).json();
    expect(api.runs.find((r: { name: string }) => r.name === 'data').stale[0]).toContain(
      'data changed in raw/*.txt',
    );
    const page: J = await (await app.request('/api/runs/model')).json();
    expect(page.stale.length).toBeGreaterThan(0);

    // running it again is refused, saying it is stale and how to rebuild
    const refused = await runRepro(root, ['run', 'configs/model.json']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(
      'error: runs/model already exists and is stale: upstream features is stale',
    );
    expect(refused.stderr).toContain('repro make model --rebuild');

    // make without --rebuild keeps them and says how to rebuild
    const kept = await runRepro(root, ['make', 'model']);
    expect(kept.stderr).toContain(
      'kept 3 stale results; to rebuild them (the old ones move to the attic): repro make model --rebuild',
    );

    const check = await runRepro(root, ['check']);
    expect(check.stdout).toMatch(/warning: runs\/model: stale: upstream features is stale/);
    const dry = await runRepro(root, ['make', 'model', '--rebuild', '--dry-run']);
    expect(dry.stderr).toContain('would move model to the attic');
    expect(attic(root)).toEqual([]);

    const rebuilt = await runRepro(root, ['make', 'model', '--rebuild']);
    expect(rebuilt.code, rebuilt.stderr).toBe(0);
    expect(rebuilt.stdout).toMatch(/^3 ran, 0 failed/m);
    const moved = attic(root).filter((n) => n !== 'moves.jsonl');
    expect(moved.map((n) => n.split('@')[0])).toEqual(['data', 'features', 'model']);
    const oldModel = join(root, 'runs', '.attic', moved[2] as string);
    expect(readFileSync(join(oldModel, 'value'), 'utf8')).toBe(before);
    expect(readdirSync(oldModel).sort()).toEqual(
      // repro-code: the project is not in git, so the script was copied
      ['config.json', 'end.json', 'repro-code', 'run.json', 'stderr.log', 'stdout.log', 'value'].sort(),
    );
    expect(readFileSync(join(root, 'runs', 'model', 'value'), 'utf8')).not.toBe(before);
    // the dashboard's run page takes an attic result by its path under the runs root
    const atticPage: J = await (
      await app.request(`/api/runs/${encodeURIComponent(`.attic/${moved[2]}`)}`)
    ).json();
    expect(atticPage.status).toBe('done');
    expect(atticPage.files.map((f: { path: string }) => f.path)).toContain('value');
    // check says what status says about stale results: nothing is stale now
    expect((await runRepro(root, ['status'])).code).toBe(0);

    // the attic stays out of listings, and ls --attic shows it
    const ls = JSON.parse((await runRepro(root, ['ls', '--json'])).stdout);
    expect(ls.map((r: { name: string }) => r.name).sort()).toEqual(['data', 'features', 'model']);
    const lsAttic = JSON.parse((await runRepro(root, ['ls', '--attic', '--json'])).stdout);
    expect(lsAttic).toHaveLength(3);
    const log = readFileSync(join(root, 'runs', '.attic', 'moves.jsonl'), 'utf8')
      .trim()
      .split('\n');
    expect(JSON.parse(log[0] as string)).toMatchObject({
      name: 'model',
      why: expect.stringContaining('make --rebuild'),
    });
  });

  it('make --downstream builds (and with --rebuild rebuilds) everything built on a config', async () => {
    const root = pipeline();
    const planned = await runRepro(root, ['make', 'data', '--downstream', '--dry-run']);
    expect(planned.stdout).toMatch(/^0 ran, 0 failed, 0 skipped, 0 already done, 3 would run/m);
    expect((await runRepro(root, ['make', 'data', '--downstream'])).code).toBe(0);
    expect(readdirSync(join(root, 'runs')).sort()).toEqual(['data', 'features', 'model']);
    writeFileSync(join(root, 'raw', 'a.txt'), 'changed\n');
    const kept = await runRepro(root, ['make', 'data', '--downstream']);
    expect(kept.stderr).toContain('repro make data --downstream --rebuild');
    const rebuilt = await runRepro(root, ['make', 'data', '--downstream', '--rebuild']);
    expect(rebuilt.stdout).toMatch(/^3 ran, 0 failed/m);
    expect(attic(root).filter((n) => n !== 'moves.jsonl')).toHaveLength(3);
  });

  it('refuses a failed result with a pointer to --retry, and --retry moves it aside and runs again', async () => {
    const root = pipeline();
    writeFileSync(join(root, 'fail-data'), '');
    expect((await runRepro(root, ['run', 'configs/data.json', '-q'])).code).toBe(3);
    const again = await runRepro(root, ['run', 'configs/data.json', '-q']);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain(
      'error: runs/data exists and failed (exit 3); results are never overwritten',
    );
    expect(again.stderr).toContain('repro run configs/data.json --retry');
    expect(attic(root)).toEqual([]);

    writeFileSync(join(root, 'fail-data'), '');
    const { rmSync } = await import('node:fs');
    rmSync(join(root, 'fail-data'));
    const retried = await runRepro(root, ['run', 'configs/data.json', '--retry']);
    expect(retried.code, retried.stderr).toBe(0);
    expect(retried.stderr).toMatch(/moved the failed result to runs\/\.attic\/data@/);
    const moves = readFileSync(join(root, 'runs', '.attic', 'moves.jsonl'), 'utf8')
      .trim()
      .split('\n');
    expect(JSON.parse(moves.at(-1) as string)).toMatchObject({
      name: 'data',
      why: 'retry of the failed result',
    });
    expect(JSON.parse(readFileSync(join(root, 'runs', 'data', 'end.json'), 'utf8')).status).toBe('done');
    // the hint names the same result: overrides and postfix included
    writeFileSync(join(root, 'fail-data~p'), '');
    await runRepro(root, ['run', 'configs/data.json', '--set', 'add=2', '--postfix', 'p']);
    const withSet = await runRepro(root, ['run', 'configs/data.json', '--set', 'add=2', '--postfix', 'p']);
    expect(withSet.stderr).toContain('repro run configs/data.json --set add=2 --postfix p --retry');
    // a done result is still refused, --retry or not
    const done = await runRepro(root, ['run', 'configs/data.json', '--retry']);
    expect(done.code).toBe(1);
    expect(done.stderr).toContain('runs/data already exists');
  });

  it('rm moves results (and with --downstream what is built on them), never a running one', async () => {
    const root = pipeline();
    expect((await runRepro(root, ['make', 'model'])).code).toBe(0);
    // without --downstream: what was built on it is named, stale now
    const dry = await runRepro(root, ['rm', 'data', '--dry-run']);
    expect(dry.stdout).toBe('would move data\n');
    expect(dry.stderr).toBe(
      'repro: warning: features, model were built on data and would be stale (upstream missing); --downstream moves such results too\n',
    );
    const rm = await runRepro(root, ['rm', 'features', '--downstream']);
    expect(rm.code, rm.stderr).toBe(0);
    expect(rm.stderr).toBe('');
    expect(rm.stdout).toMatch(
      /^moved model -> runs\/\.attic\/model@.*\nmoved features -> runs\/\.attic\/features@/,
    );
    expect(readdirSync(join(root, 'runs')).sort()).toEqual(['.attic', 'data']);
    // nothing left built on it: no warning
    expect((await runRepro(root, ['rm', 'data', '--dry-run'])).stderr).toBe('');
    const missing = await runRepro(root, ['rm', 'model']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('model has no result to move');
    expect(missing.stderr).toContain('hint: repro ls lists the results there are');

    // a running result: refused, nothing moves
    writeFileSync(join(root, 'configs', 'slow.json'), JSON.stringify({ script: 'stage.py', sleep: 30 }));
    const slow = runCli(root, ['run', 'configs/slow.json', '-q']);
    await waitFor(() => existsSync(join(root, 'runs', 'slow', 'run.json')));
    const refused = await runRepro(root, ['rm', 'slow']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('slow is running');
    expect(existsSync(join(root, 'runs', 'slow', 'config.json'))).toBe(true);
    const { execFileSync } = await import('node:child_process');
    execFileSync('pkill', ['-INT', '-f', `${join(root, 'runs', 'slow')}`]);
    await slow;
  }, 60_000);

  it('restore brings results back from the attic, upstream first, and never overwrites one', async () => {
    const root = pipeline();
    expect((await runRepro(root, ['make', 'model'])).code).toBe(0);
    const value = (name: string) => readFileSync(join(root, 'runs', name, 'value'), 'utf8');
    const before = { data: value('data'), features: value('features'), model: value('model') };
    const ids = (name: string) => JSON.parse(readFileSync(join(root, 'runs', name, 'run.json'), 'utf8')).id;
    const modelId = ids('model');
    expect((await runRepro(root, ['rm', 'data', '--downstream'])).code).toBe(0);
    expect(readdirSync(join(root, 'runs'))).toEqual(['.attic']);

    // nothing in the attic by that name: the closest names, nothing moved
    const typo = await runRepro(root, ['restore', 'modle']);
    expect(typo.code).toBe(1);
    expect(typo.stderr).toContain('error: "modle" is no result in the attic (runs/.attic)');
    expect(typo.stderr).toContain('hint: Closest: "model"');
    // one result without its upstream: said, and restored only after a dry run says the same
    const dry = await runRepro(root, ['restore', 'model', '--dry-run']);
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.stdout).toMatch(/^would restore model <- runs\/\.attic\/model@\S+\n$/);
    expect(dry.stderr).toContain(
      'repro: warning: model was built on features, which is not in the runs root: it would be stale (upstream missing)',
    );
    expect(readdirSync(join(root, 'runs'))).toEqual(['.attic']);

    // a glob: every name it matches, upstream first whatever the order asked
    const back = await runRepro(root, ['restore', 'model', 'features', 'dat*']);
    expect(back.code, back.stderr).toBe(0);
    expect(back.stderr).toBe('');
    expect(
      back.stdout
        .trim()
        .split('\n')
        .map((l) => l.split(' ')[1]),
    ).toEqual(['data', 'features', 'model']);
    expect({ data: value('data'), features: value('features'), model: value('model') }).toEqual(before);
    expect(ids('model')).toBe(modelId);
    expect(attic(root)).toEqual(['moves.jsonl']);
    const moves = readFileSync(join(root, 'runs', '.attic', 'moves.jsonl'), 'utf8')
      .trim()
      .split('\n');
    expect(moves.map((l) => JSON.parse(l).why)).toEqual([
      'repro rm',
      'repro rm',
      'repro rm',
      'repro restore',
      'repro restore',
      'repro restore',
    ]);
    // the pipeline is whole again: nothing missing, nothing stale
    const status = await runRepro(root, ['status']);
    expect(status.code, status.stdout).toBe(0);

    // a result rebuilt since holds the name: refused, nothing moves; by its folder, one copy
    expect((await runRepro(root, ['rm', 'model'])).code).toBe(0);
    const [first] = attic(root).filter((n) => n.startsWith('model@'));
    writeFileSync(
      join(root, 'configs', 'model.json'),
      JSON.stringify({ script: 'stage.py', source: 'features', add: 100 }),
    );
    expect((await runRepro(root, ['run', 'configs/model.json'])).code).toBe(0);
    const taken = await runRepro(root, ['restore', 'model']);
    expect(taken.code).toBe(1);
    expect(taken.stderr).toContain('error: a result named model is in runs; results are never overwritten');
    expect(taken.stderr).toContain('hint: Move it aside first (repro rm model');
    expect(attic(root).filter((n) => n.startsWith('model@'))).toEqual([first]);
    expect((await runRepro(root, ['rm', 'model'])).code).toBe(0);
    const copies = attic(root).filter((n) => n.startsWith('model@'));
    expect(copies).toHaveLength(2);
    const twice = await runRepro(root, ['restore', `runs/.attic/${copies[0]}`, `${copies[1]}`]);
    expect(twice.code).toBe(1);
    expect(twice.stderr).toContain(`error: ${copies[0]} and ${copies[1]} are both model`);
    // the first copy by its path: the original model comes back, not the one moved last
    const older = await runRepro(root, ['restore', `runs/.attic/${first}`]);
    expect(older.code, older.stderr).toBe(0);
    expect(ids('model')).toBe(modelId);

    // what is back is no longer in the attic, and the error says where it is
    const again = await runRepro(root, ['restore', 'data']);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain(
      'error: "data" is no result in the attic (runs/.attic); data is in the runs root (restored already?)',
    );

    // through the binary, in its own folder
    const cli = await runCli(join(root, 'runs'), ['restore', 'model', '--dry-run']);
    expect(cli.code).toBe(1);
    expect(cli.stderr).toContain('error: a result named model is in .; results are never overwritten');
  });

  it('two make --rebuild at once lose nothing: every old result lands in the attic once', async () => {
    const root = pipeline();
    expect((await runRepro(root, ['make', 'model'])).code).toBe(0);
    writeFileSync(join(root, 'raw', 'a.txt'), 'changed\n');
    const [a, b] = await Promise.all([
      runCli(root, ['make', 'model', '--rebuild']),
      runCli(root, ['make', 'model', '--rebuild']),
    ]);
    // one of them may lose the race for a folder and fail cleanly; no result is lost either way
    expect([a.code, b.code]).toContain(0);
    for (const r of [a, b]) expect(r.stderr).not.toContain('looks like a bug');
    const moved = attic(root).filter((n) => n !== 'moves.jsonl');
    expect(moved.map((n) => n.split('@')[0]).sort()).toEqual(['data', 'features', 'model']);
    expect((await runRepro(root, ['status'])).code).toBe(0);
  }, 60_000);

  it('check names configs with the same content, and make warns before computing both', async () => {
    const root = pipeline();
    writeFileSync(
      join(root, 'configs', 'model2.json'),
      JSON.stringify({ source: 'features', add: 100, script: 'stage.py' }),
    );
    const check = await runRepro(root, ['check']);
    expect(check.stdout).toContain(
      'warning: configs/model2.json: same content as configs/model.json: the same config under two names',
    );
    const make = await runRepro(root, ['make', 'model', 'model2', '--dry-run']);
    expect(make.stderr).toContain('warning: model2 has the same content as model; both will run');
  });
});

describe('one way to name targets', () => {
  it('every command that takes targets takes names, globs over names, config paths and result folders', async () => {
    const root = makeProject({
      'stage.py': STAGE,
      'raw/a.txt': 'one\n',
      'configs/data.json': { script: 'stage.py', inputs: 'raw/*.txt' },
      'configs/model.json': { script: 'stage.py', source: 'data', add: 100 },
      'configs/modela.json': { script: 'stage.py', source: 'data', add: 200 },
      'configs/other.json': { script: 'stage.py', add: 5 },
    });
    // make by a glob over names
    const made = await runRepro(root, ['make', 'model*']);
    expect(made.code, made.stderr).toBe(0);
    expect(made.stdout).toMatch(/^3 ran/m);
    expect(existsSync(join(root, 'runs', 'other'))).toBe(false);
    // status by a glob over config paths; graph by a result folder
    const status = await runRepro(root, ['status', 'configs/model*.json']);
    expect(status.stdout.split('\n').filter((l) => /^model/.test(l))).toHaveLength(2);
    expect(status.stdout).not.toMatch(/^data/m);
    const graph = await runRepro(root, ['graph', 'runs/modela']);
    expect(graph.stdout).toContain('data');
    expect(graph.stdout).not.toContain('other');
    // ls, diff, plot and tree by a glob over names
    const ls = JSON.parse((await runRepro(root, ['ls', 'model*', '--json'])).stdout);
    expect(ls.map((r: { name: string }) => r.name).sort()).toEqual(['model', 'modela']);
    const diff = await runRepro(root, ['diff', 'model*']);
    expect(diff.code).toBe(0);
    expect(diff.stdout).toMatch(/add/);
    expect((await runRepro(root, ['plot', 'model*', '--metric', 'loss'])).stderr).not.toContain('matches no');
    expect((await runRepro(root, ['tree', 'model*'])).code).toBe(0);
    // verify and rm by name globs
    const verify = await runRepro(root, ['verify', 'modela']);
    expect(verify.stdout).toContain('runs/modela: reproduced');
    const dry = await runRepro(root, ['rm', 'model*', '--dry-run']);
    expect(dry.stdout.trim().split('\n').sort()).toEqual(['would move model', 'would move modela']);
    // a target that matches nothing names the closest
    const none = await runRepro(root, ['status', 'modle*']);
    expect(none.code).toBe(1);
    expect(none.stderr).toContain('error: the glob "modle*" matches no config or result');
    expect(none.stderr).toContain('hint: Closest: "model"');
    const typo = await runRepro(root, ['make', 'modl']);
    expect(typo.stderr).toContain('error: no config or result named "modl"');
  });
});

describe('status of a project with one broken config', () => {
  it('reports the rest, the broken config as an error and what it blocks, and exits 1', async () => {
    const root = makeProject({
      'stage.py': 'import repro\nrun = repro.start_run()\n',
      'configs/a.json': { script: 'stage.py' },
      'configs/b.json': { script: 'stage.py', source: 'a' },
      'configs/c.json': '{"script": "stage.py", ',
      'configs/d.json': { script: 'stage.py', source: 'c' },
    });
    expect((await runRepro(root, ['run', 'configs/a.json'])).code).toBe(0);
    const r = await runRepro(root, ['status']);
    expect(r.code).toBe(1);
    const rows = r.stdout.split('\n').map((l) =>
      l
        .split(/\s{2,}/)
        .slice(0, 2)
        .join(' '),
    );
    expect(rows).toContain('a done');
    expect(rows).toContain('b missing');
    expect(rows).toContain('c error');
    expect(rows).toContain('d blocked');
    expect(r.stdout).toMatch(/c\s+error\s+configs\/c\.json: invalid JSON .*line 1, column \d+/);
    expect(r.stdout).toContain('upstream c has an error');
    // a target away from the broken config is fine
    expect((await runRepro(root, ['status', 'a'])).code).toBe(0);
  });
});

describe('a result whose config file no longer loads', () => {
  it('is listed stale with the error, its downstream too, and fresh again once the file is mended', async () => {
    const root = makeProject({
      'stage.py': 'import repro\nrun = repro.start_run()\n',
      'configs/a.json': { script: 'stage.py' },
      'configs/b.json': { script: 'stage.py', source: 'a' },
    });
    expect((await runRepro(root, ['run', 'configs/a.json'])).code).toBe(0);
    expect((await runRepro(root, ['run', 'configs/b.json'])).code).toBe(0);
    const staleness = async () => {
      const r = await runRepro(root, ['ls', '--json']);
      expect(r.code).toBe(0);
      return Object.fromEntries(
        JSON.parse(r.stdout).map((run: { name: string; stale: string[] }) => [run.name, run.stale]),
      );
    };
    // listed once, so that the verdicts are kept and must be seen to no longer hold
    expect(await staleness()).toEqual({ a: [], b: [] });
    const good = readFileSync(join(root, 'configs/a.json'), 'utf8');
    writeFileSync(join(root, 'configs/a.json'), '{"script": "stage.py", ');
    const broken = await staleness();
    expect(broken.a).toEqual([
      expect.stringMatching(
        /^configs\/a\.json changed since the run and no longer loads: invalid JSON in configs\/a\.json at line 1, column \d+/,
      ),
    ]);
    expect(broken.b).toEqual([
      expect.stringMatching(/^upstream a is stale: configs\/a\.json changed since the run/),
    ]);
    // the table says so too, and status names the error
    expect((await runRepro(root, ['ls'])).stdout).toMatch(/^a\s+done, stale/m);
    expect((await runRepro(root, ['status'])).stdout).toMatch(/^a\s+error\s+configs\/a\.json: invalid JSON/m);
    writeFileSync(join(root, 'configs/a.json'), good);
    expect(await staleness()).toEqual({ a: [], b: [] });
  });
});

describe('a result under another name than its config (overrides, a postfix)', () => {
  it('is stale when the config file it was made from changed or no longer loads, as the config-named one is', async () => {
    const root = makeProject({
      'stage.py': 'import repro\nrun = repro.start_run()\nrun.params.get("lr", 0.1)\n',
      'configs/a.json': { script: 'stage.py', lr: 0.5 },
      'configs/b.json': { script: 'stage.py', source: 'a~lr=0.2' },
    });
    for (const args of [
      ['configs/a.json'],
      ['configs/a.json', '--set', 'lr=0.2'],
      ['configs/a.json', '--postfix', 'again'],
      ['configs/b.json'],
    ])
      expect((await runRepro(root, ['run', ...args])).code).toBe(0);
    const staleness = async () => {
      const r = await runRepro(root, ['ls', '--json']);
      expect(r.code).toBe(0);
      return Object.fromEntries(
        JSON.parse(r.stdout).map((run: { name: string; stale: string[] }) => [run.name, run.stale]),
      );
    };
    const fresh = { a: [], 'a~lr=0.2': [], 'a~again': [], b: [] };
    // listed once, so that the verdicts are kept and must be seen to no longer hold
    expect(await staleness()).toEqual(fresh);
    const good = readFileSync(join(root, 'configs/a.json'), 'utf8');
    writeFileSync(join(root, 'configs/a.json'), JSON.stringify({ script: 'stage.py', lr: 0.7 }));
    const changed =
      'configs/a.json changed since the run (configs are immutable: repro clone configs/a.json makes a new one)';
    expect(await staleness()).toEqual({
      a: [changed],
      'a~lr=0.2': [changed],
      'a~again': [changed],
      // downstream of the result it read
      b: [`upstream a~lr=0.2 is stale: ${changed}`],
    });
    // status says so, and fails as a gate
    const status = await runRepro(root, ['status']);
    expect(status.code).toBe(1);
    expect(status.stdout).toMatch(/^a~lr=0\.2\s+done, stale\s+configs\/a\.json changed since the run/m);
    writeFileSync(join(root, 'configs/a.json'), '{"script": "stage.py", ');
    const broken = await staleness();
    for (const name of ['a', 'a~lr=0.2', 'a~again'])
      expect(broken[name]).toEqual([
        expect.stringMatching(/^configs\/a\.json changed since the run and no longer loads: invalid JSON/),
      ]);
    writeFileSync(join(root, 'configs/a.json'), good);
    expect(await staleness()).toEqual(fresh);
    // a result made from a config file elsewhere under the same name is not held to this one
    const other = join(root, '..', `${root.split('/').pop()}-a`);
    mkdirSync(other);
    writeFileSync(join(other, 'a.json'), JSON.stringify({ script: 'stage.py', lr: 0.9 }));
    expect((await runRepro(root, ['run', join(other, 'a.json'), '--postfix', 'other'])).code).toBe(0);
    expect((await staleness())['a~other']).toEqual([]);
  });
});
