import { execFileSync, spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseMetrics } from '../../src/run/metrics.ts';
import { CLI, makeProject, REPO, runCli, runRepro, waitFor, writeFiles } from '../helpers.ts';

const PYTHON_DIR = join(REPO, 'python');
const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
/** The environment of a script run by hand: no REPRO_* from a run that started the tests. */
const handEnv = (extra: Record<string, string> = {}) => ({
  ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('REPRO_'))),
  PYTHONPATH: PYTHONDIR_AND(process.env.PYTHONPATH),
  ...extra,
});
function PYTHONDIR_AND(rest: string | undefined): string {
  return [PYTHON_DIR, ...(rest ? [rest] : [])].join(':');
}

/** Runs a script by hand, as a user would: `python3 train.py ...` or `node --import tsx train.ts ...`. */
function byHand(
  root: string,
  script: string,
  args: string[],
  options: { interruptAfter?: string } = {},
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const [bin, ...pre] = script.endsWith('.py')
    ? ['python3', script]
    : [process.execPath, '--import', tsx, script];
  return new Promise((done, fail) => {
    const child = spawn(bin as string, [...pre, ...args], {
      cwd: root,
      env: handEnv(),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c) => {
      stdout += c;
      if (options.interruptAfter && stdout.includes(options.interruptAfter)) child.kill('SIGINT');
    });
    child.stderr.on('data', (c) => {
      stderr += c;
    });
    child.on('error', fail);
    child.on('close', (code) => done({ code, stdout, stderr }));
  });
}

// The same scenario in both languages: defaults, a required key, an unread key, metrics with a
// NaN, a source, an exclusive file (and a second write of it refused), an interruption.
const TRAIN_TS = `import { startRun } from 'repro';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
const run = await startRun();
const lr = run.params.get('lr', 0.1);
const epochs = run.params.require('epochs');
let upstream = 'none';
if (run.params.has('source')) upstream = readFileSync(join(run.source().dir, 'out.txt'), 'utf8');
for (let step = 0; step < epochs; step++) run.log({ step, loss: step === epochs - 1 ? Number.NaN : lr / (step + 1) });
await run.writeFile('out.txt', \`lr=\${lr} epochs=\${epochs} upstream=\${upstream}\`);
try { await run.writeFile('out.txt', 'again'); } catch (e) { console.log(e.code); }
// read before "ready": the test interrupts on that line
const wait = run.params.get('wait', false);
console.log('ready');
if (wait) await new Promise((r) => setTimeout(r, 60_000));
`;
const TRAIN_PY = `import time, repro
run = repro.start_run()
lr = run.params.get("lr", 0.1)
epochs = run.params.require("epochs")
upstream = "none"
if run.params.has("source"):
    upstream = (run.source() / "out.txt").read_text()
for step in range(epochs):
    run.log(step=step, loss=float("nan") if step == epochs - 1 else lr / (step + 1))
with run.open("out.txt", "w") as f:
    f.write(f"lr={lr} epochs={epochs} upstream={upstream}")
try:
    run.open("out.txt", "w")
except repro.ReproError as e:
    print(e.code)
# read before "ready": the test interrupts on that word
wait = run.params.get("wait", False)
print("ready", flush=True)
if wait:
    time.sleep(60)
`;

function project(script: 'train.ts' | 'train.py'): string {
  return makeProject({
    [script]: script === 'train.ts' ? TRAIN_TS : TRAIN_PY,
    'configs/data.json': { script, epochs: 1, lr: 0.5 },
    // paranoia: a key repro reads itself, never reported as unread
    'configs/model.json': { script, source: 'data', epochs: 2, extra_key: true, paranoia: 'path' },
  });
}

/** Scenarios, in order, each leaving one result folder. */
const SCENARIOS: { name: string; result: string; go: (root: string, script: string) => Promise<unknown> }[] =
  [
    { name: 'standalone', result: 'data', go: (root, s) => byHand(root, s, ['-c', 'configs/data.json']) },
    {
      name: 'standalone with overrides and a source',
      result: 'model~epochs=3,lr=0.2',
      go: (root, s) =>
        byHand(root, s, ['-c', 'configs/model.json', '--set', 'epochs=3', '--conf', '{"lr": 0.2}']),
    },
    {
      name: 'standalone with a postfix',
      result: 'model~mine',
      go: (root, s) => byHand(root, s, ['--postfix', 'mine', '-c', 'configs/model.json']),
    },
    {
      name: 'adopted by repro run',
      result: 'model~lr=0.3',
      go: (root) => runRepro(root, ['run', 'configs/model.json', '--set', 'lr=0.3']),
    },
    {
      name: 'interrupted by hand',
      result: 'model~wait=true',
      go: (root, s) =>
        byHand(root, s, ['-c', 'configs/model.json', '--set', 'wait=true'], { interruptAfter: 'ready\n' }),
    },
  ];

/** Every file of a result folder with what may differ between languages taken out. */
function comparable(root: string, result: string, script: string): Record<string, unknown> {
  const dir = join(root, 'runs', result);
  const read = (f: string) => readFileSync(join(dir, f), 'utf8');
  const json = (f: string) => JSON.parse(read(f));
  const files = readdirSync(dir, { recursive: true })
    .map(String)
    .filter((f) => statSync(join(dir, f)).isFile())
    .map((f) => f.replace(script, 'SCRIPT'))
    .sort();
  const { script: _s, ...config } = json('config.json');
  const record = json('run.json');
  const end = json('end.json');
  const out: Record<string, unknown> = {
    files,
    config,
    // times, ids, the process and the language's own fields aside, run.json must agree
    record: {
      format: record.format,
      name: record.name,
      mode: record.mode,
      config: { name: record.config.name, file: record.config.file },
      overrides: record.overrides,
      postfix: record.postfix,
      command: record.command === null ? null : 'a command',
      git: record.git,
      host: record.host,
      sources: record.sources.map((s: Record<string, unknown>) => ({ name: s.name, id: typeof s.id })),
      script_path: record.script.path.replace(script, 'SCRIPT'),
      has_packages: record.packages !== null,
      code: { ...record.code, copied: record.code.copied.map((f: string) => f.replace(script, 'SCRIPT')) },
    },
    end: { status: end.status, exit_code: end.exit_code, signal: end.signal },
    effective: json('effective.json'),
    metrics: parseMetrics(read('metrics.jsonl')),
    out: read('out.txt'),
  };
  if (files.includes('stdout.log')) out.stdout = read('stdout.log');
  return out;
}

describe('the Python module against the TypeScript API', () => {
  it('makes the same folders and records in every scenario', { timeout: 120_000 }, async () => {
    const roots = { ts: project('train.ts'), py: project('train.py') };
    for (const scenario of SCENARIOS) {
      for (const [lang, root] of Object.entries(roots)) {
        const r = (await scenario.go(root, lang === 'ts' ? 'train.ts' : 'train.py')) as { stderr: string };
        expect(
          existsSync(join(root, 'runs', scenario.result, 'end.json')),
          `${lang}: ${scenario.name}: ${r.stderr}`,
        ).toBe(true);
      }
      const ts = comparable(roots.ts, scenario.result, 'train.ts');
      const py = comparable(roots.py, scenario.result, 'train.py');
      expect(py, scenario.name).toEqual(ts);
    }
    // what the scenarios are for: spot checks that both sides did the work
    const model = comparable(roots.py, 'model~epochs=3,lr=0.2', 'train.py');
    expect(model.out).toBe('lr=0.2 epochs=3 upstream=lr=0.5 epochs=1 upstream=none');
    expect(model.metrics).toEqual([
      { step: 0, loss: 0.2 },
      { step: 1, loss: 0.1 },
      { step: 2, loss: 'NaN' },
    ]);
    expect(model.effective).toMatchObject({
      values: { epochs: 3, lr: 0.2, source: 'data' },
      unread: [{ key: 'extra_key', closest: null }],
    });
    expect(model.stdout).toBe('REPRO_FILE_EXISTS\nready\n');
    const stopped = comparable(roots.py, 'model~wait=true', 'train.py');
    expect(stopped.end).toEqual({ status: 'interrupted', exit_code: 130, signal: 'SIGINT' });
    // the process that ran the script is the one recorded, so repro can tell it alive
    const record = JSON.parse(readFileSync(join(roots.py, 'runs', 'data', 'run.json'), 'utf8'));
    expect(record.script.interpreter[0]).toMatch(/python/);
    expect(record.script.interpreter_version).toMatch(/^Python 3\./);
    expect(record.argv.slice(1)).toEqual([join(roots.py, 'train.py'), '-c', 'configs/data.json']);
  });

  it('is a running run while the script lives, told by its own process', { timeout: 60_000 }, async () => {
    const root = project('train.py');
    await byHand(root, 'train.py', ['-c', 'configs/data.json']);
    const child = spawn('python3', ['train.py', '-c', 'configs/model.json', '--set', 'wait=true'], {
      cwd: root,
      env: handEnv(),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (c) => {
      out += c;
    });
    await waitFor(() => out.includes('ready'), 30_000);
    const ls = await runRepro(root, ['ls', '--json']);
    const live = JSON.parse(ls.stdout).find((r: { name: string }) => r.name === 'model~wait=true');
    expect(live).toMatchObject({ status: 'running', reason: `process ${child.pid} is alive` });
    const closed = new Promise((r) => child.on('close', r));
    child.kill('SIGTERM');
    await closed;
    const end = JSON.parse(readFileSync(join(root, 'runs', 'model~wait=true', 'end.json'), 'utf8'));
    expect(end).toMatchObject({ status: 'interrupted', exit_code: 143, signal: 'SIGTERM' });
  });

  it('refuses bad arguments as repro does, and makes nothing', async () => {
    const root = project('train.py');
    const typo = await byHand(root, 'train.py', ['-c', 'configs/data.json', '--postifx', 'x']);
    expect(typo.code).toBe(2);
    expect(typo.stderr).toContain("error: Unknown option '--postifx'");
    expect(typo.stderr).not.toContain('Traceback');
    const missing = await byHand(root, 'train.py', ['-c', 'configs/nope.json']);
    expect(missing.stderr).toMatch(/error: config not found: configs\/nope.json\nhint: /);
    expect(existsSync(join(root, 'runs'))).toBe(false);
  });

  it("passes the module's own unit tests", () => {
    const out = execFileSync('python3', ['-W', 'error', '-m', 'unittest', 'discover', '-s', 'python/tests'], {
      cwd: REPO,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    expect(out).toBe('');
  });

  it('is found with repro python-path, and put on PYTHONPATH by repro run', async () => {
    const r = await runCli(REPO, ['python-path']);
    expect(r.stdout.trim()).toBe(PYTHON_DIR);
    expect(existsSync(join(r.stdout.trim(), 'repro', '__init__.py'))).toBe(true);
    const root = makeProject({
      'which.py': 'import repro, sys\nrun = repro.start_run()\nprint(repro.__file__)\n',
      'configs/w.json': { script: 'which.py' },
    });
    const run = await runRepro(root, ['run', 'configs/w.json'], { env: { PYTHONPATH: '/elsewhere' } });
    expect(run.stdout.trim()).toBe(join(PYTHON_DIR, 'repro', '__init__.py'));
    const record = JSON.parse(readFileSync(join(root, 'runs', 'w', 'run.json'), 'utf8'));
    expect(record.env.PYTHONPATH).toBe(`${PYTHON_DIR}:/elsewhere`);
    expect(CLI).toContain('dist');
  });
});

describe('typos caught before the run starts', () => {
  const SVC_PY =
    'import repro\nrun = repro.start_run()\nrun.params.get("gamma", 0.1)\nrun.params.get("C", 1.0)\nprint("started")\n';
  const SVC_TS = `import { startRun } from 'repro';\nconst run = await startRun();\nrun.params.get('gamma', 0.1);\nrun.params.get('C', 1.0);\nconsole.log('started');\n`;

  for (const script of ['svc.py', 'svc.ts']) {
    it(`warns of a key no earlier run of ${script} read, standalone and under repro run`, {
      timeout: 60_000,
    }, async () => {
      const root = makeProject({
        [script]: script.endsWith('.py') ? SVC_PY : SVC_TS,
        'configs/svc.json': { script, C: 1, gamma: 0.5 },
        'configs/svcb.json': { script, C: 2, gama: 0.01 },
      });
      // no earlier run: nothing to compare with, so no warning
      const first = await byHand(root, script, ['-c', 'configs/svcb.json', '--postfix', 'first']);
      expect(first.stderr).not.toContain('was never read by an earlier run');
      await runRepro(root, ['run', 'configs/svc.json']);
      const warning = `"gama" was never read by an earlier run of ${script}; did you mean "gamma"?`;
      // under repro run: before the script starts
      const viaRun = await runRepro(root, ['run', 'configs/svcb.json']);
      expect(viaRun.code).toBe(0);
      expect(viaRun.stderr).toContain(`repro: warning: configs/svcb.json: ${warning}`);
      expect(viaRun.stderr.indexOf(warning)).toBeLessThan(viaRun.stderr.indexOf('<- configs/svcb.json'));
      // by hand
      const standalone = await byHand(root, script, ['-c', 'configs/svcb.json', '--set', 'C=3']);
      expect(standalone.stderr).toContain(warning);
      // --strict: an error, and the script never starts
      const strict = await runRepro(root, ['run', 'configs/svcb.json', '--set', 'C=4', '--strict']);
      expect(strict.code).toBe(1);
      expect(strict.stderr).toContain(`error: configs/svcb.json: ${warning}`);
      expect(strict.stdout).toBe('');
      expect(existsSync(join(root, 'runs', 'svcb~C=4'))).toBe(false);
      // "strict": true in repro.json does the same for a script run by hand
      writeFiles(root, { 'repro.json': { strict: true } });
      const strictByHand = await byHand(root, script, ['-c', 'configs/svcb.json', '--set', 'C=5']);
      expect(strictByHand.code).not.toBe(0);
      expect(strictByHand.stderr).toContain(warning);
      expect(strictByHand.stdout).not.toContain('started');
      expect(existsSync(join(root, 'runs', 'svcb~C=5'))).toBe(false);
    });
  }
});

describe('typos refused when configs are bred, and listed by check', () => {
  const BASE = { script: 'svc.py', C: 1, gamma: 0.5 };

  it('clone and sweep refuse a new key close to an existing one, unless --new-key', async () => {
    const root = makeProject({
      'configs/svc.json': BASE,
      'configs/other.json': { script: 'svc.py', C: 2, gama: 1 },
    });
    const clone = await runRepro(root, ['clone', 'configs/svc.json', '--set', 'gama=0.01']);
    expect(clone.code).toBe(1);
    expect(clone.stderr).toContain('error: --set "gama" is not a key of svc; did you mean "gamma"?');
    expect(clone.stderr).toContain('hint: Fix the key, or pass --new-key');
    const conf = await runRepro(root, ['clone', 'configs/svc.json', '--conf', '{"c": 3}']);
    expect(conf.stderr).toContain('--conf "c" is not a key of svc; did you mean "C"?');
    const allowed = await runRepro(root, ['clone', 'configs/svc.json', '--set', 'gama=0.01', '--new-key']);
    expect(allowed.code).toBe(0);
    // a key far from every other one is simply new
    expect((await runRepro(root, ['clone', 'configs/svc.json', '--set', 'kernel=rbf'])).code).toBe(0);
    const sweep = await runRepro(root, ['sweep', 'configs/svc.json', '--grid', '{"gama": [1, 2]}']);
    expect(sweep.stderr).toContain('--grid key "gama" is not a key of svc; did you mean "gamma"?');
    // the next of a numbered family is a new key, not a typo
    expect((await runRepro(root, ['clone', 'configs/svc.json', '--set', 'C2=1'])).code).toBe(0);
  });

  it('clone --unset drops a mistyped key, and names the closest when the key is not there', async () => {
    const root = makeProject({ 'configs/svcb.json': { script: 'svc.py', C: 1, gama: 0.01 } });
    const fixed = await runRepro(root, [
      'clone',
      'configs/svcb.json',
      '--unset',
      'gama',
      '--set',
      'gamma=0.01',
    ]);
    expect(fixed.code).toBe(0);
    expect(JSON.parse(readFileSync(join(root, 'configs', 'svcba.json'), 'utf8'))).toEqual({
      script: 'svc.py',
      C: 1,
      gamma: 0.01,
    });
    const wrong = await runRepro(root, ['clone', 'configs/svcb.json', '--unset', 'gamma']);
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toContain('--unset "gamma": svcb has no such key; did you mean "gama"?');
  });

  it('check lists, per config, the keys no run of its script ever read', { timeout: 30_000 }, async () => {
    const root = makeProject({
      'svc.py':
        'import repro\nrun = repro.start_run()\nrun.params.get("gamma", 0.1)\nrun.params.get("C", 1.0)\n',
      'configs/svc.json': BASE,
      'configs/svcb.json': { script: 'svc.py', C: 2, gama: 0.01, kernel: 'rbf' },
    });
    await runRepro(root, ['run', 'configs/svc.json']);
    const check = await runRepro(root, ['check', '--json']);
    const unread = JSON.parse(check.stdout).filter((f: { kind: string }) => f.kind === 'unread');
    expect(unread).toEqual([
      expect.objectContaining({
        file: 'configs/svcb.json',
        key: 'gama',
        message: 'no run of svc.py ever read "gama"; did you mean "gamma"?',
      }),
      expect.objectContaining({
        file: 'configs/svcb.json',
        key: 'kernel',
        message: 'no run of svc.py ever read "kernel"',
      }),
    ]);
  });
});
