import { childProcess } from '../_builtins.ts';
import { UsageError } from '../errors.ts';
import { serveUi } from '../ui/server.ts';
import { REMOTE_OPTIONS, resultSource } from './source.ts';
import { defineCommand } from './spec.ts';

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|localhost|::1)$/;

export default defineCommand({
  name: 'ui',
  summary: 'serve a local dashboard over the runs',
  api: ['serveUi'],
  description: `A local dashboard over the runs root, without a server to install: a single-page app built with the package (esbuild; nothing is fetched from a CDN) and a read-only JSON API (Hono), over the same files the CLI reads. New and finished runs arrive without a reload (server-sent events, checked every 2 s).

- Runs (#/runs): every result: name, status, start, duration, the keys that differ (add any key as a column), last and best of each metric. Sort by any column (click the header), filter by words in the name, key=value, and status. Virtualised: only the rows in view are in the page, so 10,000 rows stay smooth.
- Compare (#/compare?sel=a&sel=b): the config diff (absent, null and defaults told apart, as in repro diff) and the chosen metric of every selected run on one uPlot canvas chart (drag to zoom, values on hover, smoothing, log scale).
- Run (#/run/NAME): config, effective config and unread-key warnings, the record (git, host, timing, status), the tail of stdout (followed while running), the files with download links, a chart per metric, links to sources and dependents.
- Graph (#/graph): the config graph, each node coloured by status (stale too), click through to runs. Tree (#/tree?sel=a&sel=b): the dendrogram of the selected results.

Everything on the page lives in the address (selection, filters, sort), so a link shows the same view. Security: it binds 127.0.0.1; with another --host every request for data needs the token it prints (?token= or Authorization: Bearer), else 401; tokens are compared in constant time and an empty one is refused. It answers only to IP addresses, localhost, this machine's name and names given with --allow-host, so a web page on a DNS-rebinding name cannot read it (403). Every response carries a Content-Security-Policy (nothing from elsewhere, frame-ancestors 'none'), X-Content-Type-Options: nosniff and Referrer-Policy: no-referrer. File downloads are confined to their own result folder (.., encoded %2e%2e, absolute paths and links that lead outside it, even to a sibling result, are refused) and streamed; log tails are read from the end of the file (1 to 5000 lines); at most 16 live-update connections are open at once. Config values are put into the page as text, never as HTML. With --db URL (and --storage URI) it shows the shared store's results, mirrored locally when it starts.

API: GET /api/runs, /api/runs/NAME, /api/runs/NAME/metrics, /api/runs/NAME/log/stdout?tail=N, /api/runs/NAME/file/PATH, /api/diff?runs=a,b, /api/series?runs=a,b&metric=loss, /api/graph, /api/tree.svg?runs=…, /api/events.`,
  options: {
    port: { type: 'integer', default: 8080, description: 'the port (0: any free one)' },
    host: { type: 'string', value: 'HOST', default: '127.0.0.1', description: 'the address to bind' },
    token: {
      type: 'string',
      value: 'T',
      description: 'the token every request needs (one is made for a non-loopback --host)',
    },
    'allow-host': {
      type: 'string',
      value: 'NAME',
      multiple: true,
      description:
        "a host name to answer to besides IP addresses, localhost and this machine's name (repeatable)",
    },
    open: { type: 'boolean', description: 'open the page in the browser' },
    ...REMOTE_OPTIONS,
  },
  examples: ['repro ui', 'repro ui --host 0.0.0.0 --port 8080'],
  async run({ options }, ctx) {
    const host = options.host;
    if (options.token === '')
      throw new UsageError(
        '--token is empty',
        'Give a token of your own, or leave --token out to get one made.',
      );
    const token = options.token ?? (LOOPBACK.test(host) ? undefined : crypto.randomUUID().replace(/-/g, ''));
    const { url } = await serveUi({
      project: await resultSource(options, ctx).project(),
      port: options.port,
      host,
      token,
      allowedHosts: options['allow-host'] ?? [],
      warm: true,
    });
    ctx.stderr.write(
      `repro ui: ${url}\n${token ? 'every request needs this token (it is in the address)\n' : ''}(Ctrl-C stops it)\n`,
    );
    if (options.open) {
      const opener =
        process.platform === 'darwin' ? 'open' : process.platform === 'win32' ? 'explorer' : 'xdg-open';
      childProcess()
        .spawn(opener, [url], { stdio: 'ignore', detached: true })
        .on('error', () => {})
        .unref();
    }
    // serve until stopped
    await new Promise(() => {});
    return 0;
  },
});
