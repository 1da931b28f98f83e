import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { keptListings, listingKey, replay } from '../../src/cli/replay.ts';
import { fakeRecord, isolateCache, makeProject, runRepro, STAGE, settle, writeFiles } from '../helpers.ts';

const cacheFolder = isolateCache();

const kept = () => readdirSync(join(cacheFolder(), 'repro')).filter((f) => f.startsWith('ls-'));

describe('a listing kept and written again (cli/replay.ts)', () => {
  beforeEach(() => {
    keptListings.from = 1;
  });
  afterEach(() => {
    keptListings.from = 10_000;
    keptListings.piece = 1 << 20;
  });

  it('is written as it was while nothing it shows changed, and made anew after each change', async () => {
    const root = makeProject({
      'stage.py': STAGE,
      'raw/a.txt': 'one\n',
      'configs/data.json': { script: 'stage.py', inputs: 'raw/*.txt', paranoia: 'checksum' },
      'configs/model.json': { script: 'stage.py', source: 'data', add: 100 },
    });
    expect((await runRepro(root, ['make', 'model'])).code).toBe(0);
    await settle();
    /**
     * Lists `args` three times: the first notes it was asked for, the second makes the listing
     * and keeps it, the third writes the kept one; each must be what a listing that reads every
     * folder and keeps nothing prints.
     */
    const thrice = async (why: string, args: string[] = [], columns?: number) => {
      const first = await runRepro(root, ['ls', ...args], { columns });
      expect(first.code, first.stderr).toBe(0);
      expect(keptListings.last, `${why}: asked for the first time`).toBe('noted');
      const second = await runRepro(root, ['ls', ...args], { columns });
      expect(keptListings.last, `${why}: asked for again, made and kept`).toBe('kept');
      const third = await runRepro(root, ['ls', ...args], { columns });
      expect(keptListings.last, `${why}: nothing changed since`).toBe('replayed');
      const fresh = await runRepro(root, ['ls', '--no-cache', ...args], { columns });
      expect(keptListings.last, 'a listing with --no-cache is never kept').toBe('');
      for (const listing of [second, third]) expect(listing).toEqual(first);
      expect(first).toEqual(fresh);
      return first;
    };
    const plain = await thrice('the first listing');
    expect(plain.stdout).toMatch(/^data +done/m);
    expect((await thrice('asked as JSON', ['--json'])).stdout).toContain('"name": "model"');
    await thrice('asked as CSV', ['--csv']);
    await thrice('asked without the staleness check', ['--no-stale']);
    await thrice('sorted', ['--sort=-loss', '--limit', '1']);
    // each way asked is kept beside the others, the eight last asked
    for (let columns = 60; columns < 64; columns++) await thrice(`${columns} columns wide`, [], columns);
    expect(kept().filter((f) => f.endsWith('.out')).length).toBe(8);
    expect(kept().filter((f) => f.endsWith('.asked'))).toEqual([]);
    await runRepro(root, ['ls', '--sort=-loss', '--limit', '1']);
    expect(keptListings.last).toBe('replayed');
    await thrice('the first asked, the first let go');

    // the data changed: the listing's verdicts change, and the listings kept before go
    writeFileSync(join(root, 'raw', 'a.txt'), 'one, changed\n');
    const stale = await thrice('a data file changed');
    expect(stale.stdout).toMatch(/^data +done, stale/m);
    expect(stale.stderr).toContain('2 results are stale');
    // the listings of the verdicts before are let go; the one without the staleness check stays
    expect(kept().filter((f) => f.split('-')[3] === 'none').length).toBe(1);
    expect(kept().length).toBe(2);
    writeFileSync(join(root, 'raw', 'a.txt'), 'one\n');
    expect((await thrice('the data put back')).stdout).toBe(plain.stdout);

    // a config edited in place (same size): only its stat tells
    writeFiles(root, { 'configs/model.json': { script: 'stage.py', source: 'data', add: 101 } });
    expect((await thrice('a config edited')).stdout).toMatch(/^model +done, stale/m);
    writeFiles(root, { 'configs/model.json': { script: 'stage.py', source: 'data', add: 100 } });
    await thrice('the config put back');

    // a result added: the index changed
    writeFiles(root, { 'configs/other.json': { script: 'stage.py', add: 5 } });
    expect((await runRepro(root, ['run', 'configs/other.json'])).code).toBe(0);
    await settle();
    expect((await thrice('a result added')).stdout).toMatch(/^other +done/m);

    // the kept file damaged on disk: never written as if whole
    const [file] = kept().filter((f) => f.endsWith('.out'));
    const path = join(cacheFolder(), 'repro', file as string);
    const bytes = readFileSync(path);
    bytes[5] = bytes[5] === 0x41 ? 0x42 : 0x41;
    writeFileSync(path, bytes);
    const mended = await runRepro(root, ['ls']);
    expect(keptListings.last).toBe('kept');
    expect(mended.stdout).toBe((await runRepro(root, ['ls', '--no-cache'])).stdout);
    writeFileSync(path, 'not a kept listing');
    expect((await runRepro(root, ['ls'])).stdout).toBe(mended.stdout);
    expect(keptListings.last).toBe('kept');

    // a run still going: its status is worked out at every listing, so nothing is kept
    mkdirSync(join(root, 'runs', 'going'));
    writeFileSync(join(root, 'runs', 'going', 'config.json'), '{}');
    writeFileSync(join(root, 'runs', 'going', 'run.json'), JSON.stringify(fakeRecord({ name: 'going' })));
    await settle();
    for (let k = 0; k < 2; k++) {
      const going = await runRepro(root, ['ls']);
      expect(going.stdout).toMatch(/^going +running/m);
      expect(keptListings.last).toBe('');
    }
    rmSync(join(root, 'runs', 'going'), { recursive: true });
    await settle();
    expect((await thrice('the run gone')).stdout).not.toContain('going');

    // a listing of fewer results than keptListings.from is made every time
    keptListings.from = 100;
    await runRepro(root, ['ls']);
    expect(keptListings.last).toBe('');
  });

  it('waits for a slow reader without writing over what it has not taken', async () => {
    keptListings.piece = 1000;
    const key = listingKey({ root: '/p', runsRoot: '/p/runs' }, { stamp: 's' }, null, {});
    const text = Array.from({ length: 5000 }, (_, k) => `row ${k} ${'x'.repeat(k % 37)}\n`).join('');
    const { recording } = await import('../../src/cli/replay.ts');
    const sink = { write: () => true };
    const rec = recording(key, { cwd: '/', env: {}, stdout: sink, stderr: sink });
    rec.ctx.stderr.write('a note\n');
    for (let at = 0; at < text.length; at += 777) rec.ctx.stdout.write(text.slice(at, at + 777));
    // what listings cut short left: removed once their process is gone
    const dead = spawnSync('true').pid as number;
    writeFileSync(`${key.file}.${dead}.tmp`, 'cut short');
    writeFileSync(`${key.file}.${process.ppid}.tmp`, 'still being written');
    rec.keep();
    expect(keptListings.last).toBe('kept');
    expect(existsSync(`${key.file}.${dead}.tmp`)).toBe(false);
    expect(existsSync(`${key.file}.${process.ppid}.tmp`)).toBe(true);
    // a reader that takes each piece a while later, with room for less than a piece and for many
    for (const highWaterMark of [16, 1 << 20]) {
      const got: Buffer[] = [];
      const slow = new Writable({
        highWaterMark,
        write(chunk: Buffer, _encoding, done) {
          setTimeout(() => {
            got.push(Buffer.from(chunk));
            done();
          }, 1);
        },
      });
      let stderr = '';
      const written = await replay(key, {
        cwd: '/',
        env: {},
        stdout: slow,
        stderr: { write: (c) => (stderr += c) },
      });
      await new Promise<void>((done) => slow.end(done));
      expect(written).toBe(true);
      expect(stderr).toBe('a note\n');
      expect(Buffer.concat(got).toString()).toBe(text);
    }
  });
});
