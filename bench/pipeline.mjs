// Benchmark: `repro status` and `repro graph` over a project of 10,000 configs in chains and
// fan-outs, every one with a result, beside `make -n` and `snakemake -n` on the same graph.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { benchEnv, CLI, fmt, median } from './lib.mjs';

const DATA = join(import.meta.dirname, '.data', 'pipeline');
const CHAINS = 1000;
const DEPTH = 10;

function generate() {
  if (existsSync(join(DATA, '.complete'))) return;
  mkdirSync(join(DATA, 'configs'), { recursive: true });
  writeFileSync(join(DATA, 'repro.json'), '{}\n');
  writeFileSync(join(DATA, 'stage.sh'), 'true\n');
  const sources = {};
  const t = Date.UTC(2026, 0, 1);
  let k = 0;
  for (let c = 0; c < CHAINS; c++) {
    for (let d = 0; d < DEPTH; d++) {
      const name = `c${c}_${d}`;
      // a chain, and every chain's last stage also reads the next chain's first (a fan-in)
      const src =
        d === 0 ? [] : d === DEPTH - 1 ? [`c${c}_${d - 1}`, `c${(c + 1) % CHAINS}_0`] : [`c${c}_${d - 1}`];
      sources[name] = src;
      const config = {
        script: 'stage.sh',
        ...(src.length === 1 ? { source: src[0] } : src.length ? { source: src } : {}),
        lr: 0.001 * (d + 1),
      };
      writeFileSync(join(DATA, 'configs', `${name}.json`), `${JSON.stringify(config, null, 2)}\n`);
      const dir = join(DATA, 'runs', name);
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, 'config.json'), `${JSON.stringify(config, null, 2)}\n`);
      // started in dependency order: a chain's stages one minute apart, the first stages of all chains first
      const started = new Date(t + (d === 0 ? c : CHAINS + c * DEPTH + d) * 60_000).toISOString();
      writeFileSync(
        join(dir, 'run.json'),
        JSON.stringify({
          format: 1,
          name,
          mode: 'cli',
          config: { name, file: `configs/${name}.json`, hash: '', base_hash: hashOf(config) },
          script: { path: 'stage.sh', sha256: null, interpreter: ['bash'], interpreter_version: null },
          host: { hostname: hostname(), boot_id: null },
          pid: 1,
          pid_start: null,
          started_at: started,
        }),
      );
      writeFileSync(
        join(dir, 'end.json'),
        JSON.stringify({ status: 'done', exit_code: 0, signal: null, ended_at: started, duration_s: 1 }),
      );
      k++;
    }
  }
  // the same graph for make and snakemake: a target per result, its sources and config as prerequisites
  const make = [
    'all: ' +
      Object.keys(sources)
        .map((n) => `runs/${n}/end.json`)
        .join(' '),
  ];
  for (const [n, src] of Object.entries(sources)) {
    make.push(
      `runs/${n}/end.json: configs/${n}.json ${src.map((s) => `runs/${s}/end.json`).join(' ')}\n\ttouch $@`,
    );
  }
  writeFileSync(join(DATA, 'Makefile'), `${make.join('\n')}\n`);
  writeFileSync(join(DATA, 'sources.json'), JSON.stringify(sources));
  writeFileSync(
    join(DATA, 'Snakefile'),
    `import json
SRC = json.load(open("sources.json"))
rule all:
    input: expand("runs/{n}/end.json", n=list(SRC))
rule stage:
    input: lambda w: ["configs/%s.json" % w.n] + ["runs/%s/end.json" % s for s in SRC[w.n]]
    output: "runs/{n}/end.json"
    shell: "touch {output}"
`,
  );
  // make's and snakemake's view of "up to date" is by time: outputs newer than inputs
  spawnSync(
    'bash',
    ['-c', 'touch configs/*.json; sleep 1; find runs -name end.json -print0 | xargs -0 touch'],
    { cwd: DATA },
  );
  writeFileSync(join(DATA, '.complete'), `${k}\n`);
}

// the canonical sha256 that repro records as base_hash, so no config reads as changed
import { createHash } from 'node:crypto';

function canonical(v) {
  if (v === null || typeof v !== 'object') return JSON.stringify(v);
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  return `{${Object.keys(v)
    .sort()
    .map((k) => `${JSON.stringify(k)}:${canonical(v[k])}`)
    .join(',')}}`;
}
function hashOf(config) {
  return `sha256:${createHash('sha256').update(canonical(config)).digest('hex')}`;
}

function time(cmd, args) {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(cmd, args, {
    cwd: DATA,
    stdio: ['ignore', 'ignore', 'pipe'],
    env: benchEnv(),
    encoding: 'utf8',
    timeout: 600_000,
  });
  if (r.status !== 0 && !(cmd === process.execPath && r.status === 1))
    throw new Error(`${cmd} ${args.join(' ')}: ${r.status} ${r.stderr.slice(-1000)}`);
  return Number(process.hrtime.bigint() - t0) / 1e6;
}

export function benchPipeline({ rounds = 3 } = {}) {
  generate();
  spawnSync('bash', ['-c', 'find . -type f -print0 | xargs -0 cat > /dev/null'], { cwd: DATA });
  const have = (tool) => spawnSync('bash', ['-c', `command -v ${tool}`]).status === 0;
  const runs = [
    { name: '`repro status` (10,000 configs)', run: () => time(process.execPath, [CLI, 'status']) },
    { name: '`repro graph`', run: () => time(process.execPath, [CLI, 'graph']) },
    { name: '`make -n` (baseline)', run: () => time('make', ['-n', '-s']) },
  ];
  if (have('snakemake'))
    runs.push({ name: '`snakemake -n` (baseline)', run: () => time('snakemake', ['-n', '--quiet', '-c1']) });
  const samples = runs.map(() => []);
  for (let i = 0; i < rounds; i++) {
    for (const [k, r] of runs.entries()) samples[k].push(r.run());
  }
  return {
    title: 'status and graph of 10,000 configs with results',
    head: ['command', 'median', 'target'],
    rows: runs.map((r, k) => [r.name, fmt(median(samples[k])), k < 2 ? '< 1 s' : '']),
    note: `${rounds} rounds; ${CHAINS} chains of ${DEPTH} stages, each chain's last stage also reading the next chain's first. Data from bench/pipeline.mjs.${have('snakemake') ? '' : ' snakemake is not installed (apt-get install snakemake): its row is missing.'}`,
  };
}
