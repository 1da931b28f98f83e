import { agnes } from 'ml-hclust';
import { describe, expect, it } from 'vitest';
import { seededRandom } from '../../src/breed/random.ts';
import { configEntry } from '../../src/compare/select.ts';
import type { JsonObject } from '../../src/config/json.ts';
import {
  averageLinkage,
  distanceMatrix,
  mergeHeights,
  renderTreeSvg,
  renderTreeText,
} from '../../src/plot/tree.ts';
import { makeProject, runRepro } from '../helpers.ts';

const entry = (name: string, config: Record<string, unknown>) => configEntry(name, config as JsonObject);

describe('tree', () => {
  it('counts differing keys over the union of keys (absent differs from any value)', () => {
    const e = [entry('a', { x: 1, y: 2 }), entry('b', { x: 1, y: 3 }), entry('c', { x: 2, z: null })];
    const d = distanceMatrix(e);
    expect([d[0 * 3 + 1], d[0 * 3 + 2], d[1 * 3 + 2]]).toEqual([1, 3, 3]);
    const rel = distanceMatrix(
      [entry('a', { lr: 0.001 }), entry('b', { lr: 0.0011 }), entry('c', { lr: 0.1 })],
      { numeric: 'relative' },
    );
    expect(rel[1]).toBeCloseTo(0.1 / 1.1, 10);
    expect(rel[2]).toBeCloseTo(0.99, 10);
  });

  it('merges at the same heights as ml-hclust (average linkage)', () => {
    const random = seededRandom(42);
    for (const n of [2, 3, 10, 40]) {
      const m = Array.from({ length: n }, () => new Array<number>(n).fill(0));
      for (let i = 0; i < n; i++) for (let j = 0; j < i; j++) m[i]![j] = m[j]![i] = random.float() * 10;
      const ours = mergeHeights(
        averageLinkage(
          Float64Array.from(m.flat()),
          Array.from({ length: n }, (_, i) => `c${i}`),
        ),
      );
      const theirs: number[] = [];
      const walk = (c: { height: number; children: unknown[] }) => {
        if (c.children.length) {
          theirs.push(c.height);
          for (const k of c.children) walk(k as never);
        }
      };
      walk(agnes(m, { method: 'average', isDistanceMatrix: true }) as never);
      theirs.sort((a, b) => a - b);
      expect(ours.length).toBe(n - 1);
      for (const [i, h] of ours.entries()) expect(h).toBeCloseTo(theirs[i] as number, 9);
    }
  });

  it('draws the family tree as text and SVG', () => {
    const e = [
      entry('model', { lr: 1, f: 5 }),
      entry('modela', { lr: 2, f: 5 }),
      entry('data', { glob: '*.txt' }),
    ];
    const root = averageLinkage(
      distanceMatrix(e),
      e.map((x) => x.name),
    );
    expect(renderTreeText(root)).toBe(['3 ┬─ 1 ┬─ model', '  │    └─ modela', '  └─ data'].join('\n'));
    const svg = renderTreeSvg(root);
    expect(svg.match(/<path /g)).toHaveLength(2);
    for (const name of ['model', 'modela', 'data']) expect(svg).toContain(`>${name}</text>`);
  });

  it('clusters 2,000 configs in well under the 3 s target', () => {
    const random = seededRandom(1);
    const e = Array.from({ length: 2000 }, (_, i) =>
      entry(`c${i}`, Object.fromEntries(Array.from({ length: 12 }, (_, k) => [`k${k}`, random.int(0, 3)]))),
    );
    const root = averageLinkage(
      distanceMatrix(e),
      e.map((x) => x.name),
    );
    expect(root.kind === 'merge' && root.size).toBe(2000);
  });
});

describe('repro tree (binary)', () => {
  it('prints the tree and writes an SVG', async () => {
    const root = makeProject({
      'configs/model.json': { lr: 1, f: 5 },
      'configs/modela.json': { lr: 2, f: 5 },
      'configs/data.json': { glob: '*.txt' },
    });
    const r = await runRepro(root, ['tree', 'configs/*.json']);
    expect(r.stdout).toBe('3 ┬─ data\n  └─ 1 ┬─ model\n       └─ modela\n');
    const svg = await runRepro(root, ['tree', 'configs/*.json', '-o', 'tree.svg']);
    expect(svg.stderr).toBe('wrote tree.svg: 3 configs\n');
    const one = await runRepro(root, ['tree', 'configs/data.json']);
    expect(one.code).toBe(2);
  });
});
