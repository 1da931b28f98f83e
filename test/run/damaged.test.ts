import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { findProject } from '../../src/project/project.ts';
import { createUiApp } from '../../src/ui/server.ts';
import { fakeRecord, isolateCache, makeProject, runRepro, writeFiles } from '../helpers.ts';

isolateCache();

// the API's JSON, read loosely: the assertions say what it must hold
// biome-ignore lint/suspicious/noExplicitAny: test reads of JSON bodies
type J = any;

const END = { status: 'done', exit_code: 0, signal: null, ended_at: '2026-01-01T00:01:00Z', duration_s: 60 };

/** A seeded generator (mulberry32): the same corruptions on every run, so a failure reproduces. */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const FILES = ['config.json', 'run.json', 'end.json', 'effective.json', 'metrics.jsonl', 'inputs.json'];
const JUNK: unknown[] = [null, [], {}, 0, 'text', true, [1, 2], { a: null }];

/** One corruption of one record file: what a crash, a script or a person could leave. */
function corrupt(text: string, rnd: () => number): string {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)] as T;
  switch (Math.floor(rnd() * 7)) {
    case 0:
      return JSON.stringify(pick(JUNK));
    case 1:
      return text.slice(0, Math.floor(rnd() * text.length)); // torn write
    case 2:
      return '\u0000\u00ff garbage {';
    case 3:
      return '';
    case 4:
      return `${text}${JSON.stringify(pick(JUNK))}\n`; // a bad line appended (metrics)
    default: {
      // one field, at any depth, swapped for a value of the wrong type
      let value: unknown;
      try {
        value = JSON.parse(text);
      } catch {
        return 'null';
      }
      const fields: [Record<string, unknown>, string][] = [];
      const walk = (v: unknown) => {
        if (typeof v !== 'object' || v === null) return;
        for (const [k, inner] of Object.entries(v)) {
          fields.push([v as Record<string, unknown>, k]);
          walk(inner);
        }
      };
      walk(value);
      if (fields.length) {
        const [obj, key] = pick(fields);
        obj[key] = pick(JUNK);
      }
      return JSON.stringify(value);
    }
  }
}

describe('damaged records', () => {
  it('a null line in metrics.jsonl, a run.json of [] and {"host": null} do not break listings', async () => {
    const root = makeProject({
      'configs/a.json': { lr: 1 },
      'configs/b.json': { lr: 2 },
      'configs/c.json': { lr: 3 },
      'runs/a/config.json': { lr: 1 },
      'runs/a/run.json': fakeRecord({
        name: 'a',
        config: { name: 'a', file: null, hash: '', base_hash: '' },
      }),
      'runs/a/end.json': END,
      'runs/a/metrics.jsonl': '{"step":0,"loss":1}\nnull\n[1]\nnot json\n{"step":1,"loss":0.5}\n',
      'runs/b/config.json': { lr: 2 },
      'runs/b/run.json': [],
      'runs/b/end.json': END,
      'runs/c/config.json': { lr: 3 },
      'runs/c/run.json': { ...fakeRecord({ name: 'c' }), host: null },
    });
    const ls = await runRepro(root, ['ls']);
    expect(ls.code).toBe(0);
    expect(ls.stdout).toMatch(/^a\s+done/m);
    expect(ls.stdout).toMatch(/^b\s+damaged/m);
    expect(ls.stdout).toMatch(/^c\s+damaged/m);
    // the reasons and the skipped lines are said, not dropped
    expect(ls.stderr).toContain('b: damaged: run.json: not an object (an array)');
    expect(ls.stderr).toContain('c: damaged: run.json: "host" lacks hostname');
    expect(ls.stderr).toContain('a: 3 lines of metrics.jsonl skipped');
    const json = JSON.parse((await runRepro(root, ['ls', '--json'])).stdout);
    expect(json.find((r: { name: string }) => r.name === 'a').metrics_skipped).toBe(3);
    expect(json.find((r: { name: string }) => r.name === 'a').metrics.loss.last).toBe(0.5);

    const status = await runRepro(root, ['status']);
    expect(status.code).toBe(1);
    expect(status.stdout).toMatch(/^b\s+damaged\s+run\.json: not an object/m);
    expect(status.stderr).not.toContain('bug in repro');

    const plot = await runRepro(root, ['plot', 'runs/a', 'runs/b']);
    expect(plot.code).toBe(0);
    const check = await runRepro(root, ['check']);
    expect(check.stdout).toContain('runs/b: damaged: run.json: not an object (an array)');

    const app = createUiApp({ project: findProject({ cwd: root }) });
    const runs: J = await (await app.request('/api/runs')).json();
    expect(runs.runs.map((r: { status: string }) => r.status).sort()).toEqual(['damaged', 'damaged', 'done']);
    const page: J = await (await app.request('/api/runs/a')).json();
    expect(page.metrics_skipped).toBe(3);
  });

  it('fuzz: random corruption of each record file across 200 results never breaks a command', async () => {
    const rnd = random(Number(process.env.REPRO_FUZZ_SEED ?? 20261128));
    const files: Record<string, string | object> = {};
    for (let i = 0; i < 200; i++) {
      const name = `m${i}`;
      const config = { lr: i / 1000, source: i % 10 ? `m${i - 1}` : undefined };
      files[`configs/${name}.json`] = config;
      files[`runs/${name}/config.json`] = config;
      files[`runs/${name}/run.json`] = fakeRecord({
        name,
        started_at: new Date(Date.UTC(2026, 0, 1, 0, i)).toISOString(),
        config: { name, file: `configs/${name}.json`, hash: 'sha256:x', base_hash: 'sha256:y' },
        sources: i % 10 ? [{ name: `m${i - 1}`, started_at: null, config_hash: null }] : [],
      });
      files[`runs/${name}/end.json`] = {
        ...END,
        ended_at: new Date(Date.UTC(2026, 0, 1, 0, i, 30)).toISOString(),
      };
      files[`runs/${name}/effective.json`] = { values: { lr: i / 1000 }, defaults: { seed: 0 }, unread: [] };
      files[`runs/${name}/metrics.jsonl`] = '{"step":0,"loss":1}\n{"step":1,"loss":0.5}\n';
      files[`runs/${name}/inputs.json`] = { level: 'path', patterns: ['data/*'], files: {} };
    }
    const root = makeProject(files);
    // each result gets one or two corruptions, of files picked at random
    const damaged = new Set<string>();
    for (const name of readdirSync(join(root, 'runs'))) {
      for (let k = 0; k < 1 + Math.floor(rnd() * 2); k++) {
        const file = join(root, 'runs', name, FILES[Math.floor(rnd() * FILES.length)] as string);
        writeFileSync(file, corrupt(readFileSync(file, 'utf8'), rnd));
        damaged.add(name);
      }
    }
    expect(damaged.size).toBe(200);
    writeFiles(root, {}); // the corruption is on disk before any command reads
    const commands = [
      ['ls'],
      ['ls', '--json'],
      ['ls', '--sort=-loss', '--where', 'lr>0.05'],
      ['status'],
      ['status', 'm55'],
      ['graph'],
      ['graph', '--format', 'mermaid'],
      ['check'],
      ['plot', 'runs/m1*'],
      ['diff', 'runs/m3', 'runs/m4', 'runs/m5'],
      ['tree'],
      ['make', '--dry-run', 'm99'],
      ['rm', '--dry-run', 'm7'],
    ];
    for (const args of commands) {
      const r = await runRepro(root, args);
      const said = `repro ${args.join(' ')} -> ${r.code}\n${r.stderr.slice(0, 2000)}`;
      expect([0, 1, 2], said).toContain(r.code);
      expect(r.stderr, said).not.toMatch(/bug in repro|\n\s+at .*\(.*:\d+:\d+\)/);
    }
    const app = createUiApp({ project: findProject({ cwd: root }) });
    const list = await app.request('/api/runs');
    expect(list.status).toBe(200);
    const body: J = await list.json();
    expect(body.runs.length).toBe(200);
    for (const name of ['m0', 'm1', 'm50', 'm199']) {
      const r = await app.request(`/api/runs/${name}`);
      expect(r.status, name).toBe(200);
    }
  });
});
