import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { sha256Hex } from '../../src/config/hash.ts';
import { keysByScript, keysReadBy } from '../../src/run/keys.ts';
import { isolateCache, makeProject } from '../helpers.ts';

const cache = isolateCache();

/** A result folder as the typo guard reads it: the script in run.json, the keys in effective.json. */
function result(runs: string, name: string, script: string, keys: string[], ended = true) {
  const dir = join(runs, name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'config.json'), '{}');
  writeFileSync(join(dir, 'run.json'), JSON.stringify({ script: { path: script } }));
  writeFileSync(
    join(dir, 'effective.json'),
    JSON.stringify({ values: Object.fromEntries(keys.map((k) => [k, 1])) }),
  );
  if (ended) writeFileSync(join(dir, 'end.json'), '{}');
}

const sorted = (set: Set<string>) => [...set].sort();

describe('the keys earlier runs read (the typo guard)', () => {
  it('keeps each ended result once, shares the sets, and forgets what a removed result read', () => {
    const runs = join(makeProject(), 'runs');
    for (let i = 0; i < 50; i++) result(runs, `a${i}`, 'a.py', ['lr', 'batch']);
    result(runs, 'a-odd', 'a.py', ['lr', 'momentum']);
    result(runs, 'b', 'b.ts', ['gamma']);
    result(runs, 'b-running', 'b.ts', ['gama'], false);
    expect(sorted(keysReadBy(runs, 'a.py'))).toEqual(['batch', 'lr', 'momentum']);
    expect(readdirSync(join(cache(), 'repro')).filter((f) => f.startsWith('keys-'))).toEqual([
      `keys-${sha256Hex(runs).slice(0, 16)}.json`,
    ]);
    // a running result is not kept: its keys count once it has ended
    expect(sorted(keysReadBy(runs, 'b.ts'))).toEqual(['gamma']);
    const file = readdirSync(join(cache(), 'repro')).find((f) => f.startsWith('keys-')) as string;
    const kept = JSON.parse(readFileSync(join(cache(), 'repro', file), 'utf8'));
    // 51 results of a.py share two sets
    expect(kept.sets).toHaveLength(3);
    expect(kept.names.split('\n')).toHaveLength(52);

    writeFileSync(join(runs, 'b-running', 'end.json'), '{}');
    expect(sorted(keysReadBy(runs, 'b.ts'))).toEqual(['gama', 'gamma']);
    // an ended result is taken from the cache as it was, not read again
    writeFileSync(join(runs, 'b', 'effective.json'), JSON.stringify({ values: { C: 1 } }));
    expect(sorted(keysReadBy(runs, 'b.ts'))).toEqual(['gama', 'gamma']);
    // removed (or moved to the attic): what it alone read is no longer known
    renameSync(join(runs, 'a-odd'), join(runs, '.a-odd'));
    expect(sorted(keysReadBy(runs, 'a.py'))).toEqual(['batch', 'lr']);
    const after = JSON.parse(readFileSync(join(cache(), 'repro', file), 'utf8'));
    expect(after.sets).toHaveLength(3);
    // a result under that name again is read anew
    rmSync(join(runs, 'b'), { recursive: true });
    expect(sorted(keysReadBy(runs, 'b.ts'))).toEqual(['gama']);
    result(runs, 'b', 'b.ts', ['C']);
    expect(sorted(keysByScript(runs).get('b.ts') as Set<string>)).toEqual(['C', 'gama']);
    // a damaged cache is read again from the folders, not trusted
    writeFileSync(join(cache(), 'repro', file), JSON.stringify({ ...after, of: [99] }));
    expect(sorted(keysReadBy(runs, 'a.py'))).toEqual(['batch', 'lr']);
    expect(sorted(keysReadBy(runs, 'b.ts'))).toEqual(['C', 'gama']);
  });

  it('takes over the cache of the version before, without reading the results again', () => {
    const runs = join(makeProject(), 'runs');
    result(runs, 'a', 'a.py', ['lr']);
    result(runs, 'b', 'a.py', ['lr']);
    keysReadBy(runs, 'a.py');
    const file = `keys-${sha256Hex(runs).slice(0, 16)}.json`;
    // as repro wrote it before: one entry per result; what it says wins over the folders
    const entry = (read: string[]) => ({ ino: 1, mtimeMs: 1, script: 'a.py', read });
    writeFileSync(
      join(cache(), 'repro', file),
      JSON.stringify({ version: 1, root: runs, results: { a: entry(['lr', 'epochs']), b: entry(['lr']) } }),
    );
    expect(sorted(keysReadBy(runs, 'a.py'))).toEqual(['epochs', 'lr']);
    const now = JSON.parse(readFileSync(join(cache(), 'repro', file), 'utf8'));
    expect(now.version).toBe(2);
    expect(now.names.split('\n').sort()).toEqual(['a', 'b']);
    expect(now.sets).toHaveLength(2);
    expect(sorted(keysReadBy(runs, 'a.py'))).toEqual(['epochs', 'lr']);
  });
});
