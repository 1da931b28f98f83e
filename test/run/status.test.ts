import { utimesSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readRunState } from '../../src/run/status.ts';
import { fakeRecord, makeProject } from '../helpers.ts';

function folder(files: Record<string, object | string>) {
  const root = makeProject(Object.fromEntries(Object.entries(files).map(([k, v]) => [`runs/x/${k}`, v])));
  return join(root, 'runs', 'x');
}

describe('readRunState', () => {
  it('trusts end.json when there is one', () => {
    const dir = folder({
      'config.json': {},
      'run.json': fakeRecord({}),
      'end.json': {
        status: 'interrupted',
        exit_code: null,
        signal: 'SIGINT',
        ended_at: '2026-01-01T00:01:00Z',
        duration_s: 1,
      },
    });
    expect(readRunState(dir).status).toBe('interrupted');
  });

  it('is running while the process that owns it lives', () => {
    expect(
      readRunState(folder({ 'config.json': {}, 'run.json': fakeRecord({ pid: process.pid }) })).status,
    ).toBe('running');
  });

  it('is crashed when the process is gone (SIGKILL, OOM killer)', () => {
    const state = readRunState(folder({ 'config.json': {}, 'run.json': fakeRecord({ pid: 2 ** 22 + 17 }) }));
    expect(state.status).toBe('crashed');
    expect(state.reason).toContain('is gone');
  });

  it('is crashed when the pid now belongs to another process', () => {
    const state = readRunState(
      folder({ 'config.json': {}, 'run.json': fakeRecord({ pid: process.pid, pid_start: '1' }) }),
    );
    expect(state.status).toBe('crashed');
  });

  it('is crashed after a reboot (power loss)', () => {
    const state = readRunState(
      folder({ 'config.json': {}, 'run.json': fakeRecord({ pid: process.pid, boot_id: 'another-boot' }) }),
    );
    expect(state).toMatchObject({ status: 'crashed', reason: 'the machine rebooted during the run' });
  });

  it('judges a run on another host by its heartbeat', () => {
    const dir = folder({
      'config.json': {},
      'run.json': fakeRecord({ hostname: 'gpu-node-7' }),
      '.heartbeat': '',
    });
    expect(readRunState(dir).status).toBe('running');
    const old = new Date(Date.now() - 10 * 60_000);
    utimesSync(join(dir, '.heartbeat'), old, old);
    expect(readRunState(dir)).toMatchObject({
      status: 'crashed',
      reason: expect.stringContaining('no heartbeat from gpu-node-7'),
    });
  });

  it('judges a run on another host by its start time before its first heartbeat', () => {
    const started = new Date(Date.now() - 10 * 60_000).toISOString();
    const dir = folder({
      'config.json': {},
      'run.json': fakeRecord({ hostname: 'gpu-node-7', started_at: started }),
    });
    expect(readRunState(dir).status).toBe('crashed');
  });

  it('is crashed when the record was never written, after a grace period', () => {
    const dir = folder({ 'config.json': {} });
    expect(readRunState(dir).status).toBe('running');
    expect(readRunState(dir, Date.now() + 120_000).status).toBe('crashed');
  });
});
