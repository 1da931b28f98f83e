// Benchmark: uploading and pulling a 1 GiB result folder (one big file, and 10,000 small ones)
// to file:// and to a local S3 server (moto), beside `cp -r` in the same run. The AWS CLI
// (`aws s3 cp --recursive`), the other baseline named in the issue, is not installable here
// (neither in Debian's packages for this release nor on npm), so S3 has no baseline row.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { downloadFolder, openStorage, uploadFolder } from '../src/remote/storage.ts';
import { createBucket, startS3 } from '../test/remote/servers.ts';
import { fmt } from './lib.mjs';

const DATA = join(import.meta.dirname, '.data', 'transfer');

function generate() {
  if (existsSync(join(DATA, '.complete'))) return;
  mkdirSync(join(DATA, 'big'), { recursive: true });
  mkdirSync(join(DATA, 'small'), { recursive: true });
  const block = Buffer.alloc(1 << 20);
  for (let i = 0; i < block.length; i += 4) block.writeUInt32LE((i * 2654435761) >>> 0, i);
  const chunks = Array.from({ length: 1024 }, (_, i) => {
    const b = Buffer.from(block);
    b.writeUInt32LE(i, 0);
    return b;
  });
  writeFileSync(join(DATA, 'big', 'weights.bin'), Buffer.concat(chunks));
  for (let i = 0; i < 10_000; i++) {
    const sub = join(DATA, 'small', String(i % 50));
    mkdirSync(sub, { recursive: true });
    const b = block.subarray(0, 104_858);
    b.writeUInt32LE(i, 0);
    writeFileSync(join(sub, `part${i}.bin`), b);
  }
  writeFileSync(join(DATA, '.complete'), '');
}

const mibps = (ms) => `${(1024 / (ms / 1000)).toFixed(0)} MiB/s`;

async function timed(work) {
  const t0 = performance.now();
  await work();
  return performance.now() - t0;
}

export async function benchTransfer() {
  generate();
  spawnSync('bash', ['-c', 'find . -type f -print0 | xargs -0 cat > /dev/null'], { cwd: DATA });
  const scratch = mkdtempSync(join(tmpdir(), 'repro-transfer-'));
  const rows = [];
  const s3 = await startS3();
  Object.assign(process.env, s3.env);
  await createBucket(s3, 'bench');
  try {
    for (const kind of ['big', 'small']) {
      const label = kind === 'big' ? 'one 1 GiB file' : '10,000 files of 100 KiB';
      const src = join(DATA, kind);
      const cp = await timed(async () => spawnSync('cp', ['-r', src, join(scratch, `cp-${kind}`)]));
      rows.push([`${label}: cp -r (baseline)`, fmt(cp), mibps(cp)]);
      for (const uri of [`file://${join(scratch, `store-${kind}`)}`, `s3://bench/${kind}`]) {
        const storage = openStorage(uri);
        let files;
        const up = await timed(async () => {
          files = await uploadFolder(storage, src, 'r/t');
        });
        const down = await timed(() =>
          downloadFolder(storage, 'r/t', files, join(scratch, `pull-${kind}-${uri.slice(0, 2)}`)),
        );
        rows.push([`${label}: upload to ${uri.split(':')[0]}://`, fmt(up), mibps(up)]);
        rows.push([`${label}: pull from ${uri.split(':')[0]}:// (checked)`, fmt(down), mibps(down)]);
      }
    }
  } finally {
    s3.stop();
    rmSync(scratch, { recursive: true, force: true });
  }
  return {
    title: 'upload and pull of a 1 GiB result folder',
    head: ['what', 'time', 'throughput'],
    rows,
    note: 'One round (each is seconds long); data in the page cache; uploads hash every file (BLAKE3) and pulls check every file. S3 is moto_server on 127.0.0.1. Data from bench/transfer.mjs in bench/.data/transfer.',
  };
}
