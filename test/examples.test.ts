import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseMetrics } from '../src/run/metrics.ts';
import { REPO, runCli } from './helpers.ts';

// The example project, copied to a scratch folder laid out like the repository: the raw data
// is found at ../../node_modules as in examples/spam, and `import 'repro'` resolves to this
// checkout.
let tmp: string;
let project: string;
beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), 'repro-example-'));
  project = join(tmp, 'examples', 'spam');
  cpSync(join(REPO, 'examples', 'spam'), project, {
    recursive: true,
    filter: (src) => !src.includes('/runs'),
  });
  symlinkSync(join(REPO, 'node_modules'), join(tmp, 'node_modules'));
  mkdirSync(join(project, 'node_modules'));
  symlinkSync(REPO, join(project, 'node_modules', 'repro'));
  // ES modules, as in the repository; `repro` comes from node_modules here, not by self-reference
  writeFileSync(join(tmp, 'package.json'), '{"private": true, "type": "module"}\n');
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const read = (run: string, file: string) => readFileSync(join(project, 'runs', run, file), 'utf8');

describe('the example pipeline (SpamAssassin corpus)', () => {
  it('runs data -> augmentation -> model -> evaluation, predict and export, in TypeScript and Python', async () => {
    for (const config of [
      'data',
      'augmentation',
      'model',
      'modela',
      'evaluation',
      'evaluationa',
      'prediction',
      'export',
    ]) {
      const r = await runCli(project, ['run', `configs/${config}.json`]);
      expect({ config, code: r.code, stderr: r.code ? r.stderr : '' }).toEqual({
        config,
        code: 0,
        stderr: '',
      });
    }
    // real data: all ~6,000 e-mails packed
    expect(JSON.parse(read('data', 'metadata.json'))).toMatchObject({
      files: 6046,
      counts: { ham: 4150, spam: 1896 },
    });

    // a real model: the loss falls, and the Python evaluation finds it good on held-out mail
    const losses = parseMetrics(read('model', 'metrics.jsonl')).map((r) => r.loss as number);
    expect(losses.length).toBeGreaterThan(500);
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    expect(mean(losses.slice(-50))).toBeLessThan(mean(losses.slice(0, 50)) / 3);
    const report = JSON.parse(read('evaluation', 'report.json'));
    expect(report.n).toBe(1209);
    expect(report.accuracy).toBeGreaterThan(0.95);
    expect(parseMetrics(read('evaluation', 'metrics.jsonl'))[0]?.accuracy).toBe(report.accuracy);

    // the old config lacks "bigrams" and got the default; the new one set it
    expect(JSON.parse(read('model', 'effective.json')).defaults).toEqual({ bigrams: false });
    expect(JSON.parse(read('modela', 'effective.json')).values.bigrams).toBe(true);
    expect(JSON.parse(read('modela', 'effective.json')).unread).toEqual([]);

    const predictions = read('prediction', 'predictions.jsonl')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(predictions.map((p) => p.label)).toEqual(['ham', 'spam']);
    expect(read('export', 'spam_filter.mjs')).toContain('export function spamProbability');
  }, 180_000);

  it('keeps the promise: make builds every target from configs alone, and verify --all reproduces each exactly', async () => {
    // a fresh copy: nothing but configs, scripts and the raw data
    const fresh = join(tmp, 'fresh', 'examples', 'spam');
    cpSync(join(REPO, 'examples', 'spam'), fresh, {
      recursive: true,
      filter: (src) => !src.includes('/runs'),
    });
    symlinkSync(join(REPO, 'node_modules'), join(tmp, 'fresh', 'node_modules'));
    mkdirSync(join(fresh, 'node_modules'));
    symlinkSync(REPO, join(fresh, 'node_modules', 'repro'));
    writeFileSync(join(tmp, 'fresh', 'package.json'), '{"private": true, "type": "module"}\n');
    const made = await runCli(fresh, ['make', 'evaluation', 'evaluationa', 'prediction', 'export']);
    expect(made.code, made.stderr).toBe(0);
    expect(made.stdout).toMatch(/^8 ran, 0 failed/m);
    const python = JSON.parse(readFileSync(join(fresh, 'runs', 'evaluation', 'run.json'), 'utf8'));
    expect(python.env.PYTHONHASHSEED).toBe('0');

    const verified = await runCli(fresh, ['verify', '--all']);
    expect(verified.stdout.match(/: reproduced/g)?.length, verified.stdout).toBe(8);
    expect(verified.stdout).not.toContain('NOT reproduced');
    expect(verified.code).toBe(0);
  }, 240_000);

  it('reproduces the model byte for byte from its config', async () => {
    const r = await runCli(project, ['run', 'configs/model.json', '--postfix', 'again']);
    expect(r.code).toBe(0);
    expect(read('model~again', 'model.json')).toBe(read('model', 'model.json'));
    expect(read('model~again', 'metrics.jsonl')).toBe(read('model', 'metrics.jsonl'));
  }, 60_000);
});
