import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// The binary-level tests run dist/cli.js: build it from src/ first, so that a test run (even of
// one file) never uses a stale build.
export default function build(): () => void {
  const root = join(import.meta.dirname, '..', '..');
  execFileSync(process.execPath, [join(root, 'scripts', 'build.mjs')], { cwd: root, stdio: 'inherit' });
  // repro's caches (listings, file hashes) go to a folder of the test run's own, never the
  // user's ~/.cache; the workers and every repro they start inherit it
  const cache = mkdtempSync(join(tmpdir(), 'repro-test-cache-'));
  process.env.XDG_CACHE_HOME = cache;
  return () => rmSync(cache, { recursive: true, force: true });
}
