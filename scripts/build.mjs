// Builds dist/: one bundled ES module for the library, one for the CLI (bundled so that
// `repro run` starts fast), and the .d.ts files from tsc.
import { execFileSync } from 'node:child_process';
import { chmodSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { build } from 'esbuild';

const require = createRequire(import.meta.url);
rmSync('dist', { recursive: true, force: true });

const common = {
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  sourcemap: 'linked',
  minify: true,
  // error classes name themselves after their class: keep the names
  keepNames: true,
  // tsx is resolved at run time to start TypeScript scripts; jsonc-parser loads only to explain
  // a JSON error. Neither is bundled.
  external: ['tsx', 'jsonc-parser'],
  logLevel: 'warning',
  // prefer ES module builds (jsonc-parser's CommonJS build uses a dynamic require)
  mainFields: ['module', 'main'],
};

await Promise.all([
  build({ ...common, entryPoints: { index: 'src/index.ts' }, outdir: 'dist' }),
  build({
    ...common,
    entryPoints: { cli: 'src/cli/bin.ts' },
    outdir: 'dist',
    banner: { js: '#!/usr/bin/env node' },
  }),
]);

// npm links bin entries as they are: the CLI must be executable itself
chmodSync('dist/cli.js', 0o755);

execFileSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', 'tsconfig.build.json'], {
  stdio: 'inherit',
});
