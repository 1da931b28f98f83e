import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { MetricRowsCache } from '../../src/compare/metrics.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
function run(text: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'repro-mc-'));
  dirs.push(dir);
  writeFileSync(join(dir, 'metrics.jsonl'), text);
  return dir;
}

describe('the dashboard server keeps parsed metrics', () => {
  it('returns the same rows while the file is unchanged, and parses only what was appended', () => {
    const dir = run('{"step":0,"loss":1}\n{"step":1,"loss":0.5}\n');
    const cache = new MetricRowsCache();
    const first = cache.read(dir);
    expect(first.rows).toEqual([
      { step: 0, loss: 1 },
      { step: 1, loss: 0.5 },
    ]);
    expect(cache.read(dir).rows).toBe(first.rows);
    // a row being written (no newline yet) is read, and read again once whole
    appendFileSync(join(dir, 'metrics.jsonl'), '{"step":2,"loss":0.25}\n{"step":3,"lo');
    const { rows, skipped } = cache.read(dir);
    expect({ rows, skipped }).toEqual({
      rows: [
        { step: 0, loss: 1 },
        { step: 1, loss: 0.5 },
        { step: 2, loss: 0.25 },
      ],
      skipped: 1, // the half line, for now
    });
    appendFileSync(join(dir, 'metrics.jsonl'), 'ss":0.125}\nnull\n');
    const grown = cache.read(dir);
    expect(grown.rows.map((r) => r.step)).toEqual([0, 1, 2, 3]);
    expect(grown.skipped).toBe(1); // the null line
    // a last line without a newline in an ended file is a row too
    appendFileSync(join(dir, 'metrics.jsonl'), '{"step":4,"acc":NaN}');
    expect(cache.read(dir).rows.at(-1)).toEqual({ step: 4, acc: 'NaN' });
    // the keys of every row, the unfinished last line's included
    expect([...cache.read(dir).keys]).toEqual(['step', 'loss', 'acc']);
  });

  it('reads a rewritten or removed file again, and forgets the oldest files past its size', () => {
    const dir = run('{"a":1}\n{"a":2}\n{"a":3}\n');
    const cache = new MetricRowsCache(4);
    expect(cache.read(dir).rows).toHaveLength(3);
    writeFileSync(join(dir, 'metrics.jsonl'), '{"a":9}\n');
    expect(cache.read(dir).rows).toEqual([{ a: 9 }]);
    rmSync(join(dir, 'metrics.jsonl'));
    expect(cache.read(dir).rows).toEqual([]);
    const a = run('{"a":1}\n{"a":2}\n{"a":3}\n');
    const b = run('{"b":1}\n{"b":2}\n{"b":3}\n');
    const kept = cache.read(a).rows;
    cache.read(b);
    // a went (3 + 3 rows > 4): read again, a new array; b stays
    expect(cache.read(a).rows).not.toBe(kept);
    expect(cache.read(a).rows).toEqual(kept);
  });
});
