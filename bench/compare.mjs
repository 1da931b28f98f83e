// Benchmarks of the compare tools on the generated data set (bench/generate.mjs), each beside
// a baseline that only reads the same files (`find … | xargs cat > /dev/null`), as medians of
// whole-command runs, with the peak memory (max RSS) of each command.
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, utimesSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generate } from './generate.mjs';
import { benchEnv, CLI, fmt, median } from './lib.mjs';

const TIME = '/usr/bin/time';

/** Wall time (ms) and peak memory (MiB, when GNU time is installed) of one command. */
function run(cmd, args, options = {}) {
  const useTime = existsSync(TIME);
  const t0 = process.hrtime.bigint();
  const r = spawnSync(useTime ? TIME : cmd, useTime ? ['-f', 'MAXRSS %M', cmd, ...args] : args, {
    stdio: ['ignore', 'ignore', 'pipe'],
    encoding: 'utf8',
    env: { ...benchEnv(), ...options.env },
    cwd: options.cwd,
    maxBuffer: 64 * 1024 * 1024,
  });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.status !== 0)
    throw new Error(`${cmd} ${args.join(' ')} failed (${r.status}): ${r.stderr.slice(-2000)}`);
  const rss = /MAXRSS (\d+)/.exec(r.stderr)?.[1];
  return { ms, mib: rss ? Number(rss) / 1024 : null };
}

const sh = (script, options) => run('bash', ['-c', script], options);
const repro = (args, options) => run(process.execPath, [CLI, ...args], options);

function measure(rounds, pairs) {
  const samples = pairs.map(() => ({ ms: [], mib: [] }));
  for (let i = 0; i < rounds; i++) {
    pairs.forEach((p, k) => {
      p.before?.();
      const r = p.run();
      samples[k].ms.push(r.ms);
      if (r.mib !== null) samples[k].mib.push(r.mib);
    });
  }
  return samples.map((s) => ({ ms: median(s.ms), mib: s.mib.length ? Math.max(...s.mib) : null }));
}

export async function benchCompare({ rounds = 5 } = {}) {
  const data = generate();
  const cache = mkdtempSync(join(tmpdir(), 'repro-bench-cache-'));
  const env = { XDG_CACHE_HOME: cache };
  const clearCache = () => rmSync(join(cache, 'repro'), { recursive: true, force: true });
  // warm the page cache: idle files drop out of it within minutes
  sh('find . -type f -print0 | xargs -0 cat > /dev/null', { cwd: data });

  const rows = [];
  const add = (what, target, result, floor) =>
    rows.push([
      what,
      fmt(result.ms),
      floor ? fmt(floor.ms) : '',
      floor ? `${(result.ms / floor.ms).toFixed(1)}×` : '',
      result.mib === null ? 'n/a' : `${Math.round(result.mib)} MiB`,
      target,
    ]);

  const [diff, diffCsv, catConfigs] = measure(rounds, [
    { run: () => repro(['diff', 'configs/*.json'], { cwd: data, env }) },
    { run: () => repro(['diff', 'configs/*.json', '--csv'], { cwd: data, env }) },
    { run: () => sh("find configs -name '*.json' -print0 | xargs -0 cat > /dev/null", { cwd: data }) },
  ]);
  add('`repro diff configs/*.json` (10,000 configs)', '< 1.5 s', diff, catConfigs);
  add('`repro diff configs/*.json --csv`', '< 1.5 s', diffCsv, catConfigs);

  // a result added since the last listing: a copy of one under a new name each round (the one
  // before removed), so that the listing stats every folder and writes the index again
  let added = 0;
  const addResult = () => {
    rmSync(join(data, 'runs', `zz-added${added}`), { recursive: true, force: true });
    cpSync(join(data, 'runs', 'r000001'), join(data, 'runs', `zz-added${++added}`), { recursive: true });
  };
  // a config edited since the last listing (its time moved): the kept staleness verdicts no
  // longer hold and are worked out again (graph/verdicts.ts)
  const touchConfig = () => {
    const now = new Date();
    utimesSync(join(data, 'configs', 'm00001.json'), now, now);
  };
  // to a pipe, as `repro ls | less` or `| grep` read it (the rows above write to /dev/null)
  const toPipe = () =>
    sh(`set -o pipefail; ${JSON.stringify(process.execPath)} ${JSON.stringify(CLI)} ls | cat > /dev/null`, {
      cwd: data,
      env,
    });
  const ls = (...args) => repro(['ls', ...args], { cwd: data, env });
  // the listings kept to be written again (cli/replay.ts) let go: the listing is made, as the
  // first one after any change is
  const dropKept = () => {
    for (const f of readdirSync(join(cache, 'repro')))
      if (f.startsWith('ls-')) rmSync(join(cache, 'repro', f));
  };
  // a listing asked for twice is kept (the first notes it): the timed third is written again
  const askedTwice = (run) => () => {
    run();
    run();
  };
  const top20 = ['--sort=-acc', '--limit', '20'];
  const timed = measure(Math.max(3, rounds - 2), [
    { before: clearCache, run: () => ls('--no-stale') },
    // the cold run above leaves the results index
    { before: dropKept, run: () => ls('--no-stale') },
    { before: askedTwice(() => ls('--no-stale')), run: () => ls('--no-stale') },
    // the cold run left no staleness verdicts (graph/verdicts.ts): one listing keeps them first
    {
      before: () => {
        ls();
        dropKept();
      },
      run: () => ls(),
    },
    { before: askedTwice(() => ls()), run: () => ls() },
    { before: dropKept, run: toPipe },
    { before: askedTwice(toPipe), run: toPipe },
    { before: dropKept, run: () => ls('--no-stale', ...top20) },
    { before: askedTwice(() => ls('--no-stale', ...top20)), run: () => ls('--no-stale', ...top20) },
    { before: dropKept, run: () => ls(...top20) },
    { before: askedTwice(() => ls(...top20)), run: () => ls(...top20) },
    { before: addResult, run: () => ls('--no-stale', ...top20) },
    // with the staleness check: the verdicts of the results that stayed are carried over. A
    // run lasts longer than the index's margin (a runs root changed in the last 100 ms is not
    // vouched for, and nothing is kept from it): waited for, as after a run
    {
      before: () => {
        addResult();
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 150);
      },
      run: () => ls(),
    },
    { before: touchConfig, run: () => ls() },
    { run: () => sh('find runs -type f -print0 | xargs -0 cat > /dev/null', { cwd: data }) },
  ]);
  const catRuns = timed.pop();
  rmSync(join(data, 'runs', `zz-added${added}`), { recursive: true, force: true });
  const again = ', asked again: nothing changed since (the listing kept)';
  const made = ', warm: the index kept, the listing made (as the first after a change)';
  [
    ['`repro ls --no-stale` (100,000 results), cold: no index', '1.0× cat'],
    ['`repro ls --no-stale`' + made, ''],
    ['`repro ls --no-stale`' + again, '< 1 s'],
    ['`repro ls` (with the staleness check: configs, scripts, data, upstream)' + made, ''],
    ['`repro ls`' + again, '< 1 s'],
    ['`repro ls \\| cat > /dev/null` (to a pipe)' + made, ''],
    ['`repro ls \\| cat > /dev/null`' + again, '< 1 s'],
    ['`repro ls --no-stale --sort=-acc --limit 20`' + made, ''],
    ['`repro ls --no-stale --sort=-acc --limit 20`' + again, '< 0.3 s'],
    ['`repro ls --sort=-acc --limit 20` (with the staleness check)' + made, ''],
    ['`repro ls --sort=-acc --limit 20`' + again, '< 0.3 s'],
    ['`repro ls --no-stale --sort=-acc --limit 20` after a result was added', ''],
    [
      '`repro ls` after a result was added (the staleness of the new one and what is below it worked out)',
      '',
    ],
    [
      '`repro ls` after a config was edited (the staleness of its results and what is below them worked out again)',
      '',
    ],
  ].forEach(([what, target], k) => {
    add(what, target, timed[k], catRuns);
  });

  // a run's start in a project this big: a stage with a source judges its upstream (the graph
  // upstream of it) and the typo guard lists the runs root; the first one after a new cache
  // reads every result once, so one runs before the timed ones
  const stage = join(data, 'runs', 'm00001~bench');
  const runStage = () =>
    repro(['run', 'configs/m00001.json', '-q', '--postfix', 'bench'], { cwd: data, env });
  rmSync(stage, { recursive: true, force: true });
  runStage();
  const [stageRun, bareScript] = measure(rounds, [
    { before: () => rmSync(stage, { recursive: true, force: true }), run: runStage },
    { run: () => run('python3', ['train.py', '-c', 'configs/m00001.json'], { cwd: data }) },
  ]);
  rmSync(stage, { recursive: true, force: true });
  add(
    '`repro run configs/m00001.json` (a stage with a source; baseline: `python3 train.py` alone)',
    '',
    stageRun,
    bareScript,
  );

  // the dashboard's page of one result (in this process, its server warm): the result's status
  // with why it is stale, and the results built on its source; beside the runs list of the same
  // server. Every result of the data set is built on `data`
  const saved = process.env.XDG_CACHE_HOME;
  process.env.XDG_CACHE_HOME = cache;
  try {
    const { createUiApp } = await import('../src/ui/server.ts');
    const { findProject } = await import('../src/project/project.ts');
    const app = createUiApp({ project: findProject({ cwd: data }) });
    const ask = async (path) => {
      const t0 = performance.now();
      const r = await app.request(path);
      if (r.status !== 200) throw new Error(`${path}: ${r.status}`);
      await r.arrayBuffer();
      return performance.now() - t0;
    };
    await ask('/api/runs');
    const page = [];
    const list = [];
    for (let i = 0; i < rounds; i++) {
      page.push(await ask('/api/runs/r000001'));
      list.push(await ask('/api/runs'));
    }
    add(
      "the dashboard: a result's page (`GET /api/runs/r000001`, one of 100,000 built on `data`; baseline: `GET /api/runs`, the list), in process",
      '',
      { ms: median(page), mib: null },
      { ms: median(list), mib: null },
    );
  } finally {
    if (saved === undefined) delete process.env.XDG_CACHE_HOME;
    else process.env.XDG_CACHE_HOME = saved;
  }

  const [tree, catTree] = measure(rounds, [
    { run: () => repro(['tree', 'tree/*.json'], { cwd: data, env }) },
    { run: () => sh("find tree -name '*.json' -print0 | xargs -0 cat > /dev/null", { cwd: data }) },
  ]);
  add('`repro tree tree/*.json` (2,000 configs)', '< 3 s', tree, catTree);

  const out = join(cache, 'plot');
  mkdirSync(out, { recursive: true });
  let k = 0;
  const [plot, catPlot] = measure(rounds, [
    {
      run: () => repro(['plot', 'runs/*', '-o', join(out, `p${k++}.svg`)], { cwd: join(data, 'plot'), env }),
    },
    { run: () => sh('find runs -type f -print0 | xargs -0 cat > /dev/null', { cwd: join(data, 'plot') }) },
  ]);
  add('`repro plot runs/* -o losses.svg` (50 runs × 10,000 points)', '< 2 s', plot, catPlot);
  rmSync(cache, { recursive: true, force: true });
  return {
    title: 'compare tools on 10,000 configs and 100,000 results',
    head: ['command', 'median', 'baseline: cat of the same files', 'ratio', 'peak memory', 'target'],
    rows,
    note: `${rounds} rounds each (3 for ls), alternated with the baseline, page cache warmed first. Data from bench/generate.mjs.`,
  };
}
