import { chmodSync, existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { ReproError } from '../../src/errors.ts';
import type { EndRecord, RunRecord } from '../../src/run/record.ts';
import { type RunConfigOptions, runConfig } from '../../src/run/runner.ts';
import { readRunState } from '../../src/run/status.ts';
import { fakeRecord, git, makeProject, REPO, runRepro, writeFiles } from '../helpers.ts';

const PY_ECHO = `import json, os, sys
cfg = json.load(open(sys.argv[sys.argv.index("-c") + 1]))
print("lr", cfg["lr"], "dir", os.environ["REPRO_RUN_DIR"] == os.path.dirname(sys.argv[-1]))
print("to stderr", file=sys.stderr)
sys.exit(cfg.get("exit", 0))
`;

/** runConfig with the output collected instead of printed. */
async function run(root: string, options: Omit<RunConfigOptions, 'cwd'>) {
  const out = new PassThrough();
  const err = new PassThrough();
  let stdout = '';
  let stderr = '';
  out.on('data', (c) => {
    stdout += c;
  });
  err.on('data', (c) => {
    stderr += c;
  });
  const result = await runConfig({ cwd: root, stdout: out, stderr: err, handleSignals: false, ...options });
  return { ...result, stdout, stderr };
}

function json<T>(file: string): T {
  return JSON.parse(readFileSync(file, 'utf8')) as T;
}

async function failure(promise: Promise<unknown>): Promise<ReproError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(ReproError);
    return error as ReproError;
  }
  throw new Error('expected a failure');
}

describe('runConfig (repro run)', () => {
  it('runs a Python script into runs/<name> with the merged config, record, logs and end record', async () => {
    const root = makeProject(
      { 'train.py': PY_ECHO, 'configs/model.json': { script: 'train.py', lr: 0.1 } },
      { git: true },
    );
    const r = await run(root, { config: 'configs/model.json', argv: ['repro', 'run', 'configs/model.json'] });
    expect(r.status).toBe('done');
    expect(r.exitCode).toBe(0);
    expect(r.dir).toBe(join(root, 'runs', 'model'));
    expect(r.stdout).toBe('lr 0.1 dir True\n');
    expect(r.stderr).toContain('to stderr');
    expect(readFileSync(join(r.dir, 'stdout.log'), 'utf8')).toBe('lr 0.1 dir True\n');
    expect(readFileSync(join(r.dir, 'stderr.log'), 'utf8')).toBe('to stderr\n');
    expect(json(join(r.dir, 'config.json'))).toEqual({ script: 'train.py', lr: 0.1 });

    const record = json<RunRecord>(join(r.dir, 'run.json'));
    expect(record.config).toMatchObject({
      name: 'model',
      file: 'configs/model.json',
      hash: expect.stringMatching(/^sha256:[0-9a-f]{64}$/),
    });
    expect(record.script).toMatchObject({
      path: 'train.py',
      sha256: expect.stringMatching(/^sha256:/),
      interpreter: ['python3'],
      interpreter_version: expect.stringMatching(/^Python 3/),
    });
    expect(record.git).toMatchObject({
      branch: 'main',
      dirty: false,
      diff: null,
      commit: git(root, 'rev-parse', 'HEAD').trim(),
    });
    expect(record.host.node).toBe(process.version);
    expect(record.argv).toEqual(['repro', 'run', 'configs/model.json']);
    expect(record.command?.slice(-2)).toEqual(['-c', join(r.dir, 'config.json')]);
    const end = json<EndRecord>(join(r.dir, 'end.json'));
    expect(end).toMatchObject({ status: 'done', exit_code: 0, signal: null });
    expect(readRunState(r.dir).status).toBe('done');
  });

  it('names the folder after the overrides and records them', async () => {
    const root = makeProject({ 'train.py': PY_ECHO, 'configs/model.json': { script: 'train.py', lr: 0.1 } });
    const r = await run(root, {
      config: 'configs/model.json',
      overrides: [
        { kind: 'conf', text: '{"lr": 0.5}' },
        { kind: 'set', text: 'lr=0.01' },
      ],
    });
    expect(r.name).toBe('model~lr=0.01');
    expect(r.stdout).toContain('lr 0.01');
    expect(json(join(r.dir, 'config.json'))).toEqual({ script: 'train.py', lr: 0.01 });
    const record = json<RunRecord>(join(r.dir, 'run.json'));
    expect(record.overrides).toEqual([
      { kind: 'conf', text: '{"lr": 0.5}' },
      { kind: 'set', text: 'lr=0.01' },
    ]);
    expect(record.config.hash).not.toBe(record.config.base_hash);
  });

  it('saves the uncommitted diff of a dirty work tree beside the record', async () => {
    const root = makeProject(
      { 'train.py': PY_ECHO, 'configs/model.json': { script: 'train.py', lr: 0.1 } },
      { git: true },
    );
    writeFileSync(join(root, 'train.py'), `${PY_ECHO}# a quick change\n`);
    writeFiles(root, { 'notes.txt': 'new file' });
    const r = await run(root, { config: 'configs/model.json' });
    const record = json<RunRecord>(join(r.dir, 'run.json'));
    expect(record.git).toMatchObject({ dirty: true, diff: 'git.diff', untracked: ['notes.txt'] });
    expect(readFileSync(join(r.dir, 'git.diff'), 'utf8')).toContain('+# a quick change');
  });

  it.each([
    ['sh', 'run.sh', 'echo "$1 $REPRO_CONFIG_NAME"\n'],
    ['node', 'run.mjs', 'console.log(process.argv[2], process.env.REPRO_CONFIG_NAME)\n'],
    [
      'tsx',
      'run.ts',
      'const n: string = process.env.REPRO_CONFIG_NAME ?? "";\nconsole.log(process.argv[2], n)\n',
    ],
  ])('runs a %s script by its extension', async (_kind, script, body) => {
    const root = makeProject({ [script]: body, 'configs/x.json': { script } });
    const r = await run(root, { config: 'configs/x.json' });
    expect(r.status).toBe('done');
    expect(r.stdout.trim()).toBe('-c x');
  });

  it('runs an executable without a known extension, and interpreters from repro.json', async () => {
    const root = makeProject({
      'repro.json': { interpreters: { '.weird': 'bash' } },
      tool: '#!/bin/sh\necho tool "$@"\n',
      'a.weird': 'echo weird\n',
      'configs/t.json': { script: 'tool' },
      'configs/w.json': { script: 'a.weird' },
    });
    chmodSync(join(root, 'tool'), 0o755);
    expect((await run(root, { config: 'configs/t.json' })).stdout).toMatch(/^tool -c .*config\.json\n$/);
    expect((await run(root, { config: 'configs/w.json' })).stdout).toBe('weird\n');
  });

  it('runs an explicit command when the config has no script', async () => {
    const root = makeProject({ 'train.py': PY_ECHO, 'configs/m.json': { lr: 2 } });
    const r = await run(root, { config: 'configs/m.json', command: ['python3', 'train.py'] });
    expect(r.stdout).toContain('lr 2');
    expect(json<RunRecord>(join(r.dir, 'run.json')).script).toMatchObject({
      path: 'train.py',
      interpreter: ['python3'],
    });
  });

  it('passes the exit code on and marks the run failed', async () => {
    const root = makeProject({
      'train.py': PY_ECHO,
      'configs/m.json': { script: 'train.py', lr: 1, exit: 3 },
    });
    const r = await run(root, { config: 'configs/m.json' });
    expect(r.status).toBe('failed');
    expect(r.exitCode).toBe(3);
    expect(r.stderr).toContain('failed (exit 3; see runs/m/stderr.log)');
    expect(json<EndRecord>(join(r.dir, 'end.json'))).toMatchObject({ status: 'failed', exit_code: 3 });
  });

  it('refuses to run into an existing folder and leaves it exactly as it was', async () => {
    const root = makeProject({ 'train.py': PY_ECHO, 'configs/m.json': { script: 'train.py', lr: 1 } });
    const first = await run(root, { config: 'configs/m.json' });
    const before = snapshot(first.dir);
    const error = await failure(run(root, { config: 'configs/m.json' }));
    expect(error.code).toBe('REPRO_RESULT_EXISTS');
    expect(error.message).toContain('runs/m already exists');
    expect(error.hint).toContain('--postfix');
    expect(snapshot(first.dir)).toEqual(before);
    // --postfix keeps both
    expect((await run(root, { config: 'configs/m.json', postfix: '2' })).name).toBe('m~2');
  });

  it.each([
    ['no script key', { lr: 1 }, 'REPRO_SCRIPT_MISSING', /has no "script" key/],
    [
      'a missing script',
      { script: 'nope.py' },
      'REPRO_SCRIPT_NOT_FOUND',
      /"nope.py" named by configs\/bad.json/,
    ],
    [
      'a script outside the project',
      { script: '../outside.py' },
      'REPRO_SCRIPT_OUTSIDE_PROJECT',
      /outside the project root/,
    ],
    ['a script that is not a string', { script: 3 }, 'REPRO_SCRIPT_NOT_RUNNABLE', /must be a path/],
    ['a script with no interpreter', { script: 'data.bin' }, 'REPRO_SCRIPT_NOT_RUNNABLE', /not executable/],
    [
      'a missing source',
      { script: 'train.py', source: 'data' },
      'REPRO_SOURCE_MISSING',
      /needs source "data"/,
    ],
    [
      'a bad source value',
      { script: 'train.py', source: ['../x'] },
      'REPRO_SOURCE_INVALID',
      /must be a result name/,
    ],
  ])('refuses %s before writing anything', async (_name, config, code, message) => {
    const root = makeProject({ 'train.py': PY_ECHO, 'data.bin': 'x', 'configs/bad.json': config });
    writeFileSync(join(root, '..', 'outside.py'), 'print(1)');
    const error = await failure(run(root, { config: 'configs/bad.json' }));
    expect(error.code).toBe(code);
    expect(error.message).toMatch(message);
    expect(error.hint).toBeTruthy();
    expect(existsSync(join(root, 'runs', 'bad'))).toBe(false);
  });

  it('names the closest file for a mistyped script, in its folder or elsewhere in the project', async () => {
    const root = makeProject({
      'train.py': PY_ECHO,
      'src/evaluate.py': PY_ECHO,
      'configs/a.json': { script: 'trian.py' },
      'configs/b.json': { script: 'scripts/evaluate.py' },
    });
    const a = await failure(run(root, { config: 'configs/a.json' }));
    expect(a.message).toContain('does not exist; the closest file is "train.py"');
    expect(a.hint).toContain('"script": "train.py"');
    const b = await failure(run(root, { config: 'configs/b.json' }));
    expect(b.message).toContain('the closest file is "src/evaluate.py"');
  });

  it('checks sources: missing (with the command that makes it), failed, then fine', async () => {
    const root = makeProject({
      'train.py': PY_ECHO,
      'configs/data.json': { script: 'train.py', lr: 0, exit: 1 },
      'configs/model.json': { script: 'train.py', lr: 1, source: 'data' },
    });
    const missing = await failure(run(root, { config: 'configs/model.json' }));
    expect(missing.hint).toBe('Produce it first: repro run configs/data.json');
    await run(root, { config: 'configs/data.json' });
    const failed = await failure(run(root, { config: 'configs/model.json' }));
    expect(failed.code).toBe('REPRO_SOURCE_FAILED');
    expect(failed.message).toContain('whose run is failed');
    expect(failed.hint).toContain('runs/data/stderr.log');
    await run(root, { config: 'configs/data.json', overrides: [{ kind: 'set', text: 'exit=0' }] });
    writeFiles(root, { 'configs/model2.json': { script: 'train.py', lr: 1, source: 'data~exit=0' } });
    expect((await run(root, { config: 'configs/model2.json' })).status).toBe('done');
  });

  it('says a source that is still running is unfinished', async () => {
    const root = makeProject({
      'train.py': PY_ECHO,
      'configs/model.json': { script: 'train.py', lr: 1, source: 'data' },
      'runs/data/config.json': {},
      'runs/data/run.json': fakeRecord({ pid: process.pid }),
    });
    const error = await failure(run(root, { config: 'configs/model.json' }));
    expect(error.code).toBe('REPRO_SOURCE_UNFINISHED');
  });
});

/** Every file in a folder with its bytes and modification time. */
function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of readdirSync(dir, { recursive: true }) as string[]) {
    const file = join(dir, name);
    const st = statSync(file);
    out[name] = st.isDirectory() ? `dir ${st.mtimeMs}` : `${st.mtimeMs}:${readFileSync(file, 'base64')}`;
  }
  return out;
}

describe('provenance that survives rebuilds', () => {
  it('copies what git does not track, up to the limit, and records the runtime packages', async () => {
    const root = makeProject(
      {
        'repro.json': { copyLimitBytes: 2000 },
        'tracked.py': PY_ECHO,
        'configs/t.json': { script: 'tracked.py', lr: 1 },
      },
      { git: true },
    );
    writeFiles(root, {
      'untracked.py': PY_ECHO,
      'vocab.txt': 'a b c\n',
      'big.bin': 'x'.repeat(5000),
      'configs/u.json': { script: 'untracked.py', lr: 2, vocab: 'vocab.txt', weights: 'big.bin' },
    });
    const t = await run(root, { config: 'configs/t.json' });
    expect(t.status).toBe('done');
    const tracked = json<RunRecord>(join(t.dir, 'run.json'));
    expect(tracked.code).toBeUndefined();
    expect(existsSync(join(t.dir, 'repro-code'))).toBe(false);
    expect(tracked.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(tracked.packages?.runtime).toBe('python');
    expect(Object.keys(tracked.packages?.versions ?? {}).length).toBeGreaterThan(0);

    const u = await run(root, { config: 'configs/u.json' });
    const record = json<RunRecord>(join(u.dir, 'run.json'));
    expect(record.code).toEqual({
      copied: ['untracked.py', 'vocab.txt'],
      skipped: [{ path: 'big.bin', bytes: 5000 }],
      limit_bytes: 2000,
    });
    expect(readFileSync(join(u.dir, 'repro-code', 'untracked.py'), 'utf8')).toBe(PY_ECHO);
    expect(readFileSync(join(u.dir, 'repro-code', 'vocab.txt'), 'utf8')).toBe('a b c\n');
  });

  it('records a Node.js script with the project dependencies as installed', async () => {
    const root = makeProject({
      'package.json': { private: true, type: 'module', dependencies: { repro: '*', absent: '1' } },
      'n.mjs': 'console.log(process.env.REPRO_RUN_ID)\n',
      'configs/n.json': { script: 'n.mjs' },
    });
    const r = await run(root, { config: 'configs/n.json' });
    const record = json<RunRecord>(join(r.dir, 'run.json'));
    expect(r.stdout.trim()).toBe(record.id);
    expect(record.packages).toEqual({
      runtime: 'node',
      versions: {
        absent: 'not installed',
        repro: json<{ version: string }>(join(REPO, 'package.json')).version,
      },
    });
    // outside git every code file is copied (nothing else keeps it)
    expect(record.code?.copied).toEqual(['n.mjs']);
  });

  it('--require-clean refuses uncommitted tracked changes and writes nothing; outside git it says so', async () => {
    const root = makeProject(
      { 'tracked.py': PY_ECHO, 'configs/t.json': { script: 'tracked.py', lr: 1 } },
      { git: true },
    );
    writeFileSync(join(root, 'tracked.py'), `${PY_ECHO}# edited\n`);
    const refused = await runRepro(root, ['run', 'configs/t.json', '--require-clean']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('error: tracked files have uncommitted changes: tracked.py');
    expect(existsSync(join(root, 'runs', 't'))).toBe(false);
    git(root, 'commit', '-qam', 'edit');
    expect((await runRepro(root, ['run', 'configs/t.json', '--require-clean'])).code).toBe(0);

    // the same from repro.json, and outside git a notice
    const plain = makeProject({
      'repro.json': { requireClean: true },
      'tracked.py': PY_ECHO,
      'configs/t.json': { script: 'tracked.py', lr: 1 },
    });
    const r = await runRepro(plain, ['run', 'configs/t.json']);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain(
      'repro: notice: not a git work tree, so --require-clean cannot check the code',
    );
  });
});
