import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadGraph, loadUpstream } from '../../src/graph/graph.ts';
import { graphStatus } from '../../src/graph/status.ts';
import { findProject } from '../../src/project/project.ts';
import { isolateCache, makeProject, PIPELINE, runRepro, STAGE } from '../helpers.ts';

isolateCache();

describe('loadUpstream: the graph a run judges its sources by', () => {
  it('judges every node as the whole graph does, reading only what is upstream of it', async () => {
    const root = makeProject({
      ...PIPELINE,
      'configs/other.json': { script: 'stage.py', add: 5 },
      'configs/gone.json': { script: 'stage.py', add: 7 },
      'configs/nested/deep.json': { script: 'stage.py', source: 'model~lr=2', add: 3 },
      'configs/pending.json': { script: 'stage.py', source: 'other' },
      'configs/later.json': { script: 'stage.py', source: 'pending' },
    });
    for (const args of [
      ['make', 'model'],
      ['run', 'configs/model.json', '--set', 'lr=2'],
      ['run', 'configs/model.json', '--postfix', 'p'],
      ['run', 'configs/nested/deep.json'],
      ['run', 'configs/gone.json'],
      ['run', 'configs/other.json'],
    ]) {
      const r = await runRepro(root, args);
      expect(r.code, r.stderr).toBe(0);
    }
    const project = findProject({ cwd: root });
    const names = [...loadGraph(project).nodes.keys()].sort();
    const compare = async () => {
      const whole = loadGraph(project, { cache: false });
      for (const name of names) {
        const part = loadUpstream(project, [name]);
        // nothing from beside the node's upstream
        if (name === 'other') expect([...part.nodes.keys()]).toEqual(['other']);
        expect(await graphStatus(part, [name]), name).toEqual(await graphStatus(whole, [name]));
      }
      return (await graphStatus(whole))
        .filter((s) => s.stale.length)
        .map((s) => s.name)
        .sort();
    };
    expect(await compare()).toEqual([]);

    // the data changed: data and everything on it
    writeFileSync(join(root, 'raw', 'a.txt'), 'one, changed\n');
    expect(await compare()).toEqual(['data', 'deep', 'features', 'model', 'model~lr=2', 'model~p']);
    writeFileSync(join(root, 'raw', 'a.txt'), 'one\n');
    // a result under another name judged by the config it was made from
    writeFileSync(
      join(root, 'configs', 'model.json'),
      JSON.stringify({ script: 'stage.py', source: 'features', add: 101 }),
    );
    expect(await compare()).toEqual(['deep', 'model', 'model~lr=2', 'model~p']);
    // that config no longer loads
    writeFileSync(join(root, 'configs', 'model.json'), '{"script": "stage.py",');
    expect(await compare()).toEqual(['deep', 'model', 'model~lr=2', 'model~p']);
    // a config removed: its result stands alone; a script changed
    renameSync(join(root, 'configs', 'gone.json'), join(root, 'gone.json.bak'));
    writeFileSync(join(root, 'stage.py'), `${STAGE}\n# tuned\n`);
    const stale = await compare();
    expect(stale).toContain('gone');
    expect(stale).toContain('other');
    // a folder in the runs root that is no result, and a config named twice
    mkdirSync(join(root, 'runs', 'junk'));
    mkdirSync(join(root, 'configs', 'again'));
    writeFileSync(
      join(root, 'configs', 'again', 'other.json'),
      JSON.stringify({ script: 'stage.py', add: 6 }),
    );
    names.push('junk');
    await compare();
  });
});
