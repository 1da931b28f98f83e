import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { findProject } from '../../src/project/project.ts';
import { makeProject, writeFiles } from '../helpers.ts';

describe('findProject', () => {
  it('finds the nearest repro.json upward and applies its settings', () => {
    const root = makeProject({ 'repro.json': { runs: 'results', configs: ['cfg', 'more'] } });
    mkdirSync(join(root, 'src', 'deep'), { recursive: true });
    const p = findProject({ cwd: join(root, 'src', 'deep') });
    expect(p.root).toBe(root);
    expect(p.rootFrom).toBe('repro.json');
    expect(p.runsRoot).toBe(join(root, 'results'));
    expect(p.configDirs).toEqual([join(root, 'cfg'), join(root, 'more')]);
  });

  it('falls back to the git root, then to the current folder', () => {
    const root = makeProject({}, { git: true });
    writeFiles(root, { 'sub/x': '' });
    // without repro.json the git root is the project
    rmSync(join(root, 'repro.json'));
    const p = findProject({ cwd: join(root, 'sub') });
    expect(p.root).toBe(root);
    expect(p.rootFrom).toBe('git');
    expect(p.runsRoot).toBe(join(root, 'runs'));
  });

  it.each([
    ['{"runs": 3}', /"runs" must be a folder path/],
    ['{"run": "x"}', /unknown key "run"/],
    ['{"configs": "configs"}', /"configs" must be a list/],
    ['{"interpreters": {".R": ""}}', /"interpreters" must map/],
    ['{"env": "CUDA"}', /"env" must be a list/],
    ['{"runs": "x",}', /invalid JSON at line 1, column 14/],
  ])('refuses a bad repro.json %s', (text, message) => {
    const root = makeProject({ 'repro.json': text });
    expect(() => findProject({ cwd: root })).toThrow(message);
    expect(() => findProject({ cwd: root })).toThrow(
      expect.objectContaining({ code: 'REPRO_PROJECT_CONFIG_INVALID' }),
    );
  });
});
