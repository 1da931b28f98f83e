import { Hono } from 'hono';
import { dirname, distFile, fs, join, readBytes, relative, resolve } from '../_builtins.ts';
import { allKeys, diffConfigs, differingKeys, runConfigs } from '../compare/diff.ts';
import { higherIsBetter, MetricRowsCache, metricSeries, X_KEYS } from '../compare/metrics.ts';
import {
  listRuns,
  listRunViews,
  type RunSummary,
  stringifyNumbers,
  summaryOf,
  withUpstream,
} from '../compare/runs.ts';
import { selectConfigs } from '../compare/select.ts';
import { diffToJson } from '../compare/table.ts';
import type { Json } from '../config/json.ts';
import { childrenOf, loadGraph, type ProjectGraph } from '../graph/graph.ts';
import { renderGraphJson } from '../graph/render.ts';
import { graphStatus, staleResults } from '../graph/status.ts';
import { markStale } from '../graph/verdicts.ts';
import { decimate } from '../plot/plot.ts';
import { averageLinkage, distanceMatrix, renderTreeSvg } from '../plot/tree.ts';
import type { Project } from '../project/project.ts';
import { againIfIndexDamaged, indexStamp } from '../project/results.ts';
import { RUN_FILES } from '../run/layout.ts';
import { readJsonFile } from '../run/record.ts';
import { isResultName } from '../run/sources.ts';
import { readRunState } from '../run/status.ts';

/** The most of a file the run page previews (its first bytes). */
const PREVIEW_MAX = 256 * 1024;
/** Pictures the run page shows inline, by extension. */
const IMAGE_TYPES: Record<string, string> = {
  png: 'image/png',
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  gif: 'image/gif',
  webp: 'image/webp',
  svg: 'image/svg+xml',
};

export interface UiAppOptions {
  project: Project;
  /** Every request must carry it (`Authorization: Bearer`, or `?token=`). @default none: no check */
  token?: string;
  /** The built front end (index.html, app.js). @default dist/ui next to this code */
  webRoot?: string;
  /**
   * Host names the dashboard answers to besides IP addresses, localhost and this machine's name
   * (a DNS-rebinding page's name is refused). @default []
   */
  allowedHosts?: readonly string[];
  /** Live-update connections open at once; more get 503. @default 16 */
  maxEventStreams?: number;
  /**
   * List the runs as the server starts, so that the first page's list is ready (or nearly) when
   * it is asked for: served once, to a request within a few seconds while no result was added or
   * removed; any later request lists afresh. @default false
   */
  warm?: boolean;
}

/** For tests: whether the last runs list sent was the one made before, nothing having changed. */
export const lastRunsList = { reused: false };

/** How long a listing made at start-up may answer the first request. */
const WARM_FOR_MS = 5000;

/** The most lines a log tail returns, and the most bytes read from the end to find them. */
export const TAIL_MAX_LINES = 5000;
const TAIL_MAX_BYTES = 8 * 1024 * 1024;

/**
 * Sent with every response: no script, style or frame from elsewhere, no framing of the page,
 * no sniffing of downloads into pages, and no token leaking in a Referer.
 */
const SECURITY_HEADERS = {
  'content-security-policy':
    "default-src 'self'; img-src 'self' data: blob:; style-src 'self' 'unsafe-inline'; object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'cross-origin-resource-policy': 'same-origin',
};

/**
 * True when a request's host may be answered: an IP address (a rebinding attack needs a name),
 * localhost, this machine's name, or a name given with --allow-host.
 */
export function allowedHost(hostname: string, allowed: readonly string[] = []): boolean {
  const h = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  if (/^\d{1,3}(\.\d{1,3}){3}$/.test(h) || h.includes(':')) return true;
  if (h === 'localhost' || h.endsWith('.localhost')) return true;
  const { hostname: machine } = process.getBuiltinModule('node:os');
  return h === machine().toLowerCase() || allowed.some((a) => a.toLowerCase() === h);
}

/** A result moved aside, as the run page names it: `.attic/model@2026-11-28T10-31-02Z`. */
const ATTIC_NAME = /^\.attic\/[A-Za-z0-9_][A-Za-z0-9._~=,+@-]*$/;

/**
 * The result folder of a name from a URL (a result in the runs root, or one in the attic by its
 * path under the runs root), or null when the name is not one.
 */
function runDir(project: Project, name: string): string | null {
  if (!(isResultName(name) || ATTIC_NAME.test(name)) || name.includes('..')) return null;
  const dir = join(project.runsRoot, name);
  return fs.existsSync(join(dir, RUN_FILES.config)) ? dir : null;
}

/**
 * A file path from a URL, confined to its result folder: no absolute paths, no `..` (also
 * encoded), and no link that leads outside the folder (to a sibling result, say). Null when
 * refused.
 */
export function confinedFile(dir: string, path: string): string | null {
  let decoded: string;
  try {
    decoded = decodeURIComponent(path);
  } catch {
    return null;
  }
  if (!decoded || decoded.startsWith('/') || decoded.includes('\0') || decoded.split(/[\\/]/).includes('..'))
    return null;
  const full = resolve(dir, decoded);
  let real: string;
  try {
    real = fs.realpathSync(full);
  } catch {
    return null;
  }
  // the result's own folder: a link to a sibling result is refused as well
  const root = fs.realpathSync(dir);
  const rel = relative(root, real);
  if (rel.startsWith('..') || rel === '' || resolve(root, rel) !== real) return null;
  return fs.statSync(real).isFile() ? real : null;
}

/**
 * The last `lines` lines of a file, read from its end in 64 KiB blocks (at most TAIL_MAX_BYTES):
 * the cost is the tail's, not the file's. A first line cut by the byte limit is dropped.
 */
export function tailLines(file: string, lines: number): string {
  let fd: number;
  try {
    fd = fs.openSync(file, 'r');
  } catch {
    return '';
  }
  try {
    const size = fs.fstatSync(fd).size;
    const blocks: Buffer[] = [];
    let pos = size;
    let newlines = 0;
    let read = 0;
    while (pos > 0 && newlines <= lines && read < TAIL_MAX_BYTES) {
      const len = Math.min(64 * 1024, pos);
      pos -= len;
      const block = Buffer.alloc(len);
      fs.readSync(fd, block, 0, len, pos);
      blocks.unshift(block);
      read += len;
      for (const byte of block) if (byte === 10) newlines++;
    }
    const text = Buffer.concat(blocks).toString('utf8');
    const all = text.split('\n');
    // a trailing newline ends the last line; it does not start another
    const keep = all.slice(text.endsWith('\n') ? -lines - 1 : -lines);
    if (pos > 0 && keep.length === all.length) keep.shift();
    return keep.join('\n');
  } finally {
    fs.closeSync(fd);
  }
}

function listFiles(dir: string): { path: string; size: number }[] {
  const out: { path: string; size: number }[] = [];
  const walk = (sub: string) => {
    for (const e of fs.readdirSync(join(dir, sub), { withFileTypes: true })) {
      const rel = sub ? `${sub}/${e.name}` : e.name;
      if (e.isDirectory()) walk(rel);
      else if (e.isFile()) out.push({ path: rel, size: fs.statSync(join(dir, rel)).size });
    }
  };
  walk('');
  return out.sort((a, b) => a.path.localeCompare(b.path));
}

/** A run's row for the runs table: what listRuns knows, without the folder path. */
function runRow(r: RunSummary) {
  const { dir: _dir, ...rest } = r;
  return rest;
}

/**
 * The dashboard's HTTP app: a read-only JSON API over the same files the CLI reads, and the
 * built single-page app. Every route is tested in-process with `app.request()`.
 */
export function createUiApp(options: UiAppOptions): Hono {
  const { project } = options;
  const webRoot = options.webRoot ?? dirname(distFile('ui/index.html'));
  const app = new Hono();
  let streams = 0;
  // metrics.jsonl files parsed once per change (a running result's new rows only)
  const metricRows = new MetricRowsCache();

  app.use('*', async (c, next) => {
    const host = new URL(c.req.url).hostname;
    if (!allowedHost(host, options.allowedHosts)) {
      return c.text(
        `refused: this dashboard does not answer to the host "${host}" (repro ui --allow-host ${host} to allow it)\n`,
        403,
        SECURITY_HEADERS,
      );
    }
    await next();
    // a route may be stricter (a picture shown inline is sandboxed): its policy stays
    for (const [k, v] of Object.entries(SECURITY_HEADERS))
      if (k !== 'content-security-policy' || !c.res.headers.has(k)) c.res.headers.set(k, v);
  });

  // the token guards the data (/api); the page and its script hold none, and must load for the
  // page to send the token it was opened with
  app.use('/api/*', async (c, next) => {
    if (options.token) {
      const header = c.req.header('authorization');
      const given = header?.startsWith('Bearer ') ? header.slice(7) : c.req.query('token');
      if (!sameToken(given, options.token))
        return c.json({ error: 'a token is needed: open the address repro ui printed' }, 401);
    }
    await next();
  });

  /**
   * The last runs list made, with what it is a function of: the index's stamp (its rows, every
   * run in them ended) and the kept staleness verdicts' digest. Asked again while both hold (the
   * runs page opened again, another tab), it is sent as it was instead of made again (~0.6 s at
   * 100,000 results); a run going on means it is made every time.
   */
  const lastLists = new Map<boolean, { key: string; body: string }>();
  /** The runs list as the page reads it; ?upstream=1 adds the configs each run was built on. */
  // each page's reading of the index runs once more on the folders when the index turns out
  // damaged as it is read (againIfIndexDamaged): a request never fails for a cache
  const runsBody = (upstream: boolean): Promise<string> =>
    againIfIndexDamaged(async () => {
      // the index's own rows, so that the verdicts kept for them are read (graph/verdicts.ts)
      const views = await listRunViews({ project });
      const verdicts = await markStale(project, views);
      const stamp = indexStamp(views);
      const key = stamp && verdicts ? `${stamp}\n${verdicts}` : undefined;
      const last = lastLists.get(upstream);
      lastRunsList.reused = Boolean(key && last?.key === key);
      if (key && last?.key === key) return last.body;
      const listed = views.map(summaryOf);
      const runs = upstream ? withUpstream(listed, listed) : listed;
      const entries = runConfigs(runs);
      const keys = runs.length > 1 ? differingKeys(entries) : [];
      const metrics = [...new Set(runs.flatMap((r) => Object.keys(r.metrics)))].filter((m) => !X_KEYS.has(m));
      const body = stringifyNumbers({ runs: runs.map(runRow), keys, allKeys: allKeys(entries), metrics });
      if (key) lastLists.set(upstream, { key, body });
      else lastLists.delete(upstream);
      return body;
    });
  const rootStamp = () => fs.statSync(project.runsRoot, { throwIfNoEntry: false })?.mtimeMs ?? 0;
  let warm: { at: number; stamp: number; body: Promise<string> } | undefined;
  if (options.warm) {
    // after the server listens (a moment), so that the address is printed first
    const later = new Promise((r) => setTimeout(r, 10));
    warm = { at: Date.now(), stamp: rootStamp(), body: later.then(() => runsBody(false)) };
    warm.body.catch(() => {});
  }

  app.get('/api/runs', async (c) => {
    const upstream = c.req.query('upstream') === '1';
    const early = warm;
    warm = undefined;
    const body =
      early && !upstream && Date.now() - early.at < WARM_FOR_MS && rootStamp() === early.stamp
        ? await early.body.catch(() => runsBody(false))
        : await runsBody(upstream);
    return c.body(body, 200, { 'content-type': 'application/json' });
  });

  app.get('/api/runs/:name', async (c) => {
    const dir = runDir(project, c.req.param('name'));
    if (!dir) return c.json({ error: `there is no result named "${c.req.param('name')}"` }, 404);
    const name = c.req.param('name');
    const state = readRunState(dir);
    const { graph, stale } = await againIfIndexDamaged(async () => {
      const graph = loadGraph(project);
      const stale =
        state.status === 'done' ? ((await staleResults(project, [name], graph)).get(name) ?? []) : [];
      return { graph, stale };
    });
    const node = graph.nodes.get(name);
    return c.json({
      name,
      status: state.status,
      reason: state.reason,
      stale,
      config: readJsonFile(join(dir, RUN_FILES.config)),
      effective: readJsonFile(join(dir, RUN_FILES.effective)) ?? null,
      record: state.record ?? null,
      end: state.end ?? null,
      metrics_skipped: metricRows.read(dir).skipped,
      files: listFiles(dir),
      sources: node?.sources ?? [],
      // the results built on it (linked), and the configs that name it and have none yet
      ...dependentsOf(graph, name),
    });
  });

  app.get('/api/runs/:name/metrics', (c) => {
    const dir = runDir(project, c.req.param('name'));
    if (!dir) return c.json({ error: 'no such result' }, 404);
    // ?from=N: the rows after the first N, for a page that has those already
    const from = Number(c.req.query('from') ?? 0);
    if (!Number.isInteger(from) || from < 0)
      return c.json({ error: 'from takes a whole number of rows' }, 400);
    const { rows, keys } = metricRows.read(dir);
    // ?points=N: a metric of 300,000 rows is thinned on the server to at most 2N points per
    // metric (each bucket's lowest and highest: spikes stay), not sent whole
    const points = Number(c.req.query('points') ?? 0);
    const headers = { 'content-type': 'application/json', 'x-total-rows': String(rows.length) };
    if (points > 0 && rows.length > points * 2 && from === 0)
      return c.body(stringifyNumbers(thinRows(rows, keys, points)), 200, { ...headers, 'x-thinned': '1' });
    return c.body(stringifyNumbers(rows.slice(from)), 200, headers);
  });

  app.get('/api/runs/:name/log/:stream', (c) => {
    const dir = runDir(project, c.req.param('name'));
    const stream = c.req.param('stream');
    if (!dir || (stream !== 'stdout' && stream !== 'stderr')) return c.json({ error: 'no such log' }, 404);
    const lines = Number(c.req.query('tail') ?? 200);
    if (!Number.isInteger(lines) || lines < 1 || lines > TAIL_MAX_LINES)
      return c.json({ error: `tail takes a whole number of lines from 1 to ${TAIL_MAX_LINES}` }, 400);
    return c.text(tailLines(join(dir, stream === 'stdout' ? RUN_FILES.stdout : RUN_FILES.stderr), lines));
  });

  app.get('/api/runs/:name/file/*', (c) => {
    const name = c.req.param('name');
    const dir = runDir(project, name);
    if (!dir) return c.json({ error: 'no such result' }, 404);
    const raw = new URL(c.req.url).pathname.split(`/file/`).slice(1).join('/file/');
    const file = confinedFile(dir, raw);
    if (!file) return c.json({ error: 'refused: not a file inside this result folder' }, 403);
    // ?head=N: the first N bytes (at most 256 KiB) as text, for the page's preview
    const head = c.req.query('head');
    if (head !== undefined) {
      const want = Number(head);
      if (!Number.isInteger(want) || want < 1 || want > PREVIEW_MAX)
        return c.json({ error: `head takes a number of bytes from 1 to ${PREVIEW_MAX}` }, 400);
      return c.body(readBytes(file, want), 200, {
        'content-type': 'text/plain; charset=utf-8',
        'x-total-size': String(fs.statSync(file).size),
        'x-content-type-options': 'nosniff',
      });
    }
    // ?inline=1: a picture shown in the page; an SVG's scripts never run (sandboxed, no script)
    const picture = IMAGE_TYPES[file.split('.').pop()?.toLowerCase() ?? ''];
    const inline = c.req.query('inline') === '1';
    if (inline && !picture) return c.json({ error: 'only pictures are shown inline' }, 415);
    // streamed: memory stays flat for a file of any size
    const { Readable } = process.getBuiltinModule('node:stream');
    const body = Readable.toWeb(fs.createReadStream(file)) as ReadableStream<Uint8Array>;
    if (inline && picture)
      return c.body(body, 200, {
        'content-type': picture,
        'content-length': String(fs.statSync(file).size),
        'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'; sandbox",
        'x-content-type-options': 'nosniff',
      });
    return c.body(body, 200, {
      'content-type': 'application/octet-stream',
      'content-length': String(fs.statSync(file).size),
      'content-disposition': `attachment; filename="${encodeURIComponent(file.split('/').pop() ?? 'file')}"`,
    });
  });

  // ?run=a&run=b, each encoded: names may hold "," and "+" (model~epochs=2,lr=0.2); the older
  // ?runs=a,b is still read
  type Query = {
    req: { query: (k: string) => string | undefined; queries: (k: string) => string[] | undefined };
  };
  /** The runs named, their folders, and the names with no folder (removed, in the attic, misspelt). */
  const selection = (c: Query) => {
    const names = [...(c.req.queries('run') ?? []), ...(c.req.query('runs') ?? '').split(',')].filter(
      Boolean,
    );
    const dirs: string[] = [];
    const missing: string[] = [];
    for (const name of names) {
      const dir = runDir(project, name);
      if (dir === null) missing.push(name);
      else dirs.push(dir);
    }
    return { names, dirs, missing };
  };
  const selected = (c: Query) => selection(c).dirs;

  app.get('/api/diff', (c) => {
    const { names, dirs, missing } = selection(c);
    if (names.length === 0) return c.json({ error: 'name the runs: ?run=a&run=b' }, 400);
    if (dirs.length === 0)
      return c.json({ error: `no run named ${missing.map((n) => `"${n}"`).join(', ')}` }, 404);
    const entries = selectConfigs(dirs, { project, cwd: project.root });
    return c.json({ ...diffToJson(diffConfigs(entries, { all: c.req.query('all') === '1' })), missing });
  });

  app.get('/api/series', (c) => {
    // one metric or several (the compare page's panels ask for all of theirs at once: each
    // metrics.jsonl is read once per request)
    const asked = c.req.queries('metric') ?? [];
    const metrics = asked.length ? asked : ['loss'];
    const x = c.req.query('x') ?? 'step';
    const maxPoints = Math.max(100, Number(c.req.query('points') ?? 2000) || 2000);
    const names = new Set<string>();
    const xs = new Set<string>(['step']);
    const series = selected(c).flatMap((dir) => {
      const { rows, keys } = metricRows.read(dir);
      // every metric any row logged (val_loss may first appear at step 49), and the x axes
      for (const k of keys) (X_KEYS.has(k) ? xs : names).add(k);
      return metrics.map((metric) => {
        const all = metricSeries(rows, metric, x);
        let min = Number.POSITIVE_INFINITY;
        let max = Number.NEGATIVE_INFINITY;
        for (const p of all) {
          if (p.y < min) min = p.y;
          if (p.y > max) max = p.y;
        }
        // at most two points per pixel of a wide chart (the lowest and highest): spikes stay
        const points = decimate(all, maxPoints);
        return {
          name: dir.split('/').pop(),
          metric,
          x: points.map((p) => p.x),
          y: points.map((p) => p.y),
          // from every point, not the thinned ones: the final, best, lowest and highest values
          summary: all.length
            ? {
                final: all[all.length - 1]?.y,
                best: higherIsBetter(metric) ? max : min,
                min,
                max,
                count: all.length,
              }
            : null,
        };
      });
    });
    // the metrics these runs logged and their x axes, so the page needs no other request
    return c.json({ metric: metrics[0], x, metrics: [...names], xs: [...xs, 'index'], series });
  });

  app.get('/api/graph', async (c) =>
    c.json(
      await againIfIndexDamaged(async () => {
        const graph = loadGraph(project);
        const names = new Set(graph.nodes.keys());
        const status = new Map((await graphStatus(graph)).map((s) => [s.name, s]));
        return { ...renderGraphJson(graph, names, status), problems: graph.problems };
      }),
    ),
  );

  app.get('/api/tree.svg', (c) => {
    let dirs = selected(c);
    if (dirs.length === 0 && fs.existsSync(project.runsRoot)) {
      dirs = fs
        .readdirSync(project.runsRoot)
        .map((n) => runDir(project, n))
        .filter((d): d is string => d !== null);
    }
    if (dirs.length < 2) return c.json({ error: 'the tree needs two or more results' }, 400);
    const entries = selectConfigs(dirs, { project, cwd: project.root });
    const root = averageLinkage(
      distanceMatrix(entries),
      entries.map((e) => e.name),
    );
    return c.body(renderTreeSvg(root), 200, { 'content-type': 'image/svg+xml' });
  });

  // new and finished runs without a reload: the runs' status and metric counts, every 2 s
  app.get('/api/events', (c) => {
    if (streams >= (options.maxEventStreams ?? 16))
      return c.json({ error: 'too many live-update connections; reload later' }, 503);
    streams++;
    // the first tick always speaks, an empty project included: the page then knows it is live
    let last: string | undefined;
    let timer: NodeJS.Timeout | undefined;
    const cheap = cheapSignature(project);
    const stream = new ReadableStream({
      start(controller) {
        // the results at the last listing
        let count = 0;
        const send = async () => {
          try {
            // an idle project costs a few stats a tick: the whole listing is read only when the
            // runs root or a running result's state changed. A running result's new metric rows
            // are said without it: over 100,000 results a listing every 2 s took ~20% of a core
            // for as long as a run logged
            const how = last === undefined ? 'more' : cheap.changed();
            if (how === 'nothing') return;
            if (how === 'metrics') {
              controller.enqueue(new TextEncoder().encode(`event: runs\ndata: ${count}\n\n`));
              return;
            }
            const runs = await listRuns({ project });
            cheap.remember(runs);
            count = runs.length;
            const sig = runs
              .map(
                (r) => `${r.name}:${r.status}:${Object.values(r.metrics).reduce((a, m) => a + m.count, 0)}`,
              )
              .join('|');
            if (sig !== last) {
              last = sig;
              controller.enqueue(new TextEncoder().encode(`event: runs\ndata: ${runs.length}\n\n`));
            }
          } catch {
            // the runs root may be mid-change: next tick
          }
        };
        void send();
        timer = setInterval(send, 2000);
      },
      cancel() {
        clearInterval(timer);
        streams--;
      },
    });
    return new Response(stream, {
      headers: { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' },
    });
  });

  app.get('/app.js', (c) =>
    c.body(fs.readFileSync(join(webRoot, 'app.js')), 200, { 'content-type': 'text/javascript' }),
  );
  app.get('/app.css', (c) =>
    c.body(fs.readFileSync(join(webRoot, 'app.css')), 200, { 'content-type': 'text/css' }),
  );
  app.get('/', (c) => c.html(fs.readFileSync(join(webRoot, 'index.html'), 'utf8')));
  return app;
}

/**
 * Metric rows thinned for a chart: for every metric, at most 2 × `buckets` points (decimate keeps
 * each bucket's lowest and highest), as rows `{step, <metric>: value}` merged by step. A metric
 * logged once keeps its row.
 */
function thinRows(
  rows: Record<string, Json>[],
  keys: ReadonlySet<string>,
  buckets: number,
): Record<string, Json>[] {
  const byStep = new Map<number, Record<string, Json>>();
  for (const m of [...keys].filter((k) => !X_KEYS.has(k)))
    for (const p of decimate(metricSeries(rows, m, 'step'), buckets)) {
      const row = byStep.get(p.x) ?? { step: p.x };
      row[m] = p.y;
      byStep.set(p.x, row);
    }
  return [...byStep.values()].sort((a, b) => (a.step as number) - (b.step as number));
}

/** The nodes whose `source` names a result: those with a result, and configs not run yet. */
function dependentsOf(graph: ProjectGraph, name: string): { dependents: string[]; unbuilt: string[] } {
  const children = childrenOf(graph).get(name) ?? [];
  return {
    dependents: children.filter((c) => graph.nodes.get(c)?.result),
    unbuilt: children.filter((c) => !graph.nodes.get(c)?.result),
  };
}

/**
 * What can change in a runs root between two ticks of the live updates, read with a few stats:
 * the root itself (a result added, moved or removed changes its time) and each result that was
 * running at the last listing (its folder, whether its process lives, its metrics). Ended
 * results never change, so an idle project is a handful of stats every 2 s. `changed` says
 * what: nothing, only the metrics of running results (new rows: no listing needed to know it),
 * or more.
 */
function cheapSignature(project: Project): {
  changed(): 'nothing' | 'metrics' | 'more';
  remember(runs: RunSummary[]): void;
} {
  let running: string[] = [];
  let last = { outline: '', metrics: '' };
  const stat = (f: string) => {
    const st = fs.statSync(f, { throwIfNoEntry: false });
    return st ? `${st.ino}:${st.mtimeMs}:${st.size}` : '-';
  };
  const now = () => ({
    outline: [
      stat(project.runsRoot),
      ...running.map((dir) => `${stat(dir)}/${readRunState(dir).status}`),
    ].join('|'),
    metrics: running.map((dir) => stat(join(dir, RUN_FILES.metrics))).join('|'),
  });
  return {
    changed() {
      const sig = now();
      const how =
        sig.outline !== last.outline ? 'more' : sig.metrics !== last.metrics ? 'metrics' : 'nothing';
      last = sig;
      return how;
    },
    remember(runs) {
      running = runs.filter((r) => r.status === 'running').map((r) => r.dir);
      last = now();
    },
  };
}

export interface ServeUiOptions extends UiAppOptions {
  /** @default 8080 */
  port?: number;
  /** @default "127.0.0.1" */
  host?: string;
}

/** Serves the dashboard; resolves with the address once it listens. */
export async function serveUi(options: ServeUiOptions): Promise<{ url: string; close: () => Promise<void> }> {
  const { serve } = await import('@hono/node-server');
  const app = createUiApp(options);
  const host = options.host ?? '127.0.0.1';
  return new Promise((done) => {
    const server = serve({ fetch: app.fetch, port: options.port ?? 8080, hostname: host }, (info) => {
      const shownHost = host.includes(':') ? `[${host}]` : host;
      done({
        url: `http://${shownHost}:${info.port}/${options.token ? `?token=${options.token}` : ''}`,
        // live-update streams never end by themselves: close them with the server
        close: () =>
          new Promise<void>((r) => {
            server.close(() => r());
            (server as { closeAllConnections?: () => void }).closeAllConnections?.();
          }),
      });
    });
  });
}

/** Compares tokens in constant time (of their digests, which have one length). */
function sameToken(given: string | undefined, token: string): boolean {
  if (given === undefined) return false;
  const { createHash, timingSafeEqual } = process.getBuiltinModule('node:crypto');
  const digest = (t: string) => createHash('sha256').update(t).digest();
  return timingSafeEqual(digest(given), digest(token));
}
