// Shared helpers for the benchmarks: timing whole commands, medians, and a scratch project.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';

export const REPO = resolve(import.meta.dirname, '..');
export const CLI = join(REPO, 'dist', 'cli.js');

/**
 * The environment for timed commands. NODE_EXTRA_CA_CERTS is set on our build machines and adds
 * ~33 ms to every Node start; users' machines lack it, so it is unset here.
 */
export function benchEnv() {
  const env = { ...process.env };
  delete env.NODE_EXTRA_CA_CERTS;
  for (const key of Object.keys(env)) if (key.startsWith('REPRO_')) delete env[key];
  return env;
}

/** Wall time of one command in milliseconds; throws if it fails. */
export function time(cmd, args, options) {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'], env: benchEnv(), ...options });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed: ${r.stderr}`);
  return ms;
}

export function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** A scratch project with files, committed to git so that runs gather real git facts. */
export function scratchProject(files, { git = true } = {}) {
  const root = mkdtempSync(join(tmpdir(), 'repro-bench-'));
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), typeof content === 'string' ? content : JSON.stringify(content));
  }
  if (!git) return root;
  const run = (...a) =>
    execFileSync('git', ['-c', 'user.name=b', '-c', 'user.email=b@example.com', ...a], { cwd: root });
  run('init', '-q');
  writeFileSync(join(root, '.gitignore'), 'runs/\nnode_modules/\n');
  run('add', '-A');
  run('commit', '-qm', 'bench');
  return root;
}

export const fmt = (ms) => `${ms.toFixed(1)} ms`;

/**
 * A whole run record for generated benchmark data (a partial one is a `damaged` result, which
 * the listing never caches); `patch` replaces any top-level field.
 */
export function runRecord(patch) {
  return {
    format: 1,
    repro_version: 'bench',
    name: patch.name,
    mode: 'cli',
    config: { name: patch.name, file: null, hash: '', base_hash: '' },
    overrides: [],
    postfix: null,
    argv: [],
    command: null,
    cwd: '/',
    project_root: '/',
    script: null,
    git: null,
    host: {
      hostname: 'x',
      user: 'u',
      os: 'Linux',
      arch: 'x64',
      node: 'v20',
      cpus: 2,
      memory_bytes: 1,
      boot_id: null,
    },
    pid: 1,
    pid_start: null,
    env: {},
    ...patch,
  };
}
