import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decimate, loadSeries, renderPng, renderSvg, renderTerminal, smooth } from '../../src/plot/plot.ts';
import { makeProject, runRepro } from '../helpers.ts';

const rows = (n: number, f: (i: number) => number, key = 'loss') =>
  `${Array.from({ length: n }, (_, i) => JSON.stringify({ step: i, [key]: f(i) })).join('\n')}\n`;

function project() {
  return makeProject({
    'runs/model/config.json': { lr: 0.1 },
    'runs/model/metrics.jsonl': rows(100, (i) => 1 / (i + 1)),
    'runs/modela/config.json': { lr: 0.2 },
    'runs/modela/metrics.jsonl': rows(50, (i) => 2 / (i + 1)),
    'runs/evaluation/config.json': {},
    'runs/evaluation/metrics.jsonl': rows(1, () => 0.9, 'accuracy'),
  });
}

describe('plot', () => {
  it('loads the metric of each run, warns about runs without it', () => {
    const root = project();
    const warnings: string[] = [];
    const { series, missing } = loadSeries(['runs/*'], { cwd: root, warn: (l) => warnings.push(l) });
    expect(series.map((s) => [s.name, s.points.length])).toEqual([
      ['model', 100],
      ['modela', 50],
    ]);
    expect(missing).toEqual(['evaluation']);
    expect(warnings).toEqual(['repro: warning: no "loss" in evaluation']);
    // a config name stands for its result
    expect(loadSeries(['model'], { cwd: root }).series[0]?.points[0]).toEqual({ x: 0, y: 1 });
  });

  it('writes the ticks as plain numbers while they are short, else with an exponent', () => {
    const labels = (points: { x: number; y: number }[]) => {
      const svg = renderSvg([{ name: 'r', points }], { metric: 'loss', x: 'step' });
      return [...svg.matchAll(/fill="#333">([^<]*)<\/text>/g)].map((m) => m[1]);
    };
    // 909 steps and losses under 1: d3's "g" wrote the steps as 1e+2 … 9e+2
    const steps = labels(Array.from({ length: 910 }, (_, i) => ({ x: i, y: 0.7 - i / 1400 })));
    expect(steps).toEqual(expect.arrayContaining(['0', '100', '500', '900', '1000', '0.1', '0.7']));
    expect(steps.filter((l) => /e/.test(l as string))).toEqual([]);
    // tokens by the billion, and a loss by the ten-millionth: exponents
    const big = labels([
      { x: 0, y: 1e-7 },
      { x: 1e9, y: 9e-7 },
    ]);
    expect(big).toEqual(expect.arrayContaining(['5e+8', '1e+9', '5e-7']));
  });

  it('refuses a metric that no run has', () => {
    expect(() => loadSeries(['runs/*'], { cwd: project(), metric: 'bleu' })).toThrow(
      expect.objectContaining({ code: 'REPRO_METRIC_MISSING' }),
    );
  });

  it('smooths with a trailing mean and keeps extremes when decimating', () => {
    expect(
      smooth(
        [1, 3, 5, 7].map((y, x) => ({ x, y })),
        2,
      ).map((p) => p.y),
    ).toEqual([1, 2, 4, 6]);
    const spiky = Array.from({ length: 10_000 }, (_, x) => ({ x, y: x === 5_000 ? 100 : 0 }));
    const few = decimate(spiky, 100);
    expect(few.length).toBeLessThanOrEqual(200);
    expect(Math.max(...few.map((p) => p.y))).toBe(100);
  });

  it('draws an SVG with one line per run, axes labelled and a legend', () => {
    const { series } = loadSeries(['runs/model', 'runs/modela'], { cwd: project() });
    const svg = renderSvg(series, { metric: 'loss', x: 'step', title: 'a <b> title' });
    expect(svg.match(/<path d="M/g)).toHaveLength(2);
    expect(svg).toContain('>step</text>');
    expect(svg).toContain('>loss</text>');
    expect(svg).toContain('>modela</text>');
    expect(svg).toContain('a &#60;b&#62; title');
  });

  it('renders a PNG', async () => {
    const { series } = loadSeries(['runs/model'], { cwd: project() });
    const png = await renderPng(renderSvg(series, { metric: 'loss', x: 'step', width: 400, height: 300 }));
    expect(png.subarray(1, 4).toString()).toBe('PNG');
    expect(png.readUInt32BE(16)).toBe(400);
    expect(png.readUInt32BE(20)).toBe(300);
  });

  it('draws a readable chart for a terminal', async () => {
    const { series } = loadSeries(['runs/model', 'runs/modela'], { cwd: project() });
    const text = await renderTerminal(series, {
      metric: 'loss',
      x: 'step',
      width: 80,
      height: 24,
      color: false,
    });
    const lines = text.split('\n');
    expect(lines[0]).toBe('loss');
    expect(lines.some((l) => l.includes('┤'))).toBe(true);
    expect(lines.at(-1)).toBe('── model   ── modela');
    expect(Math.max(...lines.map((l) => l.length))).toBeLessThanOrEqual(80);
  });
});

describe('repro plot (binary)', () => {
  it('writes svg, png and html, never over an existing file', async () => {
    const root = project();
    for (const file of ['losses.svg', 'losses.png', 'losses.html']) {
      const r = await runRepro(root, [
        'plot',
        'runs/model',
        'runs/modela',
        '--smooth',
        '3',
        '--log-y',
        '-o',
        file,
      ]);
      expect(r.stderr).toBe(`wrote ${file}: 2 runs\n`);
      expect(existsSync(join(root, file))).toBe(true);
    }
    expect(readFileSync(join(root, 'losses.html'), 'utf8')).toContain('<svg');
    const again = await runRepro(root, ['plot', 'runs/model', '-o', 'losses.svg']);
    expect(again.code).toBe(2);
    expect(again.stderr).toContain('losses.svg already exists');
    const none = await runRepro(root, ['plot', 'runs/*', '--metric', 'bleu']);
    expect(none.code).toBe(1);
    expect(none.stderr).toContain('no run has the metric "bleu"');
  });
});
