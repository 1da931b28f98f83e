import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { findProject } from '../../src/project/project.ts';
import { parseSlurmArgs, shellLine, stageOptions, withSubmitLock } from '../../src/slurm/slurm.ts';
import { makeProject, runRepro } from '../helpers.ts';

// what needs no cluster: resources, argument parsing, the lock, and the errors a user meets
describe('SLURM resources and arguments', () => {
  it('merges repro.json patterns in order, then --slurm-args', () => {
    const root = makeProject({
      'repro.json': {
        slurm: {
          '*': { time: '1:00:00', partition: 'cpu' },
          'model*': { partition: 'gpu', gres: 'gpu:1', exclusive: true },
          model2: { time: '4:00:00', 'cpus-per-task': 8 },
        },
      },
    });
    const project = findProject({ cwd: root });
    expect(stageOptions(project, 'data')).toEqual(['--time=1:00:00', '--partition=cpu']);
    expect(stageOptions(project, 'model2', ['--qos=high'])).toEqual([
      '--time=4:00:00',
      '--partition=gpu',
      '--gres=gpu:1',
      '--exclusive',
      '--cpus-per-task=8',
      '--qos=high',
    ]);
  });

  it('refuses repro.json resources that are not sbatch options, naming the key', () => {
    const bad = (slurm: unknown) => {
      const root = makeProject({ 'repro.json': { slurm } });
      return () => findProject({ cwd: root });
    };
    expect(bad({ model: { dependency: 'afterok:1' } })).toThrow(
      /key "slurm.model.dependency": repro sets --dependency itself/,
    );
    // an abbreviation sbatch accepts is the same option
    expect(bad({ model: { depend: 'afterok:1' } })).toThrow(
      /key "slurm.model.depend": repro sets --dependency itself/,
    );
    expect(bad({ model: { '--time': '1:00' } })).toThrow(
      /key "slurm.model.--time": an sbatch long option without its dashes/,
    );
    expect(bad({ model: { time: ['1:00'] } })).toThrow(
      /key "slurm.model.time" must be text, a number or true/,
    );
    expect(bad({ model: 'gpu' })).toThrow(/key "slurm.model" must be an object of sbatch options/);
  });

  it('splits --slurm-args as a shell would, and refuses what is not an option', () => {
    expect(parseSlurmArgs(`--qos=high --comment="two words" --account lab`)).toEqual([
      '--qos=high',
      '--comment=two words',
      '--account',
      'lab',
    ]);
    expect(parseSlurmArgs('  ')).toEqual([]);
    expect(() => parseSlurmArgs('--qos=high; rm -rf /')).toThrow(/no shell operators or globs/);
    expect(() => parseSlurmArgs('--qos=high gpu extra')).toThrow(
      /holds "extra", which is not an sbatch option/,
    );
    // what repro sets for each stage, however it is spelled: it would undo the stages' order
    expect(() => parseSlurmArgs('--dependency=afterok:12')).toThrow(
      /holds --dependency=afterok:12, which sets --dependency: repro sets it for each stage/,
    );
    expect(() => parseSlurmArgs('--qos=high -d afterany:3')).toThrow(/which sets --dependency/);
    expect(() => parseSlurmArgs('--depend=afterok:12')).toThrow(/which sets --dependency/);
    expect(() => parseSlurmArgs('-ologs/%j.out')).toThrow(/which sets --output/);
    expect(() => parseSlurmArgs('--job-name x')).toThrow(/which sets --job-name/);
    // options of their own that look alike pass
    expect(parseSlurmArgs('--exclusive --export=ALL -p gpu -N 2 --nice -5')).toEqual([
      '--exclusive',
      '--export=ALL',
      '-p',
      'gpu',
      '-N',
      '2',
      '--nice',
      '-5',
    ]);
  });

  it('quotes a command line for a shell only where it must', () => {
    expect(shellLine(['sbatch', '--job-name=repro:a~lr=0.1,b=2', "it's", 'two words'])).toBe(
      `sbatch --job-name=repro:a~lr=0.1,b=2 'it'\\''s' 'two words'`,
    );
  });
});

describe('submitting, without a cluster', () => {
  it('takes the submission lock in turns, and takes over one whose process is gone', async () => {
    const project = findProject({ cwd: makeProject() });
    const order: string[] = [];
    const slow = withSubmitLock(project, async () => {
      order.push('a in');
      await new Promise((r) => setTimeout(r, 300));
      order.push('a out');
    });
    await new Promise((r) => setTimeout(r, 50));
    await withSubmitLock(project, () => order.push('b'));
    await slow;
    expect(order).toEqual(['a in', 'a out', 'b']);
    // a lock left by a process that died: taken over at once
    const lock = join(project.runsRoot, '.slurm', 'lock');
    const { mkdirSync } = await import('node:fs');
    mkdirSync(lock);
    writeFileSync(join(lock, 'owner'), `${(await import('node:os')).hostname()} 999999999\n`);
    expect(await withSubmitLock(project, () => 'mine', { waitMs: 1000 })).toBe('mine');
  });

  it('says clearly when this machine cannot submit, and writes no record', async () => {
    const root = makeProject({ 'configs/a.json': { script: 'a.sh' }, 'a.sh': 'true\n' });
    const empty = mkdtempSync(join(tmpdir(), 'repro-nopath-'));
    try {
      const r = await runRepro(root, ['make', 'a', '--launcher', 'slurm'], { env: { PATH: empty } });
      expect(r.code).toBe(1);
      expect(r.stderr).toContain('error: sbatch is not on PATH: this machine cannot submit SLURM jobs');
      expect(r.stderr).toContain('hint: Run it on a login node of the cluster');
      // a fake sbatch that fails: its own words come through
      writeFileSync(
        join(empty, 'sbatch'),
        '#!/bin/sh\necho "sbatch: error: Invalid partition name specified" >&2\nexit 1\n',
      );
      chmodSync(join(empty, 'sbatch'), 0o755);
      writeFileSync(join(empty, 'squeue'), '#!/bin/sh\nexit 0\n');
      chmodSync(join(empty, 'squeue'), 0o755);
      const f = await runRepro(root, ['make', 'a', '--launcher', 'slurm'], {
        env: { PATH: `${empty}:/usr/bin:/bin` },
      });
      expect(f.code).toBe(1);
      expect(f.stderr).toContain('Invalid partition name specified');
      const status = await runRepro(root, ['status'], { env: { PATH: `${empty}:/usr/bin:/bin` } });
      expect(status.stdout).toMatch(/a\s+missing\s+no result yet/);
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });

  it('takes --wait and --slurm-args only with --launcher slurm, and -j is said not to apply', async () => {
    const root = makeProject({ 'configs/a.json': { script: 'a.sh' }, 'a.sh': 'true\n' });
    const r = await runRepro(root, ['make', 'a', '--wait']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--wait goes with --launcher slurm');
    const dry = await runRepro(root, ['make', 'a', '--launcher', 'slurm', '-j', '4', '--dry-run']);
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.stderr).toContain('-j does not apply with --launcher slurm');
    expect(dry.stderr).toMatch(/^job1=\$\(sbatch --parsable --job-name=repro:a /m);
    expect((await runRepro(root, ['run', 'configs/a.json'])).code).toBe(0);
    const again = await runRepro(root, ['run', 'configs/a.json', '--if-missing']);
    expect(again.code).toBe(0);
    expect(again.stderr).toContain('runs/a is already done; nothing to do (--if-missing)');
  });
});
