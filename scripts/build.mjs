// Builds dist/: the library (dist/index.js) and the CLI (dist/cli.js) as minified ES modules
// with shared chunks, so that `repro run` loads only what it needs and the heavy parts (charts,
// clustering) load when a command asks for them; then the .d.ts files from tsc.
import { execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { build } from 'esbuild';

const require = createRequire(import.meta.url);
rmSync('dist', { recursive: true, force: true });
const { version } = JSON.parse(readFileSync('package.json', 'utf8'));

const common = {
  outdir: 'dist',
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  sourcemap: 'linked',
  minify: !process.env.REPRO_BUILD_DEBUG,
  // error classes name themselves after their class: keep the names
  keepNames: true,
  // prefer ES module builds where a package has both
  mainFields: ['module', 'main'],
  // loaded from node_modules at run time: tsx (to start TypeScript scripts), jsonc-parser (only
  // to explain a JSON error), resvg and blake-hash (native addons: PNG output, data checksums),
  // pg and the AWS SDK (only for the distributed commands)
  external: [
    'tsx',
    'jsonc-parser',
    '@resvg/resvg-js',
    '@napi-rs/blake-hash',
    'pg',
    '@aws-sdk/client-s3',
    '@hono/node-server',
  ],
  define: { __REPRO_VERSION__: JSON.stringify(version) },
  logLevel: 'warning',
};
// the library a script imports: one file, no chunks (each chunk is a module load at start-up);
// the glob library (for inputs given as globs, rare) is loaded from node_modules when used
// rather than parsed at every start
await build({
  ...common,
  entryPoints: { index: 'src/index.ts' },
  external: [...common.external, 'tinyglobby'],
});
// the CLI and the tools: shared chunks, so a command loads only what it needs
await build({
  ...common,
  // help.js: commander's help pages, an entry of its own so that fast.js can load it by name;
  // upstream.js: the graph and its statuses, which a run of a config with sources loads
  entryPoints: {
    tools: 'src/tools.ts',
    cli: 'src/cli/bin.ts',
    help: 'src/cli/help.ts',
    upstream: 'src/upstream.ts',
  },
  splitting: true,
  chunkNames: 'chunks/[name]-[hash]',
  // commander is CommonJS and requires Node's built-ins: give the ES module chunks a require
  banner: { js: "const require = process.getBuiltinModule('module').createRequire(import.meta.url);" },
});
// `repro run` and `repro begin` (one starts every run of a script): one file without shared
// chunks, which bin.ts loads for them (29 small chunks took ~20-30 ms longer to load); and the
// results index's worker thread, one file that every build above starts alike. What a run
// needs only now and then stays out of fast.js, whose every byte is parsed at each start: the
// help pages (commander, 40 KB) load from dist/help.js, the glob library (inputs given as globs,
// 38 KB) from node_modules, as for dist/index.js
await build({
  ...common,
  entryPoints: { fast: 'src/cli/fast.ts', 'results-worker': 'src/project/results-worker.ts' },
  external: [...common.external, 'tinyglobby'],
  plugins: [
    {
      name: 'help-from-the-chunks',
      setup(b) {
        b.onResolve({ filter: /^\.\/help\.ts$/ }, () => ({ path: './help.js', external: true }));
      },
    },
  ],
  banner: { js: "const require = process.getBuiltinModule('module').createRequire(import.meta.url);" },
});
// the dashboard's front end: one browser bundle, its page and styles (uPlot's included)
await build({
  entryPoints: { app: 'src/ui/web/app.ts' },
  outdir: 'dist/ui',
  bundle: true,
  platform: 'browser',
  format: 'esm',
  target: 'es2022',
  minify: !process.env.REPRO_BUILD_DEBUG,
  sourcemap: 'linked',
  logLevel: 'warning',
});
copyFileSync('src/ui/web/index.html', 'dist/ui/index.html');
writeFileSync(
  'dist/ui/app.css',
  `${readFileSync(require.resolve('uplot/dist/uPlot.min.css'), 'utf8')}\n${readFileSync('src/ui/web/app.css', 'utf8')}`,
);

// the hashing worker is plain JavaScript, found next to the code that starts it
copyFileSync('src/data/hash-worker.js', 'dist/hash-worker.js');
copyFileSync('src/data/hash-worker.js', 'dist/chunks/hash-worker.js');
// the CLI is the bin entry: npm links it as it is, so it must be executable and start with #!
const cli = 'dist/cli.js';
writeFileSync(cli, `#!/usr/bin/env node\n${readFileSync(cli, 'utf8')}`);
chmodSync(cli, 0o755);

execFileSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', 'tsconfig.build.json'], {
  stdio: 'inherit',
});
