import { execFileSync, type SpawnOptions, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { hostname as hostname_, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { afterAll, afterEach, beforeAll } from 'vitest';
import type { RunRecord } from '../src/run/record.ts';

/** The repository root: where dist/cli.js and node_modules live. */
export const REPO = resolve(import.meta.dirname, '..');
export const CLI = join(REPO, 'dist', 'cli.js');

const made: string[] = [];
afterEach(() => {
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/**
 * A scratch project in the OS temp folder, removed after the test: `files` maps relative paths to
 * contents (objects are written as JSON). `node_modules/repro` links to this repository so that
 * scripts can `import { startRun } from 'repro'`.
 */
export function makeProject(
  files: Record<string, string | object> = {},
  options: { git?: boolean } = {},
): string {
  const root = mkdtempSync(join(tmpdir(), 'repro-test-'));
  made.push(root);
  writeFiles(root, { 'repro.json': {}, 'package.json': { private: true, type: 'module' }, ...files });
  mkdirSync(join(root, 'node_modules'), { recursive: true });
  symlinkSync(REPO, join(root, 'node_modules', 'repro'));
  if (options.git) {
    git(root, 'init', '-q', '-b', 'main');
    writeFileSync(join(root, '.gitignore'), 'runs/\nnode_modules/\n');
    git(root, 'add', '-A');
    git(root, 'commit', '-q', '-m', 'init');
  }
  return root;
}

export function writeFiles(root: string, files: Record<string, string | object>): void {
  for (const [path, content] of Object.entries(files)) {
    const file = join(root, path);
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, typeof content === 'string' ? content : `${JSON.stringify(content, null, 2)}\n`);
  }
}

export function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', ['-c', 'user.name=test', '-c', 'user.email=test@example.com', ...args], {
    cwd,
    encoding: 'utf8',
  });
}

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Runs the built `repro` binary as a user would. */
export function runCli(
  cwd: string,
  args: string[],
  options: SpawnOptions & { onSpawn?: (pid: number) => void } = {},
): Promise<CliResult> {
  return new Promise((done, fail) => {
    const env = cleanEnv(options.env);
    const child = spawn(process.execPath, [CLI, ...args], {
      cwd,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
      // its own process group, as a shell gives a foreground job: process.kill(-pid) is then
      // what a terminal's Ctrl-C does
      detached: options.detached ?? false,
    });
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (c) => {
      stdout += c;
    });
    child.stderr?.on('data', (c) => {
      stderr += c;
    });
    child.on('error', fail);
    if (child.pid && options.onSpawn) options.onSpawn(child.pid);
    child.on('close', (code, signal) => done({ code, signal, stdout, stderr }));
  });
}

/** A clean environment: no REPRO_* leaking in from a run that started the tests. */
function cleanEnv(extra: NodeJS.ProcessEnv | undefined): NodeJS.ProcessEnv {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('REPRO_')));
  return Object.assign(env, extra);
}

/**
 * Runs a repro command in this process, through the same `main` the binary calls, with the
 * folder, environment and output of a context: what most CLI tests use (the source, never a
 * stale build). The binary itself is tested by a few tests with runCli.
 */
export async function runRepro(
  cwd: string,
  args: string[],
  options: { env?: NodeJS.ProcessEnv; columns?: number } = {},
): Promise<CliResult> {
  const { main } = await import('../src/cli/main.ts');
  let stdout = '';
  let stderr = '';
  const code = await main(args, {
    cwd,
    env: cleanEnv(options.env),
    stdout: {
      write: (c) => (stdout += typeof c === 'string' ? c : Buffer.from(c).toString()),
      columns: options.columns,
    },
    stderr: { write: (c) => (stderr += typeof c === 'string' ? c : Buffer.from(c).toString()) },
  });
  return { code, signal: null, stdout, stderr };
}

/**
 * Waits until `check` returns true, polling every 20 ms, for at most `ms`. A check that throws
 * (a file not made yet) counts as not met; its last error is given if time runs out.
 */
export async function waitFor(check: () => boolean, ms = 10_000): Promise<void> {
  const until = Date.now() + ms;
  for (;;) {
    let last: unknown;
    try {
      if (check()) return;
    } catch (error) {
      last = error;
    }
    if (Date.now() > until) throw new Error(`condition not met within ${ms} ms${last ? `: ${last}` : ''}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** A start record as a run on this machine would write it, with `patch` applied. */
export function fakeRecord(
  patch: Partial<RunRecord> & { hostname?: string; boot_id?: string | null },
): RunRecord {
  const { hostname, boot_id, ...rest } = patch;
  const real = readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
  return {
    format: 1,
    repro_version: 'test',
    name: 'data',
    mode: 'cli',
    config: { name: 'data', file: null, hash: '', base_hash: '' },
    overrides: [],
    postfix: null,
    argv: [],
    command: null,
    cwd: '/',
    project_root: '/',
    script: null,
    git: null,
    host: {
      hostname: hostname ?? hostname_(),
      user: 'x',
      os: 'x',
      arch: 'x',
      node: 'x',
      cpus: 1,
      memory_bytes: 1,
      boot_id: boot_id === undefined ? real : boot_id,
    },
    pid: process.pid,
    pid_start: null,
    env: {},
    started_at: new Date().toISOString(),
    ...rest,
  };
}

/**
 * Points XDG_CACHE_HOME at a scratch folder for the file's tests, so they neither read nor
 * leave the user's caches. Returns a getter for the folder (set once the tests start).
 */
export function isolateCache(): () => string {
  let dir = '';
  const saved = process.env.XDG_CACHE_HOME;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'repro-cache-'));
    process.env.XDG_CACHE_HOME = dir;
  });
  afterAll(() => {
    if (saved === undefined) delete process.env.XDG_CACHE_HOME;
    else process.env.XDG_CACHE_HOME = saved;
    rmSync(dir, { recursive: true, force: true });
  });
  return () => dir;
}

/**
 * A Python stage for pipelines in tests: adds its number (`add`, 1) to its source's value,
 * reading raw/ when its config has inputs, and logs a loss of 1 / (value + 2).
 */
export const STAGE = `import json, os, sys
cfg = json.load(open(sys.argv[sys.argv.index("-c") + 1]))
out = os.environ["REPRO_RUN_DIR"]
value = sum(len(open(os.path.join("raw", f)).read()) for f in sorted(os.listdir("raw"))) if "inputs" in cfg else 0
if "source" in cfg:
    value += int(open(os.path.join(os.path.dirname(out), cfg["source"], "value")).read())
open(os.path.join(out, "value"), "x").write(str(value + cfg.get("add", 1)))
print(json.dumps({"step": 1, "loss": 1 / (value + 2)}), file=open(os.path.join(out, "metrics.jsonl"), "a"))
`;

/**
 * A pipeline's files for tests: STAGE, one raw file, and `data` checksumming raw/*.txt, then
 * `features` on data and `model` on features (each adds its number to its source's value).
 */
export const PIPELINE = {
  'stage.py': STAGE,
  'raw/a.txt': 'one\n',
  'configs/data.json': { script: 'stage.py', inputs: 'raw/*.txt', paranoia: 'checksum' },
  'configs/features.json': { script: 'stage.py', source: 'data', add: 10 },
  'configs/model.json': { script: 'stage.py', source: 'features', add: 100 },
} as const;

/** The runs root's time settles (the index vouches only for a root older than its listing by a tick). */
export const settle = () => new Promise((r) => setTimeout(r, 150));
