import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { listRuns } from '../../src/compare/runs.ts';
import { processStartTicks } from '../../src/run/facts.ts';
import { runConfig } from '../../src/run/runner.ts';
import { isAlive } from '../../src/run/status.ts';
import { makeProject, runCli, waitFor, writeFiles } from '../helpers.ts';

/**
 * A script that saves a checkpoint when interrupted: 20 lines over a second. A second signal
 * inside its handler would cut the checkpoint short (KeyboardInterrupt raised again).
 */
const CHECKPOINTER = `import os, signal, sys, time
def on_term(signum, frame):
    raise KeyboardInterrupt
signal.signal(signal.SIGTERM, on_term)
try:
    # "ready" inside the try: a signal right after it must land in the handler
    print("ready", flush=True)
    time.sleep(60)
except KeyboardInterrupt:
    with open(os.path.join(os.environ["REPRO_RUN_DIR"], "checkpoint.txt"), "x") as f:
        for i in range(20):
            f.write(f"{i}\\n")
            f.flush()
            time.sleep(0.05)
    sys.exit(1)
`;

const json = (file: string) => JSON.parse(readFileSync(file, 'utf8'));
const readText = (file: string) => (existsSync(file) ? readFileSync(file, 'utf8') : '');

describe('one signal reaches the script once', () => {
  for (const [how, signal, code] of [
    ['Ctrl-C in a terminal (the whole process group)', 'SIGINT', 130],
    ['kill -INT to repro alone', 'SIGINT', 130],
    ['kill -TERM to the process group', 'SIGTERM', 143],
    ['kill -TERM to repro alone', 'SIGTERM', 143],
  ] as const) {
    it(`${how}: the handler writes all 20 lines, exit ${code}, state interrupted`, async () => {
      const root = makeProject({ 'ckpt.py': CHECKPOINTER, 'configs/c.json': { script: 'ckpt.py' } });
      let pid = 0;
      const done = runCli(root, ['run', 'configs/c.json'], { detached: true, onSpawn: (p) => (pid = p) });
      const dir = join(root, 'runs', 'c');
      const log = join(dir, 'stdout.log');
      await waitFor(() => existsSync(log) && readFileSync(log, 'utf8').includes('ready'));
      process.kill(how.includes('group') || how.includes('terminal') ? -pid : pid, signal);
      const r = await done;
      expect(r.code, r.stderr).toBe(code);
      expect(readFileSync(join(dir, 'checkpoint.txt'), 'utf8').split('\n').filter(Boolean)).toHaveLength(20);
      expect(json(join(dir, 'end.json'))).toMatchObject({ status: 'interrupted' });
      expect(r.stderr).not.toContain('Traceback');
    });
  }
});

describe('a script that does not stop at Ctrl-C', () => {
  it('repro says, after 3 s, what the next Ctrl-C does; the second sends SIGTERM', async () => {
    // busy in a loop that never yields: its own SIGINT handler never runs (as a synchronous
    // training loop in Node.js); SIGTERM, left to its default, ends it
    const busy = `process.on('SIGINT', () => process.exit(1));\nconsole.log('ready');\nconst until = Date.now() + 30000;\nwhile (Date.now() < until);\n`;
    const root = makeProject({ 'busy.mjs': busy, 'configs/b.json': { script: 'busy.mjs' } });
    let pid = 0;
    const done = runCli(root, ['run', 'configs/b.json'], { onSpawn: (p) => (pid = p) });
    const log = join(root, 'runs', 'b', 'stdout.log');
    await waitFor(() => readText(log).includes('ready'));
    const t = Date.now();
    process.kill(pid, 'SIGINT');
    await new Promise((r) => setTimeout(r, 3800));
    process.kill(pid, 'SIGINT');
    const r = await done;
    expect(Date.now() - t).toBeLessThan(10_000);
    expect(r.stderr).toContain(
      'repro: the script is still running 3 s after SIGINT; Ctrl-C again sends SIGTERM, a third time SIGKILL',
    );
    expect(r.stderr).toContain('repro: sending SIGTERM to the script');
    expect(json(join(root, 'runs', 'b', 'end.json'))).toMatchObject({ status: 'interrupted' });
  });
});

describe('a script under startRun() at Ctrl-C', () => {
  // the shape of a TypeScript training script: startRun(), a default read, then the loop
  const script = (loop: string) =>
    `import { startRun } from 'repro';\nconst run = await startRun();\nrun.params.get('lr', 0.1);\nconsole.log('ready');\n${loop}\n`;

  it('that never yields ends at the second Ctrl-C, not 30 s after it', async () => {
    const busy = script('const until = Date.now() + 60000;\nwhile (Date.now() < until);');
    const root = makeProject({ 'busy.mjs': busy, 'configs/b.json': { script: 'busy.mjs' } });
    let pid = 0;
    const done = runCli(root, ['run', 'configs/b.json'], { onSpawn: (p) => (pid = p) });
    await waitFor(() => readText(join(root, 'runs', 'b', 'stdout.log')).includes('ready'));
    process.kill(pid, 'SIGINT');
    await new Promise((r) => setTimeout(r, 3500));
    const t = Date.now();
    process.kill(pid, 'SIGINT');
    const r = await done;
    // startRun() caught SIGTERM too, and the loop never let its handler run: repro waited 30 s
    expect(Date.now() - t).toBeLessThan(8_000);
    expect(r.stderr).toContain('repro: sending SIGTERM to the script');
    expect(r.stderr).not.toContain('sending SIGKILL');
    expect(json(join(root, 'runs', 'b', 'end.json'))).toMatchObject({
      status: 'interrupted',
      signal: 'SIGTERM',
    });
  }, 40_000);

  it('that yields ends at the first Ctrl-C with its effective config written', async () => {
    const loop = script('for (;;) await new Promise((r) => setTimeout(r, 20));');
    const root = makeProject({ 'loop.mjs': loop, 'configs/l.json': { script: 'loop.mjs' } });
    let pid = 0;
    const done = runCli(root, ['run', 'configs/l.json'], { onSpawn: (p) => (pid = p) });
    await waitFor(() => readText(join(root, 'runs', 'l', 'stdout.log')).includes('ready'));
    process.kill(pid, 'SIGINT');
    const r = await done;
    expect(r.stderr).not.toContain('SIGTERM');
    expect(json(join(root, 'runs', 'l', 'end.json'))).toMatchObject({ status: 'interrupted' });
    expect(json(join(root, 'runs', 'l', 'effective.json'))).toMatchObject({ defaults: { lr: 0.1 } });
  });
});

describe('three quick Ctrl-C', () => {
  it('say only what happens: no line about the next Ctrl-C once it came', async () => {
    const busy = `process.on('SIGINT', () => process.exit(1));\nprocess.on('SIGTERM', () => process.exit(1));\nconsole.log('ready');\nconst until = Date.now() + 60000;\nwhile (Date.now() < until);\n`;
    const root = makeProject({ 'busy.mjs': busy, 'configs/b.json': { script: 'busy.mjs' } });
    let pid = 0;
    const done = runCli(root, ['run', 'configs/b.json'], { onSpawn: (p) => (pid = p) });
    await waitFor(() => readText(join(root, 'runs', 'b', 'stdout.log')).includes('ready'));
    process.kill(pid, 'SIGINT');
    await new Promise((r) => setTimeout(r, 300));
    process.kill(pid, 'SIGINT');
    // past the 3 s at which the first Ctrl-C's line would come
    await new Promise((r) => setTimeout(r, 3500));
    process.kill(pid, 'SIGINT');
    const r = await done;
    expect(r.stderr).toContain('repro: sending SIGTERM to the script');
    expect(r.stderr).toContain('repro: sending SIGKILL to the script');
    expect(r.stderr).not.toContain('still running 3 s');
    expect(json(join(root, 'runs', 'b', 'end.json'))).toMatchObject({ status: 'interrupted' });
  });
});

describe('a script that handles SIGTERM but never yields', () => {
  it('gets SIGKILL once the time after SIGTERM is up, and the run ends interrupted', async () => {
    // as a TypeScript script under startRun() busy in a training loop: its handlers never run
    const busy = `process.on('SIGINT', () => process.exit(1));\nprocess.on('SIGTERM', () => process.exit(1));\nconsole.log('ready');\nconst until = Date.now() + 60000;\nwhile (Date.now() < until);\n`;
    const root = makeProject({ 'busy.mjs': busy, 'configs/b.json': { script: 'busy.mjs' } });
    const stop = new AbortController();
    let said = '';
    const stderr = {
      write: (t: string | Uint8Array) => {
        said += String(t);
        return true;
      },
    };
    const done = runConfig({
      config: 'configs/b.json',
      cwd: root,
      handleSignals: false,
      signal: stop.signal,
      killAfterMs: 1500,
      stdout: { write: () => true },
      stderr,
    });
    await waitFor(() => readText(join(root, 'runs', 'b', 'stdout.log')).includes('ready'));
    const t = Date.now();
    stop.abort();
    const r = await done;
    expect(Date.now() - t).toBeGreaterThan(1400);
    expect(Date.now() - t).toBeLessThan(15_000);
    expect(said).toContain(
      'repro: the script did not end 1.5 s after SIGTERM (a loop that never yields cannot run its handler): sending SIGKILL',
    );
    expect(r.status).toBe('interrupted');
    expect(json(join(root, 'runs', 'b', 'end.json'))).toMatchObject({ status: 'interrupted' });
  });
});

describe('repro run killed alone', () => {
  it('stays running while its script lives on, and is crashed once the script is gone', async () => {
    // kill -9 of repro's process alone: its script (its own process group) lives on
    const idle = `console.log('started');\nsetInterval(() => {}, 1000);\n`;
    const root = makeProject({ 'idle.mjs': idle, 'configs/i.json': { script: 'idle.mjs' } });
    const dir = join(root, 'runs', 'i');
    let repro = 0;
    const ran = runCli(root, ['run', 'configs/i.json'], { onSpawn: (pid) => (repro = pid) });
    await waitFor(
      // run.json is written before the logs are opened: either may be missing for a moment
      () => existsSync(join(dir, 'run.json')) && readText(join(dir, 'stdout.log')).includes('started'),
    );
    const record = json(join(dir, 'run.json'));
    expect(record.pid).toBe(repro);
    expect(record.script_pid).toEqual(expect.any(Number));
    expect(record.script_pid).not.toBe(repro);
    process.kill(repro, 'SIGKILL');
    await ran;
    const state = async () => (await listRuns({ cwd: root, cache: false }))[0];
    expect(await state()).toMatchObject({
      status: 'running',
      reason: `repro's process ${repro} is gone but the script's process ${record.script_pid} still runs (the run will end without an end record)`,
    });
    process.kill(record.script_pid, 'SIGKILL');
    for (let t = Date.now(); (await state())?.status !== 'crashed' && Date.now() - t < 10_000; )
      await new Promise((r) => setTimeout(r, 50));
    expect((await state())?.reason).toBe(`process ${repro} is gone and the run has no end record`);
  });
});

describe('a stop signal sent to the script and repro both (SLURM scancel signals the whole job)', () => {
  it('is interrupted whichever arrives first; a script killed alone has failed', async () => {
    const idle = `console.log('started');\nsetInterval(() => {}, 1000);\n`;
    const root = makeProject({ 'idle.mjs': idle, 'configs/i.json': { script: 'idle.mjs' } });
    const started = async (name: string) => {
      let repro = 0;
      const ran = runCli(root, ['run', 'configs/i.json', '--postfix', name], {
        onSpawn: (pid) => {
          repro = pid;
        },
      });
      const dir = join(root, 'runs', `i~${name}`);
      await waitFor(
        () => existsSync(join(dir, 'run.json')) && readText(join(dir, 'stdout.log')).includes('started'),
      );
      return { ran, repro, dir, script: json(join(dir, 'run.json')).script_pid as number };
    };
    // the script first, repro a moment later: the script's death reaches repro before its own signal
    const both = await started('both');
    process.kill(both.script, 'SIGTERM');
    await new Promise((r) => setTimeout(r, 60));
    process.kill(both.repro, 'SIGTERM');
    expect((await both.ran).code).toBe(143);
    expect(json(join(both.dir, 'end.json'))).toMatchObject({ status: 'interrupted' });
    // the script alone, killed by someone else: failed, as its exit says
    const alone = await started('alone');
    process.kill(alone.script, 'SIGTERM');
    expect((await alone.ran).code).toBe(143);
    expect(json(join(alone.dir, 'end.json'))).toMatchObject({ status: 'failed', signal: 'SIGTERM' });
  });
});

describe('a process that ended but was not reaped', () => {
  it('counts as gone (a zombie in a container whose first process reaps nothing)', async () => {
    // a parent that never waits for its child: the child stays a zombie while the parent sleeps
    const parent = spawn('/usr/bin/python3', [
      '-c',
      'import os, time\npid = os.fork()\nif pid == 0: os._exit(0)\nprint(pid, flush=True)\ntime.sleep(20)',
    ]);
    try {
      const pid = await new Promise<number>((done) =>
        parent.stdout.once('data', (d) => done(Number(String(d)))),
      );
      await waitFor(() => readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.[0] === 'Z');
      // the pid still answers a signal, and is the same process as at its start
      expect(() => process.kill(pid, 0)).not.toThrow();
      expect(isAlive(pid, processStartTicks(pid))).toBe(false);
      expect(isAlive(parent.pid as number, processStartTicks(parent.pid as number))).toBe(true);
    } finally {
      parent.kill('SIGKILL');
    }
  });
});

describe('a runner writes only into the folder it made', () => {
  it('a folder removed during the run and made again by a second run gets nothing from the first', async () => {
    const slow = `console.log('started');\nsetTimeout(() => console.log('slept', process.env.REPRO_RUN_ID), Number(process.env.MS));\n`;
    const root = makeProject({ 'slow.mjs': slow, 'configs/s.json': { script: 'slow.mjs' } });
    const dir = join(root, 'runs', 's');
    const first = runCli(root, ['run', 'configs/s.json'], { env: { MS: '1500' } });
    // once the script runs: removed while the runner still made its first files (repro-code/,
    // the logs), the folder met ENOTEMPTY on a loaded machine even with 20 retries, twice in CI
    await waitFor(
      () => existsSync(join(dir, 'run.json')) && readText(join(dir, 'stdout.log')).includes('started'),
    );
    const firstId = json(join(dir, 'run.json')).id;
    rmSync(dir, { recursive: true, maxRetries: 20, retryDelay: 10 });
    const second = runCli(root, ['run', 'configs/s.json'], { env: { MS: '3000' } });
    await waitFor(() => existsSync(join(dir, 'run.json')));
    const a = await first;
    expect(a.code).toBe(0);
    expect(a.stderr).toContain('runs/s was removed or replaced while the run went on');
    expect(a.stderr).toContain('the end of the run (done, exit 0) is not recorded');
    // the second run's folder is its own: its record, no end yet, no heartbeat from the first
    expect(existsSync(join(dir, 'end.json'))).toBe(false);
    const b = await second;
    expect(b.code, b.stderr).toBe(0);
    const record = json(join(dir, 'run.json'));
    expect(record.id).not.toBe(firstId);
    expect(json(join(dir, 'end.json'))).toMatchObject({ status: 'done' });
    expect(readFileSync(join(dir, 'stdout.log'), 'utf8')).toBe(`started\nslept ${record.id}\n`);
  });
});

// a 2 MB tmpfs is a real full disk; mounting one needs root
const isRoot = process.getuid?.() === 0;
const mounts: string[] = [];
afterAll(() => {
  for (const m of mounts) {
    execFileSync('umount', [m]);
    rmSync(m, { recursive: true, force: true });
  }
});

describe('a full disk', () => {
  if (!isRoot)
    console.warn(
      'SKIPPED "a full disk": mounting a 2 MB tmpfs needs root (run the suite as root to test ENOSPC)',
    );
  it.skipIf(!isRoot)(
    'keeps the exit code, says ENOSPC and the path in plain words, and still records the end',
    async () => {
      const mount = mkdtempSync(join(tmpdir(), 'repro-full-'));
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=2m', 'tmpfs', mount]);
      mounts.push(mount);
      const root = join(mount, 'p');
      mkdirSync(root);
      writeFiles(root, {
        'repro.json': {},
        'big.py': `import sys
for i in range(5000):
    sys.stdout.write("x" * 1000 + "\\n")
raise SystemExit("Traceback (most recent call last): the disk filled up")
`,
        'configs/big.json': { script: 'big.py' },
      });
      const r = await runCli(root, ['run', 'configs/big.json']);
      expect(r.code, r.stderr).toBe(1);
      expect(r.stderr).toContain('no space left on the device (ENOSPC');
      expect(r.stderr).toContain('runs/big/stdout.log');
      expect(r.stderr).not.toMatch(/bug in repro|Unhandled 'error'/);
      const dir = join(root, 'runs', 'big');
      expect(json(join(dir, 'end.json'))).toMatchObject({ status: 'failed', exit_code: 1 });
      expect(readFileSync(join(dir, 'stderr.log'), 'utf8')).toContain('the disk filled up');
      expect(existsSync(join(dir, '.reserve'))).toBe(false);
    },
  );
});
