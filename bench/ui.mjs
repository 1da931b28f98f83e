// Benchmark: the dashboard over 10,000 results in headless Chromium (Debian's, via
// playwright-core): the runs list API warm, the runs page from navigation to rows on screen,
// and the compare chart of 50 runs x 10,000 points to its first draw. The baseline in the same
// run is loading a static file of the same server (app.css), the floor of any navigation.
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { findProject } from '../src/project/project.ts';
import { serveUi } from '../src/ui/server.ts';
import { launchChromium } from '../test/browser.ts';
import { fmt, median } from './lib.mjs';

const DATA = join(import.meta.dirname, '.data', 'ui');

function generate() {
  if (existsSync(join(DATA, '.complete'))) return;
  mkdirSync(join(DATA, 'runs'), { recursive: true });
  writeFileSync(join(DATA, 'repro.json'), '{}\n');
  for (let i = 0; i < 10_000; i++) {
    const name = `r${String(i).padStart(5, '0')}`;
    const dir = join(DATA, 'runs', name);
    mkdirSync(dir);
    writeFileSync(
      join(dir, 'config.json'),
      JSON.stringify({
        lr: [0.1, 0.01, 0.001][i % 3],
        batch: [16, 32, 64, 128][i % 4],
        seed: i % 10,
        arch: ['a', 'b'][i % 2],
      }),
    );
    writeFileSync(
      join(dir, 'run.json'),
      JSON.stringify({
        format: 1,
        name,
        config: { name },
        host: { hostname: 'x' },
        pid: 1,
        started_at: new Date(Date.UTC(2026, 0, 1) + i * 1000).toISOString(),
      }),
    );
    writeFileSync(
      join(dir, 'end.json'),
      JSON.stringify({ status: 'done', exit_code: 0, signal: null, ended_at: 'x', duration_s: i % 600 }),
    );
    const points = i < 50 ? 10_000 : i < 500 ? 100 : 0;
    if (points) {
      let loss = 2;
      const lines = [];
      for (let s = 0; s < points; s++) {
        loss = loss * 0.9995 + 0.001 * Math.sin(s + i);
        lines.push(`{"step":${s},"loss":${loss.toFixed(5)}}`);
      }
      writeFileSync(join(dir, 'metrics.jsonl'), `${lines.join('\n')}\n`);
    }
  }
  writeFileSync(join(DATA, '.complete'), '');
}

export async function benchUi({ rounds = 5 } = {}) {
  generate();
  const cache = join(DATA, '.cache');
  process.env.XDG_CACHE_HOME = cache;
  const { url, close } = await serveUi({ project: findProject({ cwd: DATA }), port: 0 });
  const base = url.replace(/\/$/, '');
  const browser = await launchChromium();
  try {
    // warm: the ls cache and the page cache
    await (await fetch(`${base}/api/runs`)).arrayBuffer();
    const api = [];
    const blank = [];
    const runsPage = [];
    const chart = [];
    const sel = Array.from({ length: 50 }, (_, i) => `r${String(i).padStart(5, '0')}`).join(',');
    for (let i = 0; i < rounds; i++) {
      let t = performance.now();
      await (await fetch(`${base}/api/runs`)).arrayBuffer();
      api.push(performance.now() - t);
      const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
      t = performance.now();
      await page.goto(`${base}/app.css`);
      blank.push(performance.now() - t);
      await page.goto('about:blank');
      t = performance.now();
      await page.goto(`${base}/#/runs`);
      await page.waitForSelector('.row[data-name]');
      runsPage.push(performance.now() - t);
      await page.goto('about:blank');
      t = performance.now();
      await page.goto(`${base}/#/compare?sel=${sel}&metric=loss`);
      await page.waitForSelector('.uplot canvas');
      chart.push(performance.now() - t);
      await page.close();
    }
    return {
      title: 'the dashboard over 10,000 results (headless Chromium)',
      head: ['what', 'median', 'target'],
      rows: [
        ['`GET /api/runs` (10,000 results), warm', fmt(median(api)), '< 300 ms'],
        ['a static file (app.css), navigation (baseline)', fmt(median(blank)), ''],
        ['runs page, navigation to rows on screen', fmt(median(runsPage)), '< 1.5 s'],
        ['compare, 50 runs × 10,000 points, navigation to the chart drawn', fmt(median(chart)), '< 500 ms'],
      ],
      note: `${rounds} rounds; the server in the benchmark's process; data from bench/ui.mjs in bench/.data/ui.`,
    };
  } finally {
    await browser.close();
    await close();
  }
}
