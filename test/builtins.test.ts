import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseJsonFile } from '../src/_builtins.ts';

describe('parseJsonFile', () => {
  const dir = mkdtempSync(join(tmpdir(), 'repro-json-'));

  it('parses a small file in one read, and a file larger than its buffer to the end', () => {
    writeFileSync(join(dir, 'small.json'), '{"a": 1}\n');
    expect(parseJsonFile(join(dir, 'small.json'))).toEqual({ a: 1 });
    const big = { rows: Array.from({ length: 20_000 }, (_, i) => i) };
    writeFileSync(join(dir, 'big.json'), JSON.stringify(big));
    expect(JSON.stringify(big).length).toBeGreaterThan(64 << 10);
    expect(parseJsonFile(join(dir, 'big.json'))).toEqual(big);
  });

  it("throws JSON.parse's SyntaxError for a file that is not JSON, and fs's error for one that is missing", () => {
    writeFileSync(join(dir, 'bad.json'), '{"a": ');
    expect(() => parseJsonFile(join(dir, 'bad.json'))).toThrow(SyntaxError);
    expect(() => parseJsonFile(join(dir, 'missing.json'))).toThrow(
      expect.objectContaining({ code: 'ENOENT' }),
    );
  });

  it('reads on to the end where a read comes back short before it (a pipe written in two parts)', async () => {
    const fifo = join(dir, 'slow.json');
    execFileSync('mkfifo', [fifo]);
    // another process writes half, waits, writes the rest: the first read gets the half alone
    const writer = spawn('sh', ['-c', `exec > "${fifo}"; printf '{"a": '; sleep 0.3; printf '[1, 2]}'`]);
    const ended = new Promise((done) => writer.on('close', done));
    expect(parseJsonFile(fifo)).toEqual({ a: [1, 2] });
    await ended;
  });
});
