// Benchmark: what repro adds to a run. Pairs alternate in one run so that machine noise hits
// both sides alike; medians, the difference and the ratio are reported.
//   1. `repro run configs/noop.json` (script noop.mjs) against `node noop.mjs`;
//   2. a script calling startRun() (the in-process API) against the same script without it.
import { mkdirSync, rmSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { CLI, fmt, median, REPO, scratchProject, time } from './lib.mjs';

const FILES = {
  'repro.json': {},
  'package.json': { private: true, type: 'module' },
  'noop.mjs': '',
  'api.mjs': "import { startRun } from 'repro';\nconst run = await startRun();\nrun.params.get('lr', 0.1);\n",
  // 100 ms of work, with and without startRun(): git then answers while the script works
  'work.mjs': 'const end = Date.now() + 100;\nwhile (Date.now() < end);\n',
  'apiwork.mjs':
    "import { startRun } from 'repro';\nconst run = await startRun();\nrun.params.get('lr', 0.1);\nconst end = Date.now() + 100;\nwhile (Date.now() < end);\n",
  'configs/noop.json': { script: 'noop.mjs', lr: 0.1 },
};

function project(git) {
  const root = scratchProject(FILES, { git });
  mkdirSync(join(root, 'node_modules'));
  symlinkSync(REPO, join(root, 'node_modules', 'repro'));
  return root;
}

export function benchRunOverhead({ rounds = 40 } = {}) {
  const root = project(true);
  const plain = project(false);
  const node = process.execPath;
  const direct = [];
  const viaRepro = [];
  const bare = [];
  const api = [];
  const work = [];
  const apiWork = [];
  const bareNoGit = [];
  const apiNoGit = [];
  // warm the page cache and V8's code cache once
  time(node, ['noop.mjs'], { cwd: root });
  time(node, [CLI, 'run', 'configs/noop.json', '-q', '--postfix', 'warm'], { cwd: root });
  time(node, ['api.mjs', '-c', 'configs/noop.json', '--postfix', 'warmapi'], { cwd: root });
  for (let i = 0; i < rounds; i++) {
    direct.push(time(node, ['noop.mjs'], { cwd: root }));
    viaRepro.push(time(node, [CLI, 'run', 'configs/noop.json', '-q', '--postfix', `r${i}`], { cwd: root }));
    bare.push(time(node, ['noop.mjs'], { cwd: root }));
    api.push(time(node, ['api.mjs', '-c', 'configs/noop.json', '--postfix', `a${i}`], { cwd: root }));
    work.push(time(node, ['work.mjs'], { cwd: root }));
    apiWork.push(time(node, ['apiwork.mjs', '-c', 'configs/noop.json', '--postfix', `w${i}`], { cwd: root }));
    bareNoGit.push(time(node, ['noop.mjs'], { cwd: plain }));
    apiNoGit.push(time(node, ['api.mjs', '-c', 'configs/noop.json', '--postfix', `a${i}`], { cwd: plain }));
  }
  rmSync(root, { recursive: true, force: true });
  rmSync(plain, { recursive: true, force: true });
  const d = median(direct);
  const r = median(viaRepro);
  const b = median(bare);
  const a = median(api);
  const w = median(work);
  const aw = median(apiWork);
  const bn = median(bareNoGit);
  const an = median(apiNoGit);
  return {
    title: 'repro run and startRun() overhead on a no-op script',
    rows: [
      ['`node noop.mjs` (baseline)', fmt(d), '', ''],
      ['`repro run configs/noop.json`', fmt(r), `+${fmt(r - d)}`, `${(r / d).toFixed(2)}×`],
      ['`node noop.mjs` (baseline)', fmt(b), '', ''],
      ['`node api.mjs -c configs/noop.json` (startRun)', fmt(a), `+${fmt(a - b)}`, `${(a / b).toFixed(2)}×`],
      ['`node work.mjs`: 100 ms of work (baseline)', fmt(w), '', ''],
      [
        '`node apiwork.mjs -c configs/noop.json`: the same with startRun',
        fmt(aw),
        `+${fmt(aw - w)}`,
        `${(aw / w).toFixed(2)}×`,
      ],
      ['`node noop.mjs`, outside git (baseline)', fmt(bn), '', ''],
      [
        '`node api.mjs -c configs/noop.json`, outside git',
        fmt(an),
        `+${fmt(an - bn)}`,
        `${(an / bn).toFixed(2)}×`,
      ],
    ],
    head: ['command', 'median', 'added', 'ratio'],
    note: `${rounds} alternated rounds, in a git repository (git facts gathered) unless said otherwise; NODE_EXTRA_CA_CERTS unset. Targets: repro run adds at most 50 ms, startRun() at most 10 ms.`,
  };
}
