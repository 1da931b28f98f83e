import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseMetrics } from '../../src/run/metrics.ts';
import type { EndRecord, RunRecord } from '../../src/run/record.ts';
import { type StartRunOptions, startRun } from '../../src/run/start.ts';
import { makeProject, runRepro } from '../helpers.ts';

function start(root: string, options: StartRunOptions) {
  const warnings: string[] = [];
  const promise = startRun({
    cwd: root,
    handleExit: false,
    captureOutput: false,
    warn: (l) => warnings.push(l),
    ...options,
  });
  return { promise, warnings };
}

function json<T>(file: string): T {
  return JSON.parse(readFileSync(file, 'utf8')) as T;
}

describe('startRun (in-process API)', () => {
  it('parses argv, merges, creates the folder and config, and finishes with effective.json and end.json', async () => {
    const root = makeProject({ 'configs/model.json': { lr: 0.1, filters: 10 } });
    const { promise } = start(root, { argv: ['-c', 'configs/model.json', '--set', 'lr=0.01'] });
    const run = await promise;
    expect(run.name).toBe('model~lr=0.01');
    expect(run.dir).toBe(join(root, 'runs', 'model~lr=0.01'));
    expect(json(join(run.dir, 'config.json'))).toEqual({ lr: 0.01, filters: 10 });
    await run.recorded;
    expect(json<RunRecord>(join(run.dir, 'run.json'))).toMatchObject({
      mode: 'api',
      overrides: [{ kind: 'set', text: 'lr=0.01' }],
    });
    expect(Object.isFrozen(run.config)).toBe(true);

    expect(run.params.get('lr', 1)).toBe(0.01);
    expect(run.params.get('filters', 5)).toBe(10);
    expect(run.params.get('dropout', 0.5)).toBe(0.5);
    run.log({ step: 0, loss: 1.5 });
    run.log({ step: 1, loss: Number.NaN, acc: 0.5 });
    await run.writeFile('model.json', '{}');
    await run.writeFile('plots/loss.txt', 'x');
    run.finish();

    expect(json(join(run.dir, 'effective.json'))).toEqual({
      values: { dropout: 0.5, filters: 10, lr: 0.01 },
      defaults: { dropout: 0.5 },
      unread: [],
    });
    expect(json<EndRecord>(join(run.dir, 'end.json'))).toMatchObject({ status: 'done', exit_code: 0 });
    expect(readFileSync(join(run.dir, 'metrics.jsonl'), 'utf8')).toBe(
      '{"step":0,"loss":1.5}\n{"step":1,"loss":"NaN","acc":0.5}\n',
    );
    expect(parseMetrics(readFileSync(join(run.dir, 'metrics.jsonl'), 'utf8'))).toHaveLength(2);
    expect(readFileSync(join(run.dir, 'plots', 'loss.txt'), 'utf8')).toBe('x');
  });

  it('can never overwrite: writeFile, create and log refuse existing files', async () => {
    const root = makeProject({ 'c.json': { a: 1 } });
    const run = await start(root, { config: 'c.json' }).promise;
    await run.writeFile('out.txt', 'first');
    await expect(run.writeFile('out.txt', 'second')).rejects.toMatchObject({ code: 'REPRO_FILE_EXISTS' });
    expect(() => run.create('out.txt')).toThrow(expect.objectContaining({ code: 'REPRO_FILE_EXISTS' }));
    await expect(run.writeFile('config.json', '{}')).rejects.toMatchObject({ code: 'REPRO_FILE_EXISTS' });
    expect(readFileSync(join(run.dir, 'out.txt'), 'utf8')).toBe('first');
    const stream = run.create('stream.txt');
    await new Promise<void>((done) => stream.end('streamed', () => done()));
    expect(readFileSync(join(run.dir, 'stream.txt'), 'utf8')).toBe('streamed');
    run.finish();
  });

  it.each(['../x', '/etc/passwd', 'a/../../x', ''])(
    'refuses the path %j outside the folder',
    async (name) => {
      const root = makeProject({ 'c.json': { a: 1 } });
      const run = await start(root, { config: 'c.json' }).promise;
      expect(() => run.path(name)).toThrow(expect.objectContaining({ code: 'REPRO_PATH_OUTSIDE_RUN' }));
      run.finish();
    },
  );

  it('reports keys the code never read, in the folder and as a warning', async () => {
    const root = makeProject({ 'c.json': { moynoviyparametr: 12 } });
    const { promise, warnings } = start(root, { config: 'c.json' });
    const run = await promise;
    run.params.get('moynoviyporametr', 10);
    run.finish();
    expect(warnings).toEqual([
      'repro: warning: "moynoviyparametr" was never read; did you mean "moynoviyporametr", which defaulted to 10?',
    ]);
    expect(json<{ unread: unknown[] }>(join(run.dir, 'effective.json')).unread).toHaveLength(1);
  });

  it('never reports the keys repro reads itself (inputs, paranoia, inputs_allow_empty) as unread', async () => {
    const root = makeProject({
      'data/a.csv': 'x\n',
      'c.json': { inputs: 'data/*.csv', paranoia: 'checksum', inputs_allow_empty: false, lr: 1 },
    });
    const { promise, warnings } = start(root, { config: 'c.json' });
    const run = await promise;
    run.finish();
    expect(warnings).toEqual(['repro: warning: "lr" was never read']);
    expect(
      json<{ files: { path: string }[] }>(join(run.dir, 'inputs.json')).files.map((f) => f.path),
    ).toEqual(['data/a.csv']);
  });

  it('warns about nested config values', async () => {
    const root = makeProject({ 'c.json': { loss: { l1: 1 } } });
    const { promise, warnings } = start(root, { config: 'c.json' });
    (await promise).finish();
    expect(warnings[0]).toContain('"loss_l1": 1');
  });

  it('resolves its source to the upstream folder, config and record', async () => {
    const root = makeProject({ 'configs/data.json': { n: 3 }, 'configs/model.json': { source: 'data' } });
    const data = await start(root, { config: 'configs/data.json' }).promise;
    data.finish();
    const model = await start(root, { config: 'configs/model.json' }).promise;
    const src = model.source();
    expect(src).toMatchObject({ name: 'data', dir: data.dir, config: { n: 3 } });
    expect(src.record?.config.name).toBe('data');
    model.finish();
  });

  it('refuses to start when the source is missing, and writes nothing', async () => {
    const root = makeProject({ 'configs/model.json': { source: 'data' } });
    await expect(start(root, { config: 'configs/model.json' }).promise).rejects.toMatchObject({
      code: 'REPRO_SOURCE_MISSING',
    });
    expect(existsSync(join(root, 'runs', 'model'))).toBe(false);
  });

  it('writes run.json before end.json even when the run ends before git answers', async () => {
    const root = makeProject({ 'c.json': { a: 1 } }, { git: true });
    const run = await start(root, { config: 'c.json' }).promise;
    run.finish();
    const record = json<RunRecord>(join(run.dir, 'run.json'));
    expect(record.git).toMatchObject({ branch: 'main', dirty: false });
    await run.recorded;
    expect(json<RunRecord>(join(run.dir, 'run.json'))).toEqual(record);
  });

  it('needs a config', async () => {
    const root = makeProject();
    await expect(start(root, { argv: [] }).promise).rejects.toMatchObject({ code: 'REPRO_USAGE' });
  });
});

const TRAIN_TS = `import { startRun } from 'repro';
const run = await startRun();
const lr = run.params.get('lr', 0.1);
const filters = run.params.get('filters', 5);
console.log(\`lr=\${lr} filters=\${filters} adopted=\${run.adopted}\`);
for (let step = 0; step < 3; step++) run.log({ step, loss: 1 / (step + 1) });
if (run.params.get('fail', false)) throw new Error('boom');
`;

describe('a TypeScript script using the API', () => {
  const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;

  it('runs standalone: makes its own folder, captures its output, ends itself', () => {
    const root = makeProject({ 'train.ts': TRAIN_TS, 'configs/model.json': { lr: 0.5, script: 'train.ts' } });
    const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('REPRO_')));
    const out = execFileSync(process.execPath, ['--import', tsx, 'train.ts', '-c', 'configs/model.json'], {
      cwd: root,
      env,
      encoding: 'utf8',
    });
    expect(out).toBe('lr=0.5 filters=5 adopted=false\n');
    const dir = join(root, 'runs', 'model');
    expect(readFileSync(join(dir, 'stdout.log'), 'utf8')).toBe(out);
    expect(json<EndRecord>(join(dir, 'end.json'))).toMatchObject({ status: 'done', exit_code: 0 });
    expect(json(join(dir, 'effective.json'))).toMatchObject({ defaults: { filters: 5, fail: false } });
    expect(json<RunRecord>(join(dir, 'run.json')).script?.path).toBe('train.ts');
  });

  it('records a thrown error as failed', () => {
    const root = makeProject({ 'train.ts': TRAIN_TS, 'configs/model.json': { fail: true } });
    expect(() =>
      execFileSync(process.execPath, ['--import', tsx, 'train.ts', '-c', 'configs/model.json'], {
        cwd: root,
        stdio: 'pipe',
      }),
    ).toThrow();
    const dir = join(root, 'runs', 'model');
    expect(json<EndRecord>(join(dir, 'end.json'))).toMatchObject({ status: 'failed', exit_code: 1 });
    expect(readFileSync(join(dir, 'stderr.log'), 'utf8')).toContain('boom');
  });

  it('adopts the folder that repro run made instead of making another', async () => {
    const root = makeProject({ 'train.ts': TRAIN_TS, 'configs/model.json': { lr: 0.5, script: 'train.ts' } });
    const r = await runRepro(root, ['run', 'configs/model.json', '--set', 'filters=7']);
    expect(r.stderr).not.toContain('error');
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('lr=0.5 filters=7 adopted=true\n');
    expect(readdirSync(join(root, 'runs'))).toEqual(['model~filters=7']);
    const dir = join(root, 'runs', 'model~filters=7');
    expect(json(join(dir, 'effective.json'))).toMatchObject({
      values: { filters: 7, lr: 0.5 },
      defaults: { fail: false },
    });
    expect(parseMetrics(readFileSync(join(dir, 'metrics.jsonl'), 'utf8'))).toEqual([
      { step: 0, loss: 1 },
      { step: 1, loss: 0.5 },
      { step: 2, loss: 1 / 3 },
    ]);
    expect(json<EndRecord>(join(dir, 'end.json'))).toMatchObject({ status: 'done' });
  });
});
