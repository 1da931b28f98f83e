import { execFileSync, spawn } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { pythonOfProcess } from '../../src/run/facts.ts';
import type { RunRecord } from '../../src/run/record.ts';
import { makeProject, runCli } from '../helpers.ts';

// The Python binary itself (python3 on PATH may be a pyenv shim already)
const PYTHON = execFileSync('python3', ['-c', 'import sys; print(sys.executable)'], {
  encoding: 'utf8',
}).trim();

/**
 * A folder with a `python3` that behaves like a pyenv shim: a shell script that takes its time,
 * notes each call in calls.log, then execs the real interpreter by its full path.
 */
function fakeShim(): { bin: string; calls: () => number } {
  const dir = mkdtempSync(join(tmpdir(), 'repro-shim-'));
  const bin = join(dir, 'bin');
  mkdirSync(bin);
  const log = join(dir, 'calls.log');
  writeFileSync(join(bin, 'python3'), `#!/bin/sh\necho call >> '${log}'\nsleep 0.2\nexec '${PYTHON}' "$@"\n`);
  chmodSync(join(bin, 'python3'), 0o755);
  const calls = () => {
    try {
      return readFileSync(log, 'utf8').trim().split('\n').length;
    } catch {
      return 0;
    }
  };
  return { bin, calls };
}

describe('the Python a shim chose', () => {
  it('is read from the process once it execs Python, and is nothing for a process that never does', async () => {
    const { bin } = fakeShim();
    const child = spawn(join(bin, 'python3'), ['-c', 'import time; time.sleep(1)'], { stdio: 'ignore' });
    try {
      // the shim sleeps first: the answer comes only once the process is Python
      expect(await pythonOfProcess(child.pid as number)).toBe(PYTHON);
    } finally {
      child.kill();
    }
    const sleeper = spawn('sleep', ['2'], { stdio: 'ignore' });
    try {
      const t = Date.now();
      expect(await pythonOfProcess(sleeper.pid as number, 300)).toBeUndefined();
      expect(Date.now() - t).toBeGreaterThanOrEqual(300);
    } finally {
      sleeper.kill();
    }
    // a Python found on PATH (argv[0] is no path): not guessed from the binary (a venv's python
    // is a link to its base interpreter, whose packages are not the venv's)
    const bare = spawn('python3', ['-c', 'import time; time.sleep(1)'], {
      stdio: 'ignore',
      env: { ...process.env, PATH: `${join(PYTHON, '..')}:${process.env.PATH}` },
    });
    try {
      expect(await pythonOfProcess(bare.pid as number)).toBeUndefined();
    } finally {
      bare.kill();
    }
    const ended = spawn('true');
    await new Promise((done) => ended.on('close', done));
    expect(await pythonOfProcess(ended.pid as number)).toBeUndefined();
  });

  it('repro run through a shim asks the shim once per run: the script; the facts come from the Python it chose', async () => {
    const { bin, calls } = fakeShim();
    const root = makeProject({
      // alive long enough to be seen as Python however loaded the machine is (a script that
      // ends before it is seen is asked about through the shim: right, only slower)
      'noop.py': 'import sys, time\nprint(sys.version_info[0])\ntime.sleep(0.5)\n',
      'configs/a.json': { script: 'noop.py' },
    });
    const env = {
      PATH: `${bin}:${process.env.PATH}`,
      XDG_CACHE_HOME: mkdtempSync(join(tmpdir(), 'repro-cache-')),
    };
    for (const [n, postfix] of [
      [1, 'one'],
      [2, 'two'],
    ] as const) {
      const r = await runCli(root, ['run', 'configs/a.json', '--postfix', postfix, '-q'], { env });
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      // the first run asks the chosen Python itself (not through the shim); the second finds it
      // in the cache: the shim ran only the scripts
      expect(calls()).toBe(n);
      const record = JSON.parse(
        readFileSync(join(root, 'runs', `a~${postfix}`, 'run.json'), 'utf8'),
      ) as RunRecord;
      expect(record.script?.interpreter).toEqual(['python3']);
      expect(record.script?.interpreter_version).toBe(
        execFileSync(PYTHON, ['--version'], { encoding: 'utf8' }).trim(),
      );
      expect(record.packages?.runtime).toBe('python');
    }
    expect(readdirSync(env.XDG_CACHE_HOME, { recursive: true })).toContain(
      join('repro', 'python-facts.json'),
    );
  });
});
