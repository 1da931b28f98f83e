import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

// The binary-level tests run dist/cli.js: build it from src/ first, so that a test run (even of
// one file) never uses a stale build.
export default function build(): void {
  const root = join(import.meta.dirname, '..', '..');
  execFileSync(process.execPath, [join(root, 'scripts', 'build.mjs')], { cwd: root, stdio: 'inherit' });
}
