import { spawn } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readResults } from '../../src/project/results.ts';
import { writeExclusive } from '../../src/run/folder.ts';
import { RUN_FILES, writingName } from '../../src/run/layout.ts';
import { REPO } from '../helpers.ts';

describe('writeExclusive', () => {
  it('never shows a reader a file that is empty or cut short, and leaves nothing else behind', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'repro-exclusive-'));
    const size = 2 << 20;
    // another process writes 100 files of 2 MiB, one after another, while this one watches
    const writer = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        '-e',
        `const { writeExclusive } = await import(${JSON.stringify(join(REPO, 'src/run/folder.ts'))});
         for (let i = 0; i < 100; i++) writeExclusive(${JSON.stringify(dir)} + '/f' + i + '.json', 'x'.repeat(${size}));`,
      ],
      { cwd: REPO, stdio: 'inherit' },
    );
    const ended = new Promise<number | null>((done) => writer.on('close', done));
    let running = true;
    void ended.then(() => {
      running = false;
    });
    const short: string[] = [];
    const scan = () => {
      let seen = 0;
      for (const f of readdirSync(dir)) {
        if (!f.startsWith('f')) continue;
        seen++;
        const length = readFileSync(join(dir, f)).length;
        if (length !== size) short.push(`${f}: ${length}`);
      }
      return seen;
    };
    // the scans made while the files were being written
    let during = 0;
    while (running) {
      const n = scan();
      if (n > 0 && n < 100) during++;
      await new Promise((r) => setImmediate(r));
    }
    const seen = scan();
    expect(await ended).toBe(0);
    expect(during).toBeGreaterThan(5);
    expect(short).toEqual([]);
    expect(seen).toBe(100);
    // the temporary names are gone
    expect(readdirSync(dir).filter((f) => !f.startsWith('f'))).toEqual([]);
    rmSync(dir, { recursive: true, force: true });
  });

  it('refuses a file that exists, and leaves it as it was', () => {
    const dir = mkdtempSync(join(tmpdir(), 'repro-exclusive-'));
    writeFileSync(join(dir, 'end.json'), 'old');
    expect(() => writeExclusive(join(dir, 'end.json'), 'new')).toThrow(/already exists/);
    expect(readFileSync(join(dir, 'end.json'), 'utf8')).toBe('old');
    expect(readdirSync(dir)).toEqual(['end.json']);
  });

  it('takes the place of a temporary file a crash left under its name', () => {
    const dir = mkdtempSync(join(tmpdir(), 'repro-exclusive-'));
    // the next temporary names this process will use, as if left by an earlier process of its id
    for (let n = 1; n < 50; n++)
      writeFileSync(join(dir, writingName('run.json', `${process.pid}-${n}`)), 'stale');
    writeExclusive(join(dir, 'run.json'), '{"ok": true}');
    expect(JSON.parse(readFileSync(join(dir, 'run.json'), 'utf8'))).toEqual({ ok: true });
  });

  it('a file being written is not one of the files the results index lists', () => {
    const root = mkdtempSync(join(tmpdir(), 'repro-exclusive-'));
    const dir = join(root, 'runs', 'a');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, RUN_FILES.config), '{}');
    writeFileSync(join(dir, writingName(RUN_FILES.end, '1-1')), '{"status": ');
    const [row] = readResults(join(root, 'runs'), { cache: false });
    expect([...(row?.files ?? [])]).toEqual([RUN_FILES.config]);
    expect(existsSync(join(dir, writingName(RUN_FILES.end, '1-1')))).toBe(true);
  });
});
