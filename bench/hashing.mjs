// Benchmark: `repro fingerprint --level checksum` against b3sum (same threads) and md5sum on
// the same files in the same run: ~2 GiB as one file, and as 20,000 files of 4-256 KiB; then a
// second pass over the unchanged 20,000 (the hash cache).
import { spawnSync } from 'node:child_process';
import {
  closeSync,
  existsSync,
  linkSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  rmSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { benchEnv, CLI, fmt, median } from './lib.mjs';

const DATA = join(import.meta.dirname, '.data', 'hash');
const BIG = 2 * 2 ** 30;

function generate() {
  if (existsSync(join(DATA, '.complete'))) return;
  mkdirSync(join(DATA, 'small'), { recursive: true });
  const block = Buffer.alloc(1 << 20);
  let seed = 1;
  const fill = (buf) => {
    for (let i = 0; i < buf.length; i += 4) {
      seed = (seed * 1103515245 + 12345) >>> 0;
      buf.writeUInt32LE(seed, i);
    }
  };
  fill(block);
  const fd = openSync(join(DATA, 'big.bin'), 'w');
  for (let written = 0; written < BIG; written += block.length) {
    block.writeUInt32LE(written, 0);
    writeSync(fd, block);
  }
  closeSync(fd);
  let total = 0;
  for (let i = 0; total < BIG; i++) {
    seed = (seed * 1103515245 + 12345) >>> 0;
    const size = (4 + (seed % 253)) * 1024;
    const dir = join(DATA, 'small', String(i % 100).padStart(2, '0'));
    mkdirSync(dir, { recursive: true });
    block.writeUInt32LE(i, 0);
    writeFileSync(join(dir, `f${i}.bin`), block.subarray(0, size));
    total += size;
  }
  writeFileSync(join(DATA, '.complete'), '');
}

/** The set: the first 5,000 files of the 20,000 (by path), hard links in `five`. */
function fiveThousand() {
  if (existsSync(join(DATA, '.five-complete'))) return;
  rmSync(join(DATA, 'five'), { recursive: true, force: true });
  const files = readdirSync(join(DATA, 'small'), { recursive: true })
    .filter((f) => f.endsWith('.bin'))
    .sort()
    .slice(0, 5000);
  for (const f of files) {
    mkdirSync(join(DATA, 'five', f, '..'), { recursive: true });
    linkSync(join(DATA, 'small', f), join(DATA, 'five', f));
  }
  writeFileSync(join(DATA, '.five-complete'), '');
}

function time(cmd, args, env = {}) {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(cmd, args, {
    cwd: DATA,
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...benchEnv(), ...env },
    encoding: 'utf8',
  });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')}: ${r.stderr}`);
  return Number(process.hrtime.bigint() - t0) / 1e6;
}

const sh = (script, env) => time('bash', ['-c', script], env);

export function benchHashing({ rounds = 3 } = {}) {
  generate();
  const threads = availableParallelism();
  const have = (tool) => spawnSync('bash', ['-c', `command -v ${tool}`]).status === 0;
  const cache = mkdtempSync(join(tmpdir(), 'repro-hash-bench-'));
  const fresh = { XDG_CACHE_HOME: join(cache, 'none') };
  const clear = () => rmSync(join(cache, 'none'), { recursive: true, force: true });
  // into the page cache: the figures are about hashing, not the disk
  sh('find . -type f -print0 | xargs -0 cat > /dev/null');
  const gib = (ms, bytes) => `${(bytes / 2 ** 30 / (ms / 1000)).toFixed(2)} GiB/s`;
  const smallBytes = Number(
    spawnSync('bash', ['-c', 'du -sb small | cut -f1'], { cwd: DATA, encoding: 'utf8' }).stdout.trim(),
  );
  const rows = [];
  const series = (label, bytes, runs) => {
    const samples = runs.map(() => []);
    for (let i = 0; i < rounds; i++) {
      for (const [k, r] of runs.entries()) samples[k].push(r.run());
    }
    runs.forEach((r, k) => {
      const ms = median(samples[k]);
      rows.push([`${label}: ${r.name}`, fmt(ms), r.bytes === 0 ? '' : gib(ms, bytes)]);
    });
  };
  const b3 = have('b3sum');
  /** Ratio rows: b3sum's time ÷ repro's, against `b3sum --num-threads N` and the faster b3sum. */
  const shares = (label) => {
    const ms = (name) => Number.parseFloat(rows.find((r) => r[0].startsWith(`${label}: ${name}`))[1]);
    const ours = ms('repro fingerprint');
    const threaded = ms(`b3sum --num-threads ${threads}`);
    const best = Math.min(threaded, ms('b3sum --no-mmap'));
    rows.push([
      `${label}: speed as a share of b3sum --num-threads ${threads} (its time ÷ repro's)`,
      `${(threaded / ours).toFixed(2)}×`,
      '',
    ]);
    rows.push([`${label}: speed as a share of the faster b3sum`, `${(best / ours).toFixed(2)}×`, '']);
  };
  series('one 2 GiB file', BIG, [
    {
      name: `repro fingerprint --threads ${threads}`,
      run: () => {
        clear();
        return time(process.execPath, [CLI, 'fingerprint', 'big.bin', '--threads', String(threads)], fresh);
      },
    },
    {
      name: `repro fingerprint --threads ${threads} --algorithm blake3 (whole, as b3sum)`,
      run: () => {
        clear();
        const args = ['fingerprint', 'big.bin', '--threads', String(threads), '--algorithm', 'blake3'];
        return time(process.execPath, [CLI, ...args], fresh);
      },
    },
    ...(b3
      ? [
          {
            name: `b3sum --num-threads ${threads}`,
            run: () => sh(`b3sum --num-threads ${threads} big.bin > /dev/null`),
          },
        ]
      : []),
    ...(b3
      ? [{ name: 'b3sum --num-threads 1', run: () => sh('b3sum --num-threads 1 big.bin > /dev/null') }]
      : []),
    // b3sum maps a file and hashes the mapping on its threads; where a page fault costs much (some
    // virtual machines), its one-thread read() path is the faster b3sum, so it is a baseline too
    ...(b3
      ? [
          {
            name: 'b3sum --no-mmap (one thread, read())',
            run: () => sh('b3sum --no-mmap big.bin > /dev/null'),
          },
        ]
      : []),
    { name: 'md5sum', run: () => sh('md5sum big.bin > /dev/null') },
  ]);
  if (b3) shares('one 2 GiB file');
  series(`20,000 files of 4-256 KiB (${(smallBytes / 2 ** 30).toFixed(2)} GiB)`, smallBytes, [
    {
      name: `repro fingerprint --threads ${threads}`,
      run: () => {
        clear();
        return time(process.execPath, [CLI, 'fingerprint', 'small', '--threads', String(threads)], fresh);
      },
    },
    ...(b3
      ? [
          {
            name: `b3sum --num-threads ${threads}`,
            run: () => sh(`find small -type f -print0 | xargs -0 b3sum --num-threads ${threads} > /dev/null`),
          },
        ]
      : []),
    {
      name: `md5sum, ${threads} processes`,
      run: () => sh(`find small -type f -print0 | xargs -0 -P ${threads} -n 500 md5sum > /dev/null`),
    },
  ]);
  // the issue's row: few enough files that repro's start-up and its threads' count
  fiveThousand();
  const fiveBytes = Number(
    spawnSync(
      'bash',
      ['-c', "find five -name '*.bin' -print0 | du -cb --files0-from=- | tail -1 | cut -f1"],
      {
        cwd: DATA,
        encoding: 'utf8',
      },
    ).stdout.trim(),
  );
  const fiveLabel = `5,000 files of 4-256 KiB (${(fiveBytes / 2 ** 20).toFixed(0)} MiB), start-up included`;
  series(fiveLabel, fiveBytes, [
    {
      name: `repro fingerprint --threads ${threads}`,
      run: () => {
        clear();
        return time(process.execPath, [CLI, 'fingerprint', 'five', '--threads', String(threads)], fresh);
      },
    },
    ...(b3
      ? [
          {
            name: `b3sum --num-threads ${threads}`,
            run: () =>
              sh(`find five -name '*.bin' -print0 | xargs -0 b3sum --num-threads ${threads} > /dev/null`),
          },
          {
            name: 'b3sum --no-mmap (one thread, read())',
            run: () => sh(`find five -name '*.bin' -print0 | xargs -0 b3sum --no-mmap > /dev/null`),
          },
        ]
      : []),
  ]);
  if (b3) shares(fiveLabel);
  const warm = { XDG_CACHE_HOME: join(cache, 'warm') };
  time(process.execPath, [CLI, 'fingerprint', 'small'], warm);
  series('20,000 unchanged files, second pass', 0, [
    {
      name: 'repro fingerprint (hash cache)',
      bytes: 0,
      run: () => time(process.execPath, [CLI, 'fingerprint', 'small'], warm),
    },
  ]);
  rmSync(cache, { recursive: true, force: true });
  return {
    title: 'hashing input data (`repro fingerprint --level checksum`)',
    head: ['what', 'median', 'throughput'],
    rows,
    note: `${rounds} rounds, data in the page cache, ${threads} threads.${b3 ? '' : ' b3sum is not installed (apt-get install b3sum): its rows are missing.'} Data from bench/hashing.mjs in bench/.data/hash.`,
  };
}
