import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findProject } from '../../src/project/project.ts';
import { serveUi } from '../../src/ui/server.ts';
import { launchChromium } from '../browser.ts';
import { fakeRecord, makeProject, REPO } from '../helpers.ts';

// UPDATE_SCREENSHOTS=1 npm test -- test/ui/e2e.test.ts refreshes the pictures in docs/screenshots
const SHOTS = process.env.UPDATE_SCREENSHOTS ? join(REPO, 'docs', 'screenshots') : null;

const end = (s: number) => ({
  status: 'done',
  exit_code: 0,
  signal: null,
  ended_at: '2026-01-01T01:00:00Z',
  duration_s: s,
});
const curve = (scale: number) =>
  `${Array.from({ length: 300 }, (_, s) => JSON.stringify({ step: s, loss: scale * (1 / (1 + s / 20)) + 0.02 * Math.sin(s / 5) })).join('\n')}\n`;

let browser: Browser;
let url: string;
let close: () => Promise<void>;
beforeAll(async () => {
  const root = makeProject({
    'configs/data.json': { glob: 'data/*.txt' },
    'configs/model.json': { lr: 0.5, source: 'data' },
    'configs/modela.json': { lr: 0.5, bigrams: true, source: 'data' },
    'runs/data/config.json': { glob: 'data/*.txt' },
    'runs/data/run.json': fakeRecord({ name: 'data', started_at: '2026-01-01T00:00:00Z' }),
    'runs/data/end.json': end(4),
    'runs/model/config.json': { lr: 0.5, source: 'data', note: '<img src=x onerror=window.__xss=1>' },
    'runs/model/run.json': fakeRecord({ name: 'model', started_at: '2026-01-01T00:01:00Z' }),
    'runs/model/end.json': end(61),
    'runs/model/metrics.jsonl': curve(1),
    'runs/model/effective.json': {
      values: { lr: 0.5, bigrams: false },
      defaults: { bigrams: false },
      unread: [],
    },
    'runs/modela/config.json': { lr: 0.5, bigrams: true, source: 'data' },
    'runs/modela/run.json': fakeRecord({ name: 'modela', started_at: '2026-01-01T00:02:00Z' }),
    'runs/modela/end.json': end(75),
    'runs/modela/metrics.jsonl': curve(0.8),
  });
  ({ url, close } = await serveUi({ project: findProject({ cwd: root }), port: 0 }));
  browser = await launchChromium();
  if (SHOTS) mkdirSync(SHOTS, { recursive: true });
}, 60_000);
afterAll(async () => {
  await browser?.close();
  await close?.();
});

describe('the dashboard in Chromium', () => {
  it('sorts runs by a metric, compares two, opens one; config values stay text', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    let dialog = false;
    page.on('dialog', async (d) => {
      dialog = true;
      await d.dismiss();
    });
    await page.goto(`${url}#/runs`);
    await page.waitForSelector('.row[data-name="modela"]');
    // sort by loss, ascending: modela (lower loss) first among those with the metric
    await page.click('.row.head .cell:text-is("loss")');
    await page.waitForFunction('location.hash.includes("sort=loss")');
    await page.waitForSelector('.row[data-name="model"]');
    const order = await page.$$eval('.row[data-name]', (rows) =>
      rows.map((r) => r.getAttribute('data-name')),
    );
    expect(order.slice(0, 2)).toEqual(['modela', 'model']);
    if (SHOTS) await page.screenshot({ path: join(SHOTS, 'runs.png') });

    await page.check('.row[data-name="model"] input[type=checkbox]');
    await page.check('.row[data-name="modela"] input[type=checkbox]');
    await page.click('button:has-text("Compare 2 selected")');
    await page.waitForSelector('table.diff');
    await page.waitForSelector('.uplot canvas');
    const header = await page.$$eval('table.diff th', (ths) => ths.map((t) => t.textContent));
    expect(header).toEqual(['name', 'note', 'bigrams']);
    expect(await page.textContent('table.diff')).toContain('false (default)');
    const lines = await page.$$eval('.u-legend .u-series', (s) => s.length);
    expect(lines).toBe(3); // x, model, modela
    expect(page.url()).toContain('sel=');
    if (SHOTS) await page.screenshot({ path: join(SHOTS, 'compare.png') });

    await page.goto(`${url}#/run/model`);
    await page.waitForSelector('h2:text-is("config")');
    expect(await page.textContent('pre')).toContain('<img src=x onerror=window.__xss=1>');
    expect(await page.$$('main img')).toHaveLength(0);
    expect(await page.evaluate('window.__xss')).toBeUndefined();
    expect(dialog).toBe(false);
    if (SHOTS) await page.screenshot({ path: join(SHOTS, 'run.png'), fullPage: true });

    await page.goto(`${url}#/graph`);
    await page.waitForSelector('svg g[data-name="modela"]');
    if (SHOTS) await page.screenshot({ path: join(SHOTS, 'graph.png') });
    await page.goto(`${url}#/tree`);
    await page.waitForSelector('main svg');
    if (SHOTS) await page.screenshot({ path: join(SHOTS, 'tree.png') });
    await page.close();
  }, 60_000);

  it('works in token mode: the page loads, sends its token, and shows the runs', async () => {
    const root = makeProject({
      'runs/model/config.json': { lr: 0.5 },
      'runs/model/run.json': fakeRecord({ name: 'model', started_at: '2026-01-01T00:01:00Z' }),
      'runs/model/end.json': end(61),
      'runs/model/metrics.jsonl': curve(1),
    });
    const served = await serveUi({ project: findProject({ cwd: root }), port: 0, token: 't0ken' });
    try {
      expect(served.url).toContain('?token=t0ken');
      const page = await browser.newPage();
      const failed: string[] = [];
      page.on('response', (r) => {
        if (r.status() >= 400) failed.push(`${r.status()} ${new URL(r.url()).pathname}`);
      });
      await page.goto(`${served.url}#/runs`);
      await page.waitForSelector('.row[data-name="model"]');
      expect(failed).toEqual([]);
      await page.close();
    } finally {
      await served.close();
    }
  }, 60_000);
});
