// Benchmark: what installing repro puts into a project's node_modules, from the packed package
// (npm pack), without and with the optional peer dependencies (pg for --db, the AWS SDK for
// s3://). The baseline is the install with both, which is what every user got before they
// became optional. Needs the npm registry.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO } from './lib.mjs';

function sizeOf(dir) {
  let bytes = 0;
  let files = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name);
    if (entry.isDirectory()) {
      const s = sizeOf(p);
      bytes += s.bytes;
      files += s.files;
    } else if (entry.isFile()) {
      bytes += statSync(p).size;
      files++;
    }
  }
  return { bytes, files };
}

export function benchInstall() {
  const packs = mkdtempSync(join(tmpdir(), 'repro-pack-'));
  const out = execFileSync('npm', ['pack', '--pack-destination', packs], { cwd: REPO, encoding: 'utf8' });
  const tgz = join(packs, out.trim().split('\n').pop());
  const install = (extra) => {
    const dir = mkdtempSync(join(tmpdir(), 'repro-install-'));
    execFileSync('npm', ['init', '-y'], { cwd: dir, stdio: 'ignore' });
    execFileSync('npm', ['install', '--no-audit', '--no-fund', tgz, ...extra], { cwd: dir, stdio: 'ignore' });
    const size = sizeOf(join(dir, 'node_modules'));
    rmSync(dir, { recursive: true, force: true });
    return size;
  };
  const all = install(['pg', '@aws-sdk/client-s3']);
  const lean = install([]);
  rmSync(packs, { recursive: true, force: true });
  const mb = (b) => `${(b / 2 ** 20).toFixed(1)} MiB`;
  return {
    title: 'Install size (`npm run bench -- install`)',
    head: ['install', 'node_modules', 'files', 'ratio'],
    rows: [
      [
        '`npm install repro pg @aws-sdk/client-s3` (baseline: everything)',
        mb(all.bytes),
        String(all.files),
        '',
      ],
      [
        '`npm install repro` (pg and the AWS SDK are optional peers)',
        mb(lean.bytes),
        String(lean.files),
        `${(lean.bytes / all.bytes).toFixed(2)}×`,
      ],
    ],
    note: 'From `npm pack` of this checkout, into an empty project.',
  };
}
