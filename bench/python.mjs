// Benchmark: Python scripts. (1) The cost of `import repro`, timed inside a fresh interpreter
// each round, against `import json` (which the module needs anyway) in the same interpreter
// runs. (2) `repro run` of a Python no-op against `python3 noop.py`, and (3) a script run by
// hand that calls repro.start_run() against the same script without it; pairs alternate.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { benchEnv, CLI, fmt, median, REPO, scratchProject, time } from './lib.mjs';

const IMPORT = (what) =>
  `import time\nt = time.perf_counter()\nimport ${what}\nprint((time.perf_counter() - t) * 1000)`;

export function benchPython({ rounds = 30 } = {}) {
  const env = { ...benchEnv(), PYTHONPATH: join(REPO, 'python') };
  const onPath = execFileSync('sh', ['-c', 'command -v python3'], { encoding: 'utf8' }).trim();
  const shim = readFileSync(onPath, 'latin1').startsWith('#!');
  const python = execFileSync('python3', ['-c', 'import sys; print(sys.executable)'], {
    env,
    encoding: 'utf8',
  }).trim();
  const inProcess = (what) =>
    Number(execFileSync(python, ['-c', IMPORT(what)], { env, encoding: 'utf8' }).trim());
  const imports = { json: [], repro: [] };
  for (let i = 0; i < rounds; i++) {
    imports.json.push(inProcess('json'));
    imports.repro.push(inProcess('repro'));
  }
  const root = scratchProject({
    'repro.json': {},
    'noop.py': '',
    'api.py': 'import repro\nrun = repro.start_run()\nrun.params.get("lr", 0.1)\n',
    'configs/noop.json': { script: 'noop.py', lr: 0.1 },
  });
  const node = process.execPath;
  // python3 on PATH may be a shim (pyenv: a script that picks a Python at each call, never
  // cached); a venv's or the system's python3 is the binary itself
  const bin = mkdtempSync(join(tmpdir(), 'repro-bench-bin-'));
  symlinkSync(python, join(bin, 'python3'));
  const direct = { ...env, PATH: `${bin}:${env.PATH}` };
  const cases = {
    plain: () => time(python, ['noop.py'], { cwd: root, env }),
    // the baseline for the row through PATH: python3 as PATH finds it (the shim too)
    plainOnPath: () => time('python3', ['noop.py'], { cwd: root, env }),
    run: () =>
      time(node, [CLI, 'run', 'configs/noop.json', '--postfix', `r${counter++}`, '-q'], { cwd: root, env }),
    runDirect: () =>
      time(node, [CLI, 'run', 'configs/noop.json', '--postfix', `d${counter++}`, '-q'], {
        cwd: root,
        env: direct,
      }),
    byHand: () =>
      time(python, ['api.py', '-c', 'configs/noop.json', '--postfix', `h${counter++}`], { cwd: root, env }),
  };
  let counter = 0;
  const samples = { plain: [], plainOnPath: [], run: [], runDirect: [], byHand: [] };
  for (const f of Object.values(cases)) f();
  for (let i = 0; i < Math.ceil(rounds / 2); i++)
    for (const [k, f] of Object.entries(cases)) samples[k].push(f());
  const m = Object.fromEntries(Object.entries(samples).map(([k, v]) => [k, median(v)]));
  const ij = median(imports.json);
  const ir = median(imports.repro);
  return {
    title: 'Python scripts (`npm run bench -- python`)',
    head: ['measure', 'median', 'baseline', 'added'],
    rows: [
      [
        '`import repro` in a fresh interpreter',
        fmt(ir),
        `\`import json\`: ${fmt(ij)}`,
        `${(ir / Math.max(ij, 0.001)).toFixed(1)}×`,
      ],
      [
        '`repro run` of a Python no-op, `python3` the binary on PATH',
        fmt(m.runDirect),
        `\`python3 noop.py\`: ${fmt(m.plain)}`,
        `+${fmt(m.runDirect - m.plain)}`,
      ],
      [
        `\`repro run\` of a Python no-op, \`python3\` on PATH as it is (${shim ? 'a pyenv shim' : 'the binary'})`,
        fmt(m.run),
        `\`python3 noop.py\` on the same PATH: ${fmt(m.plainOnPath)}`,
        `+${fmt(m.run - m.plainOnPath)}`,
      ],
      [
        '`python3 api.py -c …` by hand (`start_run` has `repro begin` make the folder)',
        fmt(m.byHand),
        `\`python3 noop.py\`: ${fmt(m.plain)}`,
        `+${fmt(m.byHand - m.plain)}`,
      ],
    ],
    note: `${rounds} rounds of each import, ${Math.ceil(rounds / 2)} alternated rounds of each run; \`python3\` is ${python}; NODE_EXTRA_CA_CERTS unset.`,
  };
}
