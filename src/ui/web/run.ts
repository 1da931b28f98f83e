// The dashboard's page of one run: its state, records, metrics, output and files. A live update
// fetches only what changed: new metric rows, the log tails, the state.
import { metricPanels, runColors } from '../../compare/panels.ts';
import { COLORS } from '../../plot/svg.ts';
import { chart, PANEL_DASHES, tick } from './compare.ts';
import {
  api,
  apiText,
  apiWithHeaders,
  el,
  fmt,
  href,
  type Json,
  live,
  localTime,
  main,
  num,
  seconds,
  token,
} from './dom.ts';
import { preview, previewable } from './preview.ts';

/** Keys that count steps or time (the library's X_KEYS and the usual logger fields): never charted. */
const X_KEYS = new Set([
  'step',
  'epoch',
  'iteration',
  'iter',
  'time',
  't',
  'timestamp',
  'wall_time',
  '_step',
  '_timestamp',
  '_runtime',
]);

interface RunInfo {
  name: string;
  status: string;
  reason: string;
  config: Json;
  effective: { values: Json; defaults: Record<string, Json>; unread: { message: string }[] } | null;
  record: Record<string, Json> | null;
  end: Record<string, Json> | null;
  files: { path: string; size: number }[];
  sources: string[];
  dependents: string[];
  /** Configs that name it as a source and have no result yet. */
  unbuilt: string[];
  metrics_skipped: number;
  stale: string[];
}

const path = (name: string) => `/api/runs/${encodeURIComponent(name)}`;

/** How long the run took, or has been going (running), or went until it stopped (crashed). */
function duration(run: RunInfo): string {
  if (run.end) return seconds(Number(run.end.duration_s));
  const started = Date.parse(String(run.record?.started_at ?? ''));
  if (Number.isNaN(started)) return '';
  if (run.status === 'running') return `${seconds((Date.now() - started) / 1000)} so far`;
  return 'unknown: the run ended without an end record';
}

export async function runPage(name: string): Promise<void> {
  let run = await api<RunInfo>(path(name));
  // a long run's metrics come thinned for the charts (each bucket's lowest and highest)
  const POINTS = 2000;
  const metricsPath = `${path(name)}/metrics?points=${POINTS}`;
  const first = await apiWithHeaders<Record<string, Json>[]>(metricsPath);
  const rows = first.body;
  let total = Number(first.headers.get('x-total-rows') ?? rows.length);
  let thinned = first.headers.get('x-thinned') === '1';
  const factsTable = el('table', { className: 'diff' });
  const paintFacts = () => {
    const record = run.record ?? {};
    const git = (record.git ?? {}) as Record<string, Json>;
    const host = (record.host ?? {}) as Record<string, Json>;
    const script = (record.script ?? null) as Record<string, Json> | null;
    const facts: [string, Json | undefined][] = [
      [
        'status',
        run.stale.length ? `${run.status}, stale: ${run.stale.join('; ')}` : `${run.status} (${run.reason})`,
      ],
      ['run id', record.id ?? ''],
      ['started', record.started_at ? `${localTime(String(record.started_at))} (your local time)` : ''],
      ['duration', duration(run)],
      [
        'exit code',
        run.end
          ? (run.end.exit_code ?? (run.end.signal ? `none: killed by ${run.end.signal}` : 'none'))
          : run.status === 'running'
            ? 'none yet: running'
            : 'unknown: the run ended without an end record',
      ],
      [
        'metrics',
        `${total} row${total === 1 ? '' : 's'}${thinned ? ` (charts drawn from ${rows.length}: each stretch's lowest and highest)` : ''}${
          run.metrics_skipped
            ? `; ${run.metrics_skipped} line${run.metrics_skipped === 1 ? '' : 's'} skipped (not a JSON object)`
            : ''
        }`,
      ],
      [
        'git',
        git.commit
          ? `${String(git.commit).slice(0, 10)} on ${git.branch}${git.dirty ? ' (dirty)' : ''}`
          : 'none',
      ],
      ['host', `${host.hostname ?? ''} (${host.os ?? ''}, Node.js ${host.node ?? ''})`],
      [
        'script',
        script
          ? `${script.path}${script.interpreter_version ? ` (${script.interpreter_version})` : ''}`
          : 'none recorded',
      ],
    ];
    factsTable.replaceChildren(
      ...facts.map(([k, v]) =>
        // texts as they are (an empty one is no `""`), other values as JSON
        el(
          'tr',
          {},
          el('th', { textContent: k }),
          el('td', { textContent: typeof v === 'string' ? v : fmt(v ?? '') }),
        ),
      ),
    );
  };
  paintFacts();

  // a source of thousands of results links the first ones, and the runs list filtered to all
  const LINKS_SHOWN = 50;
  const linkList = (names: string[], all?: string) => [
    ...(names.length ? [] : ['none']),
    ...names
      .slice(0, LINKS_SHOWN)
      .map((n) => el('a', { href: href('run', {}, n), textContent: n, style: 'margin-right:10px' })),
    ...(all && names.length > LINKS_SHOWN
      ? [el('a', { href: all, textContent: `and ${names.length - LINKS_SHOWN} more` })]
      : []),
  ];

  // metrics: a panel for each quantity logged more than once (train and validation of it on one
  // chart, as on the compare page), a table of the single values (an evaluation's accuracy)
  const metricNames = () => [...new Set(rows.flatMap((r) => Object.keys(r)))].filter((k) => !X_KEYS.has(k));
  const pointsOf = (m: string) =>
    rows
      .map((r, i) => ({
        x: typeof r.step === 'number' ? r.step : i,
        y: r[m] === undefined ? Number.NaN : num(r[m] as number),
      }))
      .filter((p) => Number.isFinite(p.y));
  // a panel's chart, keyed by its quantity; made again when a new split of it appears
  const charts = new Map<string, { metrics: string; chart: ReturnType<typeof chart> }>();
  // the run's own colour, as in every comparison it is part of
  const color = runColors([name], COLORS)[0];
  const chartsBox = el('div', { className: 'grid' });
  const valuesTable = el('table', { className: 'diff' });
  const paintMetrics = () => {
    const single: [string, string][] = [];
    const lined: { metric: string; pts: { x: number; y: number }[] }[] = [];
    for (const m of metricNames()) {
      const pts = pointsOf(m);
      if (pts.length > 1) lined.push({ metric: m, pts });
      else {
        const last = [...rows].reverse().find((row) => row[m] !== undefined)?.[m];
        single.push([m, typeof last === 'number' ? tick(last) : fmt(last)]);
      }
    }
    const points = new Map(lined.map((l) => [l.metric, l.pts]));
    for (const panel of metricPanels(lined.map((l) => l.metric))) {
      const series = panel.metrics.map((m, i) => {
        const pts = points.get(m) ?? [];
        return { name: m, x: pts.map((p) => p.x), y: pts.map((p) => p.y), color, dash: PANEL_DASHES[i] };
      });
      const key = panel.metrics.join('\0');
      const drawn = charts.get(panel.quantity);
      if (drawn?.metrics === key) drawn.chart.update(series);
      else {
        const made = chart(series, { title: panel.quantity, log: false, smooth: 0 });
        if (drawn) drawn.chart.box.replaceWith(made.box);
        else chartsBox.append(made.box);
        charts.set(panel.quantity, { metrics: key, chart: made });
      }
    }
    valuesTable.replaceChildren(
      ...single.map(([k, v]) => el('tr', {}, el('th', { textContent: k }), el('td', { textContent: v }))),
    );
  };
  paintMetrics();

  const logs = { stdout: el('pre', { className: 'log' }), stderr: el('pre', { className: 'log' }) };
  const loadLogs = async () => {
    for (const stream of ['stdout', 'stderr'] as const)
      logs[stream].textContent =
        (await apiText(`${path(name)}/log/${stream}?tail=200`).catch(() => '')) || '(empty)';
  };
  await loadLogs();
  const download = (p: string) =>
    `${path(name)}/file/${p.split('/').map(encodeURIComponent).join('/')}${token ? `?token=${encodeURIComponent(token)}` : ''}`;
  const effective = run.effective
    ? JSON.stringify(run.effective.values, null, 2)
    : run.status === 'running'
      ? 'written when the run ends'
      : run.status === 'crashed' || run.end?.signal
        ? `not recorded: the run was stopped (${run.end?.signal ?? run.status}) before the script could write it, or the script uses neither the TypeScript API (startRun) nor the Python module (repro.start_run)`
        : 'not recorded: the script used neither the TypeScript API (startRun) nor the Python module (repro.start_run)';
  // a failed run's error first: the tail of stderr above stdout
  const failedFirst = ['failed', 'crashed', 'interrupted'].includes(run.status);
  const logBlocks = [
    [el('h2', { textContent: 'stderr (tail)' }), logs.stderr],
    [el('h2', { textContent: 'stdout (tail)' }), logs.stdout],
  ];
  if (!failedFirst) logBlocks.reverse();
  main().replaceChildren(
    el('h2', { className: 'title', textContent: run.name }),
    el(
      'div',
      {},
      'sources: ',
      ...linkList(run.sources),
      ' · used by: ',
      ...linkList(run.dependents, href('runs', { q: `source=${run.name}` })),
      ...(run.unbuilt.length
        ? [
            el('span', {
              className: 'muted',
              textContent: ` · not run yet: ${run.unbuilt.slice(0, 20).join(', ')}${run.unbuilt.length > 20 ? ` and ${run.unbuilt.length - 20} more` : ''}`,
              title: 'configs that name it as a source and have no result yet (repro make builds them)',
            }),
          ]
        : []),
    ),
    el(
      'div',
      { className: 'grid' },
      el(
        'div',
        {},
        el('h2', { textContent: 'config' }),
        el('pre', { textContent: JSON.stringify(run.config, null, 2) }),
      ),
      el(
        'div',
        {},
        el('h2', { textContent: 'effective config (what the code used)' }),
        // a sentence when there is nothing to show: wrapped, not scrolled sideways
        el('pre', { textContent: effective, className: run.effective ? '' : 'note' }),
        ...(run.effective?.unread ?? []).map((u) => el('p', { className: 'warn', textContent: u.message })),
      ),
    ),
    el('h2', { textContent: 'record' }),
    el('div', { className: 'scroll' }, factsTable),
    el('h2', { textContent: 'metrics' }),
    valuesTable,
    chartsBox,
    ...logBlocks.flat(),
    el('h2', { textContent: 'files' }),
    el(
      'ul',
      {},
      ...run.files.map((f) => {
        const item = el(
          'li',
          {},
          el('a', { href: download(f.path), textContent: f.path }),
          ` ${f.size} bytes `,
        );
        if (previewable(f.path)) {
          // a preview under the file's line, opened and closed in place
          const button = el('button', {
            className: 'link',
            textContent: 'preview',
            title: `show ${f.path} here`,
          });
          let shown: HTMLElement | null = null;
          button.onclick = async () => {
            if (shown) {
              shown.remove();
              shown = null;
              button.textContent = 'preview';
              return;
            }
            button.textContent = 'close';
            shown = await preview(f.path, download(f.path)).catch((e: Error) =>
              el('p', { className: 'warn', textContent: e.message }),
            );
            item.append(shown);
          };
          item.append(button);
        }
        return item;
      }),
    ),
  );
  // a live update: the new metric rows only, the log tails and the state; charts keep their zoom
  live.refresh = async () => {
    if (run.end) return;
    run = await api<RunInfo>(path(name));
    if (thinned) {
      const next = await apiWithHeaders<Record<string, Json>[]>(metricsPath);
      rows.splice(0, rows.length, ...next.body);
      total = Number(next.headers.get('x-total-rows') ?? total);
      thinned = next.headers.get('x-thinned') === '1';
      paintMetrics();
    } else {
      const more = await api<Record<string, Json>[]>(`${path(name)}/metrics?from=${total}`);
      rows.push(...more);
      total += more.length;
      if (more.length) paintMetrics();
    }
    paintFacts();
    await loadLogs();
  };
}
