import { appendFileSync, statSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { findProject } from '../../src/project/project.ts';
import { createUiApp, lastRunsList } from '../../src/ui/server.ts';
import { fakeRecord, makeProject, settle, writeFiles } from '../helpers.ts';

// the API's JSON, read loosely: the assertions say what it must hold
// biome-ignore lint/suspicious/noExplicitAny: test reads of JSON bodies
type J = any;
const json = async (r: Response | Promise<Response>): Promise<J> => (await r).json();

const end = { status: 'done', exit_code: 0, signal: null, ended_at: '2026-01-01T00:01:00Z', duration_s: 60 };
const metrics = (k: number) =>
  `${[0, 1, 2].map((s) => JSON.stringify({ step: s, loss: k / (s + 1) })).join('\n')}\n`;

function project() {
  const root = makeProject({
    'configs/model.json': { lr: 0.1 },
    'runs/model/config.json': { lr: 0.1, note: '<img src=x onerror=alert(1)>' },
    'runs/model/run.json': fakeRecord({ name: 'model', started_at: '2026-01-01T00:00:00Z' }),
    'runs/model/end.json': end,
    'runs/model/metrics.jsonl': metrics(1),
    'runs/model/out/weights.txt': 'w',
    'runs/modela/config.json': { lr: 0.2, source: 'model' },
    'runs/modela/run.json': fakeRecord({ name: 'modela', started_at: '2026-01-01T00:02:00Z' }),
    'runs/modela/end.json': end,
    'runs/modela/metrics.jsonl': metrics(2),
    'runs/modela/stdout.log': 'line 1\nline 2\n',
    'secret.txt': 'not for the web',
  });
  return { root, app: createUiApp({ project: findProject({ cwd: root }) }) };
}

describe('the dashboard API', () => {
  it('lists the runs with differing keys and metrics', async () => {
    const { app } = project();
    const r = await app.request('/api/runs');
    expect(r.status).toBe(200);
    const body: J = await json(r);
    expect(body.runs.map((x: { name: string }) => x.name)).toEqual(['model', 'modela']);
    expect(body.keys).toEqual(['lr', 'note', 'source']);
    expect(body.metrics).toEqual(['loss']);
    expect(body.runs[1].metrics.loss).toEqual({ last: 2 / 3, best: 2 / 3, count: 3 });
  });

  it('lists the runs at start-up for the first page, and never serves that listing once a result came or went', async () => {
    const { root } = project();
    const names = async (app: ReturnType<typeof createUiApp>, q = '') =>
      ((await json(app.request(`/api/runs${q}`))).runs as { name: string }[]).map((x) => x.name);
    const warm = createUiApp({ project: findProject({ cwd: root }), warm: true });
    await new Promise((r) => setTimeout(r, 50));
    expect(await names(warm)).toEqual(['model', 'modela']);
    // a result added after the start-up listing: the next server's first request lists afresh
    const later = createUiApp({ project: findProject({ cwd: root }), warm: true });
    await new Promise((r) => setTimeout(r, 50));
    writeFiles(root, {
      'runs/modelb/config.json': { lr: 0.3 },
      'runs/modelb/run.json': fakeRecord({ name: 'modelb', started_at: '2026-01-01T00:04:00Z' }),
      'runs/modelb/end.json': end,
    });
    expect(await names(later)).toEqual(['model', 'modela', 'modelb']);
    expect(await names(later, '?upstream=1')).toEqual(['model', 'modela', 'modelb']);
  });

  it('shows one run: config, record, files, sources and dependents, log tail', async () => {
    const { root, app } = project();
    // a config built on it that has not run: named apart, not linked as a result
    writeFiles(root, { 'configs/later.json': { source: 'model' } });
    const run = await json(app.request('/api/runs/model'));
    expect(run).toMatchObject({
      name: 'model',
      status: 'done',
      dependents: ['modela'],
      unbuilt: ['later'],
      sources: [],
    });
    expect(run.files.map((f: { path: string }) => f.path)).toEqual([
      'config.json',
      'end.json',
      'metrics.jsonl',
      'out/weights.txt',
      'run.json',
    ]);
    expect(await (await app.request('/api/runs/modela/log/stdout?tail=1')).text()).toBe('line 2\n');
    expect((await app.request('/api/runs/nope')).status).toBe(404);
  });

  it('diffs configs and serves metric series', async () => {
    const { app } = project();
    const diff = await json(app.request('/api/diff?runs=model,modela'));
    expect(diff.keys).toEqual(['lr', 'note', 'source']);
    expect(diff.missing).toEqual([]);
    // a name with no folder is said, not dropped in silence; none found at all is a 404 naming them
    const some = await json(
      app.request(`/api/diff?run=model&run=nope&run=${encodeURIComponent('model,modela')}`),
    );
    expect(some.rows.map((r: J) => r.name)).toEqual(['model']);
    expect(some.missing).toEqual(['nope', 'model,modela']);
    const none = await app.request('/api/diff?run=nope');
    expect(none.status).toBe(404);
    expect(await none.json()).toEqual({ error: 'no run named "nope"' });
    expect((await app.request('/api/diff')).status).toBe(400);
    const series = await json(app.request('/api/series?runs=model,modela&metric=loss'));
    expect(series.series[1]).toEqual({
      name: 'modela',
      metric: 'loss',
      x: [0, 1, 2],
      y: [2, 1, 2 / 3],
      summary: { final: 2 / 3, best: 2 / 3, min: 2 / 3, max: 2, count: 3 },
    });
    // names go one per parameter, encoded: a name may hold "," (model~epochs=2,lr=0.2)
    const encoded = await json(
      app.request(`/api/series?run=model&run=${encodeURIComponent('modela')}&metric=loss`),
    );
    expect(encoded.series.map((x: J) => x.name)).toEqual(['model', 'modela']);
    expect(encoded.xs).toEqual(['step', 'index']);
    // several metrics in one request: a series for each run and metric
    const both = await json(app.request('/api/series?runs=model,modela&metric=loss&metric=nope'));
    expect(both.series.map((x: J) => `${x.name}/${x.metric}/${x.x.length}`)).toEqual([
      'model/loss/3',
      'model/nope/0',
      'modela/loss/3',
      'modela/nope/0',
    ]);
  });

  it('serves the graph, the tree and the page', async () => {
    const { app } = project();
    const graph = await json(app.request('/api/graph'));
    expect(graph.edges).toEqual([{ from: 'model', to: 'modela' }]);
    const tree = await app.request('/api/tree.svg');
    expect(tree.headers.get('content-type')).toContain('image/svg+xml');
    expect(await tree.text()).toContain('>modela</text>');
    expect(await (await app.request('/')).text()).toContain('<script type="module" src="app.js">');
  });

  it('downloads files inside a result and refuses every way out', async () => {
    const { root, app } = project();
    const ok = await app.request('/api/runs/model/file/out/weights.txt');
    expect(ok.status).toBe(200);
    expect(await ok.text()).toBe('w');
    symlinkSync(join(root, 'secret.txt'), join(root, 'runs/model/link.txt'));
    writeFiles(root, { 'runs/model/inside.txt': 'in' });
    symlinkSync(join(root, 'runs/model/inside.txt'), join(root, 'runs/model/good-link.txt'));
    // a link to a sibling result is a way out too
    symlinkSync(join(root, 'runs/modela/stdout.log'), join(root, 'runs/model/sibling.txt'));
    for (const bad of [
      '/api/runs/model/file/sibling.txt',
      '/api/runs/model/file/../../secret.txt',
      '/api/runs/model/file/%2e%2e/%2e%2e/secret.txt',
      '/api/runs/model/file/%2E%2E%2F%2E%2E%2Fsecret.txt',
      '/api/runs/model/file/%2Fetc%2Fpasswd',
      '/api/runs/model/file/link.txt',
      '/api/runs/..%2F..%2Fsecret.txt/file/x',
    ]) {
      const r = await app.request(bad);
      expect({ bad, status: r.status }).toEqual({ bad, status: expect.any(Number) });
      expect([403, 404]).toContain(r.status);
      expect(await r.text()).not.toContain('not for the web');
    }
    expect((await app.request('/api/runs/model/file/good-link.txt')).status).toBe(200);
  });

  it('previews a file: its first bytes as text, a picture inline with no script of its own', async () => {
    const { root, app } = project();
    writeFiles(root, {
      'runs/model/big.txt': 'x'.repeat(300_000),
      'runs/model/plot.svg': '<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
    });
    const head = await app.request('/api/runs/model/file/big.txt?head=1024');
    expect(head.status).toBe(200);
    expect(head.headers.get('content-type')).toContain('text/plain');
    expect(head.headers.get('x-total-size')).toBe('300000');
    expect((await head.text()).length).toBe(1024);
    expect((await app.request('/api/runs/model/file/big.txt?head=999999999')).status).toBe(400);
    const svg = await app.request('/api/runs/model/file/plot.svg?inline=1');
    expect(svg.headers.get('content-type')).toBe('image/svg+xml');
    expect(svg.headers.get('content-security-policy')).toContain('sandbox');
    expect(svg.headers.get('content-disposition')).toBeNull();
    // only pictures inline; everything else is a download
    expect((await app.request('/api/runs/model/file/big.txt?inline=1')).status).toBe(415);
    expect((await app.request('/api/runs/model/file/plot.svg')).headers.get('content-disposition')).toContain(
      'attachment',
    );
    // the way out stays closed with ?head too
    expect([403, 404]).toContain((await app.request('/api/runs/model/file/../../secret.txt?head=10')).status);
  });

  it('needs the token when one is set', async () => {
    const { root } = project();
    const app = createUiApp({ project: findProject({ cwd: root }), token: 's3cret' });
    expect((await app.request('/api/runs')).status).toBe(401);
    expect((await app.request('/api/runs?token=wrong')).status).toBe(401);
    expect((await app.request('/api/runs?token=s3cret')).status).toBe(200);
    expect((await app.request('/api/runs', { headers: { authorization: 'Bearer s3cret' } })).status).toBe(
      200,
    );
    expect((await app.request('/api/events?token=s3cre')).status).toBe(401);
    // the page and its script hold no data: they load without the token, so a page opened with
    // ?token= can send it (the dashboard was blank in token mode when they needed it)
    for (const path of ['/', '/app.js', '/app.css']) expect((await app.request(path)).status, path).toBe(200);
  });
});

describe('the dashboard against a hostile page or a large file', () => {
  it('refuses a Host that is a name it was not given (DNS rebinding), answers IPs and localhost', async () => {
    const { app } = project();
    const at = (host: string) => app.request(`http://${host}/api/runs`);
    for (const host of ['127.0.0.1:8080', 'localhost:8080', '[::1]:8080', '10.1.2.3']) {
      expect((await at(host)).status, host).toBe(200);
    }
    const evil = await at('attacker.example:8080');
    expect(evil.status).toBe(403);
    expect(await evil.text()).toContain('--allow-host attacker.example');
    const named = createUiApp({ project: findProject({ cwd: project().root }), allowedHosts: ['lab.box'] });
    expect((await named.request('http://lab.box/api/runs')).status).toBe(200);
    // every response says what the page may load and that it must not be framed
    const r = await at('127.0.0.1');
    expect(r.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
    expect(r.headers.get('x-content-type-options')).toBe('nosniff');
    expect(evil.headers.get('content-security-policy')).toContain("default-src 'self'");
  });

  it('reads a log tail from the end, bounds tail, and streams a large download', async () => {
    const { root, app } = project();
    const log = join(root, 'runs/modela/stdout.log');
    // 40 MB of log: the tail costs its own size, not the file's
    const line = `${'x'.repeat(99)}\n`;
    const block = line.repeat(10_000);
    for (let i = 0; i < 40; i++) appendFileSync(log, block);
    appendFileSync(log, 'the last line\n');
    const heap = process.memoryUsage().rss;
    const r = await app.request('/api/runs/modela/log/stdout?tail=3');
    expect(await r.text()).toBe(`${line}${line}the last line\n`);
    expect(process.memoryUsage().rss - heap).toBeLessThan(30 * 1024 * 1024);
    for (const bad of ['-1', '0', '5001', 'x', '1.5']) {
      expect((await app.request(`/api/runs/modela/log/stdout?tail=${bad}`)).status, bad).toBe(400);
    }
    const big = await app.request('/api/runs/modela/file/stdout.log');
    expect(big.headers.get('content-length')).toBe(String(statSync(log).size));
    let bytes = 0;
    for await (const chunk of big.body as unknown as AsyncIterable<Uint8Array>) bytes += chunk.length;
    expect(bytes).toBe(statSync(log).size);
  });

  it('caps the live-update connections', async () => {
    const app = createUiApp({ project: findProject({ cwd: project().root }), maxEventStreams: 2 });
    const a = await app.request('/api/events');
    const b = await app.request('/api/events');
    expect([a.status, b.status]).toEqual([200, 200]);
    expect((await app.request('/api/events')).status).toBe(503);
    await a.body?.cancel();
    const c = await app.request('/api/events');
    expect(c.status).toBe(200);
    await b.body?.cancel();
    await c.body?.cancel();
  });
});

describe('live updates', () => {
  it('say new metric rows of a running result, and its end; a heartbeat alone says nothing', async () => {
    const { root, app } = project();
    writeFiles(root, {
      'runs/live/config.json': { lr: 0.3 },
      'runs/live/run.json': fakeRecord({ name: 'live', started_at: new Date().toISOString() }),
      'runs/live/metrics.jsonl': metrics(3),
      'runs/live/.heartbeat': '',
    });
    const res = await app.request('/api/events');
    const reader = (res.body as ReadableStream<Uint8Array>).getReader();
    const decoder = new TextDecoder();
    const events: string[] = [];
    void (async () => {
      for (let r = await reader.read(); !r.done; r = await reader.read())
        events.push(decoder.decode(r.value));
    })().catch(() => {});
    const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));
    // the next event within `ms`, or null
    const next = async (ms: number): Promise<string | null> => {
      for (const end = Date.now() + ms; Date.now() < end; await sleep(50))
        if (events.length) return events.shift() ?? null;
      return null;
    };
    try {
      expect(await next(5000)).toBe('event: runs\ndata: 3\n\n');
      // a beat: times of a file in the folder, nothing a page shows
      const beat = new Date(Date.now() + 1000);
      const { utimesSync } = await import('node:fs');
      utimesSync(join(root, 'runs', 'live', '.heartbeat'), beat, beat);
      expect(await next(4500)).toBeNull();
      // a new metric row
      appendFileSync(
        join(root, 'runs', 'live', 'metrics.jsonl'),
        `${JSON.stringify({ step: 3, loss: 0.1 })}\n`,
      );
      expect(await next(5000)).toBe('event: runs\ndata: 3\n\n');
      // the end of the run
      writeFiles(root, { 'runs/live/end.json': end });
      expect(await next(5000)).toBe('event: runs\ndata: 3\n\n');
    } finally {
      await reader.cancel();
    }
  }, 30_000);
});

describe('the dashboard API at scale', () => {
  it('thins a 300,000-row metric for the chart, keeping spikes, and sends new rows only', async () => {
    const { root, app } = project();
    const rows: string[] = [];
    for (let s = 0; s < 300_000; s++)
      rows.push(JSON.stringify({ step: s, loss: s === 123_457 ? 99 : 1 / (s + 1), acc: s / 3e5 }));
    writeFiles(root, { 'runs/model/metrics.jsonl': `${rows.join('\n')}\n` });
    const r = await app.request('/api/runs/model/metrics?points=2000');
    expect(r.headers.get('x-total-rows')).toBe('300000');
    expect(r.headers.get('x-thinned')).toBe('1');
    const thin: J = await r.json();
    expect(thin.length).toBeLessThanOrEqual(2 * 2000 * 2);
    expect(thin.length).toBeGreaterThan(2000);
    expect(Math.max(...thin.filter((x: J) => x.loss !== undefined).map((x: J) => x.loss))).toBe(99);
    const more: J = await json(app.request('/api/runs/model/metrics?from=299998'));
    expect(more.map((x: J) => x.step)).toEqual([299_998, 299_999]);
    expect((await app.request('/api/runs/model/metrics?from=-1')).status).toBe(400);
  }, 60_000);

  it('sends the runs list made before while nothing it rests on changed, and makes it again after any change', async () => {
    const { root, app } = project();
    await settle();
    const list = async (q = '') => {
      const text = await (await app.request(`/api/runs${q}`)).text();
      return { text, reused: lastRunsList.reused, body: JSON.parse(text) as J };
    };
    const first = await list();
    expect(first.reused).toBe(false);
    const again = await list();
    expect(again.reused, 'nothing changed').toBe(true);
    expect(again.text).toBe(first.text);
    // with upstream configs: a list of its own
    expect((await list('?upstream=1')).reused).toBe(false);
    expect((await list('?upstream=1')).reused).toBe(true);
    expect((await list()).reused).toBe(true);

    // a config edited: the index is as it was, the verdicts are not
    writeFiles(root, { 'configs/model.json': { lr: 0.5 } });
    const edited = await list();
    expect(edited.reused).toBe(false);
    expect(edited.body.runs[0].stale).toEqual([
      expect.stringContaining('configs/model.json changed since the run'),
    ]);
    expect((await list()).reused).toBe(true);

    // a result added: the index changed
    writeFiles(root, {
      'runs/modelb/config.json': { lr: 0.3 },
      'runs/modelb/run.json': fakeRecord({ name: 'modelb', started_at: '2026-01-01T00:04:00Z' }),
      'runs/modelb/end.json': end,
    });
    await settle();
    const added = await list();
    expect(added.reused).toBe(false);
    expect(added.body.runs.map((r: { name: string }) => r.name)).toEqual(['model', 'modela', 'modelb']);

    // a run going on: made every time (its duration grows)
    writeFiles(root, {
      'runs/going/config.json': { lr: 0.4 },
      'runs/going/run.json': fakeRecord({ name: 'going', started_at: new Date().toISOString() }),
    });
    await settle();
    expect((await list()).reused).toBe(false);
    expect((await list()).reused).toBe(false);
  });

  it('lists with upstream configs on request', async () => {
    const { app } = project();
    const body: J = await json(app.request('/api/runs?upstream=1'));
    // the stage is the upstream's config name as its run.json records it (fakeRecord says "data")
    expect(body.runs[1].config).toMatchObject({ lr: 0.2, 'data.lr': 0.1 });
    expect(body.runs[0].config['data.lr']).toBeUndefined();
  });
});
