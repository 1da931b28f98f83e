import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findProject } from '../../src/project/project.ts';
import { readSubmissions } from '../../src/slurm/slurm.ts';
import { CLI, makeProject, runCli, runRepro, waitFor } from '../helpers.ts';
import { type Postgres, startPostgres } from '../remote/servers.ts';
import { type Slurm, slurmMissing, startSlurm } from './cluster.ts';

// a stage that adds its number to its source's value; fails when a file fail-<name> exists
const STAGE = `import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
const cfg = JSON.parse(readFileSync(process.argv[process.argv.indexOf('-c') + 1], 'utf8'));
const out = process.env.REPRO_RUN_DIR;
let value = 0;
if (cfg.source) value = Number(readFileSync(join(dirname(out), cfg.source, 'value'), 'utf8'));
await new Promise((r) => setTimeout(r, (cfg.sleep ?? 0) * 1000));
if (existsSync('fail-' + basename(out))) { console.error('failing on purpose'); process.exit(3); }
writeFileSync(join(out, 'value'), String(value + (cfg.add ?? 1)), { flag: 'wx' });
`;

const why = slurmMissing();
if (why) console.error(`\n*** SLURM tests NOT RUN: ${why} ***\n`);

let slurm: Slurm;
let env: Record<string, string>;
beforeAll(async () => {
  if (why) return;
  slurm = await startSlurm();
  env = { ...slurm.env, XDG_CACHE_HOME: mkdtempSync(join(tmpdir(), 'repro-slurm-cache-')) };
}, 60_000);
afterAll(() => {
  slurm?.stop();
  if (env) rmSync(env.XDG_CACHE_HOME as string, { recursive: true, force: true });
});

function project(files: Record<string, string | object> = {}) {
  return makeProject({
    'stage.mjs': STAGE,
    'configs/data.json': { script: 'stage.mjs', add: 1, sleep: 2 },
    'configs/features.json': { script: 'stage.mjs', source: 'data', add: 10 },
    'configs/model.json': { script: 'stage.mjs', source: 'features', add: 100 },
    ...files,
  });
}

const slurmEnv = () => ({ ...process.env, ...env });
const scontrol = (job: string) =>
  execFileSync('scontrol', ['show', 'job', job], { encoding: 'utf8', env: slurmEnv() });
/** The jobs of a stage of this project (job names repeat across projects; the folder does not). */
const jobsNamed = (root: string, name: string) =>
  execFileSync('squeue', ['-h', '--states=all', '-n', `repro:${name}`, '-o', '%i %Z'], {
    encoding: 'utf8',
    env: slurmEnv(),
  })
    .split('\n')
    .filter((line) => line.endsWith(` ${root}`))
    .map((line) => line.split(' ')[0]);
const value = (root: string, name: string) => readFileSync(join(root, 'runs', name, 'value'), 'utf8');
const make = (root: string, ...args: string[]) =>
  runRepro(root, ['make', ...args, '--launcher', 'slurm'], { env: { ...env, REPRO_SLURM_POLL_MS: '250' } });

describe.skipIf(why)('repro make --launcher slurm, on a real one-node SLURM cluster', () => {
  it('submits a chain with afterok, resources from repro.json and --slurm-args, and waits for it', async () => {
    const root = project({
      'repro.json': {
        slurm: { '*': { time: '10:00' }, model: { time: '20:00', comment: 'from-repro-json' } },
      },
    });
    const dry = await make(root, 'model', '--dry-run');
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.stderr).toMatch(
      /^job1=\$\(sbatch --parsable --job-name=repro:data .*--time=10:00 .* {2}# data$/m,
    );
    expect(dry.stderr).toMatch(
      /^job3=\$\(sbatch .*--dependency=afterok:\$job2 --kill-on-invalid-dep=yes .*# model$/m,
    );
    expect(existsSync(join(root, 'runs', '.slurm'))).toBe(false);

    const r = await make(root, 'model', '--slurm-args', '--nice=5');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('3 submitted to SLURM');
    const subs = readSubmissions(findProject({ cwd: root }));
    const [data, features, model] = ['data', 'features', 'model'].map((n) => subs.get(n)?.job as string);
    expect(subs.get('features')?.after).toEqual([data]);
    expect(subs.get('model')?.after).toEqual([features]);
    expect(r.stderr).toContain(`submitted model as slurm ${model} (after ${features})`);
    // what sbatch was given, as SLURM holds it
    const shown = scontrol(model as string);
    expect(shown).toMatch(/TimeLimit=00:20:00/);
    expect(shown).toMatch(/Comment=from-repro-json/);
    expect(shown).toMatch(/Nice=5/);
    expect(shown).toMatch(new RegExp(`Dependency=afterok:${features}`));
    expect(scontrol(data as string)).toMatch(/TimeLimit=00:10:00/);

    // while data sleeps, model waits in SLURM: status and ls say so
    const status = await runRepro(root, ['status'], { env });
    expect(status.stdout).toMatch(
      new RegExp(`model\\s+queued \\(slurm ${model}\\)\\s+waiting in SLURM \\(Dependency`),
    );
    const ls = await runRepro(root, ['ls'], { env });
    expect(ls.stderr).toMatch(/submitted to SLURM without a folder yet: .*model queued \(slurm \d+\)/);

    // a second make submits nothing again and follows the jobs to their end
    const waited = await make(root, 'model', '--wait');
    expect(waited.code, waited.stderr).toBe(0);
    expect(waited.stderr).not.toContain('submitted model');
    expect(waited.stderr).toMatch(new RegExp(`✓ model: done in [\\d.]+ s \\(slurm ${model}\\)`));
    expect(value(root, 'model')).toBe('111');
    expect(jobsNamed(root, 'model')).toEqual([model]);
    // the run record keeps the job and its resources
    const record = JSON.parse(readFileSync(join(root, 'runs', 'model', 'run.json'), 'utf8'));
    expect(record.slurm).toEqual({
      job_id: model,
      options: ['--time=20:00', '--comment=from-repro-json', '--nice=5'],
      partition: 'debug',
      nodes: expect.any(String),
    });
    // done: status is good, and nothing is submitted again
    expect((await runRepro(root, ['status'], { env })).code).toBe(0);
    expect((await make(root, 'model')).stdout).toContain('3 already done');

    // a job that finds its result made exits 0 and says so (exclusive folders decide)
    const again = spawnSync(
      'sbatch',
      [
        '--wait',
        '--parsable',
        `--chdir=${root}`,
        `--output=${join(root, 'again.out')}`,
        `--wrap=${process.execPath} ${CLI} run --if-missing configs/data.json`,
      ],
      { encoding: 'utf8', env: slurmEnv() },
    );
    expect(again.status, again.stderr).toBe(0);
    expect(readFileSync(join(root, 'again.out'), 'utf8')).toContain(
      'runs/data is already done; nothing to do',
    );
  }, 90_000);

  it('a failing stage: SLURM cancels what is built on it, make reports it, --rebuild makes it again', async () => {
    const root = project({ 'fail-features': '' });
    const r = await make(root, 'model', '--wait');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/✓ data: done/);
    expect(r.stderr).toMatch(/✗ features: failed, exit 3 \(slurm \d+\); see features\/stderr.log/);
    expect(r.stderr).toMatch(/– model: cancelled by SLURM \(slurm \d+\): upstream features did not finish/);
    expect(readFileSync(join(root, 'runs', 'features', 'stderr.log'), 'utf8')).toContain(
      'failing on purpose',
    );
    const status = await runRepro(root, ['status'], { env });
    expect(status.stdout).toMatch(/features\s+failed/);
    expect(status.stdout).toMatch(
      /model\s+missing\s+slurm \d+ ended \(cancelled, DependencyNeverSatisfied\) without a result/,
    );

    unlinkSync(join(root, 'fail-features'));
    const fixed = await make(root, 'model', '--rebuild', '--wait');
    expect(fixed.code, fixed.stderr).toBe(0);
    expect(fixed.stderr).toMatch(/moved features to \.attic\//);
    expect(value(root, 'model')).toBe('111');
  }, 90_000);

  it('two makes at once submit each stage once; cancel stops a stage and what waits on it', async () => {
    const root = project({ 'configs/data.json': { script: 'stage.mjs', add: 1, sleep: 60 } });
    const [a, b] = await Promise.all([
      runCli(root, ['make', 'model', '--launcher', 'slurm'], { env }),
      runCli(root, ['make', 'model', '--launcher', 'slurm'], { env }),
    ]);
    expect(a.code, a.stderr).toBe(0);
    expect(b.code, b.stderr).toBe(0);
    expect(`${a.stdout}${b.stdout}`).toMatch(
      /3 submitted to SLURM[\s\S]*3 already in SLURM|3 already in SLURM[\s\S]*3 submitted/,
    );
    for (const n of ['data', 'features', 'model']) expect(jobsNamed(root, n)).toHaveLength(1);

    // data runs (for a minute); cancel it: features and model could never start and go too
    await waitFor(() => existsSync(join(root, 'runs', 'data', 'run.json')), 30_000);
    const cancelled = await runCli(root, ['cancel', 'data'], { env });
    expect(cancelled.code, cancelled.stderr).toBe(0);
    expect(cancelled.stdout).toMatch(/cancelled data \(slurm \d+, was running\)/);
    expect(cancelled.stdout).toMatch(/cancelled features \(slurm \d+, was pending\)/);
    expect(cancelled.stdout).toMatch(/cancelled model \(slurm \d+, was pending\)/);
    // the running stage got SIGTERM and says it was interrupted
    await waitFor(() => existsSync(join(root, 'runs', 'data', 'end.json')), 30_000);
    expect(JSON.parse(readFileSync(join(root, 'runs', 'data', 'end.json'), 'utf8')).status).toBe(
      'interrupted',
    );
    const status = await runRepro(root, ['status'], { env });
    expect(status.stdout).toMatch(/features\s+missing\s+slurm \d+ ended \(cancelled/);
    expect((await runCli(root, ['cancel', 'nope'], { env })).stderr).toContain(
      'no stage named "nope" was submitted to SLURM',
    );
  }, 90_000);
});

describe.skipIf(why)('repro worker as a SLURM job array', () => {
  let pg: Postgres;
  beforeAll(async () => {
    pg = await startPostgres();
  }, 60_000);
  afterAll(() => pg?.stop());

  it('two array tasks drain a queue pushed to PostgreSQL', async () => {
    const root = project({ 'configs/data.json': { script: 'stage.mjs', add: 1 } });
    const storage = mkdtempSync(join(tmpdir(), 'repro-slurm-store-'));
    try {
      const pushed = await runRepro(root, ['queue', 'push', 'model', '--db', pg.url], { env });
      expect(pushed.code, pushed.stderr).toBe(0);
      const job = execFileSync(
        'sbatch',
        [
          '--parsable',
          '--array=0-1',
          `--chdir=${root}`,
          `--output=${join(root, 'worker-%a.out')}`,
          `--wrap=${process.execPath} ${CLI} worker --db ${pg.url} --storage file://${storage} --idle-exit 3 --poll 200`,
        ],
        { encoding: 'utf8', env: slurmEnv() },
      ).trim();
      await waitFor(() => {
        const left = execFileSync('squeue', ['-h', '-j', job, '-o', '%T'], {
          encoding: 'utf8',
          env: slurmEnv(),
        });
        return left.trim() === '';
      }, 60_000);
      const ls = await runRepro(root, ['queue', 'ls', '--db', pg.url, '--json'], { env });
      const jobs = JSON.parse(ls.stdout).jobs as { name: string; state: string; worker: string }[];
      expect(jobs.map((j) => [j.name, j.state])).toEqual([
        ['data', 'done'],
        ['features', 'done'],
        ['model', 'done'],
      ]);
      // both array tasks ran a worker
      for (const task of [0, 1]) expect(readFileSync(join(root, `worker-${task}.out`), 'utf8')).not.toBe('');
    } finally {
      rmSync(storage, { recursive: true, force: true });
    }
  }, 90_000);
});
