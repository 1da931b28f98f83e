// The dashboard's page of one run.
import { chart } from './compare.ts';
import { api, el, fmt, type Json, main, num, seconds, token } from './dom.ts';

// --- one run ------------------------------------------------------------------------------

let follow: number | undefined;

export async function runPage(name: string): Promise<void> {
  const run = await api<{
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
    metrics_skipped: number;
    stale: string[];
  }>(`/api/runs/${encodeURIComponent(name)}`);
  const rows = await api<Record<string, Json>[]>(`/api/runs/${encodeURIComponent(name)}/metrics`);
  const record = run.record ?? {};
  const git = (record.git ?? {}) as Record<string, Json>;
  const host = (record.host ?? {}) as Record<string, Json>;
  const facts = [
    [
      'status',
      run.stale.length ? `${run.status}, stale: ${run.stale.join('; ')}` : `${run.status} (${run.reason})`,
    ],
    ['run id', record.id ?? ''],
    ['started', record.started_at],
    ['duration', run.end ? seconds(Number(run.end.duration_s)) : ''],
    ['exit code', run.end?.exit_code],
    [
      'metrics',
      run.metrics_skipped
        ? `${rows.length} rows; ${run.metrics_skipped} line${run.metrics_skipped === 1 ? '' : 's'} skipped (not a JSON object)`
        : `${rows.length} rows`,
    ],
    [
      'git',
      git.commit
        ? `${String(git.commit).slice(0, 10)} on ${git.branch}${git.dirty ? ' (dirty)' : ''}`
        : 'none',
    ],
    ['host', `${host.hostname ?? ''} (${host.os ?? ''}, Node.js ${host.node ?? ''})`],
    ['script', JSON.stringify(record.script ?? null)],
  ];
  const linkList = (names: string[]) =>
    names.length
      ? names.map((n) =>
          el('a', { href: `#/run/${encodeURIComponent(n)}`, textContent: n, style: 'margin-right:10px' }),
        )
      : ['none'];
  const metricNames = [...new Set(rows.flatMap((r) => Object.keys(r)))].filter(
    (k) => !['step', 'epoch', 'time'].includes(k),
  );
  const charts = metricNames.map((m) => {
    const pts = rows
      .map((r, i) => ({ x: typeof r.step === 'number' ? r.step : i, y: num(r[m] as number) }))
      .filter((p) => Number.isFinite(p.y));
    return pts.length > 1
      ? chart([{ name: m, x: pts.map((p) => p.x), y: pts.map((p) => p.y) }], {
          title: m,
          log: false,
          smooth: 0,
          width: 520,
        })
      : el('span');
  });
  const log = el('pre', { textContent: '' });
  const loadLog = async () => {
    log.textContent = await api<string>(`/api/runs/${encodeURIComponent(name)}/log/stdout?tail=200`).catch(
      () => '',
    );
  };
  await loadLog();
  clearInterval(follow);
  if (run.status === 'running') follow = window.setInterval(loadLog, 2000);
  const download = (p: string) =>
    `/api/runs/${encodeURIComponent(name)}/file/${p.split('/').map(encodeURIComponent).join('/')}${token ? `?token=${token}` : ''}`;
  main().replaceChildren(
    el('h2', { textContent: run.name }),
    el('div', {}, 'sources: ', ...linkList(run.sources), ' · used by: ', ...linkList(run.dependents)),
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
        el('pre', {
          textContent: run.effective
            ? JSON.stringify(run.effective.values, null, 2)
            : 'not recorded (the script does not use the TypeScript API)',
        }),
        ...(run.effective?.unread ?? []).map((u) => el('p', { className: 'warn', textContent: u.message })),
      ),
    ),
    el('h2', { textContent: 'record' }),
    el(
      'table',
      { className: 'diff' },
      ...facts.map(([k, v]) =>
        el('tr', {}, el('th', { textContent: String(k) }), el('td', { textContent: fmt(v as Json) })),
      ),
    ),
    el('h2', { textContent: 'metrics' }),
    el('div', { className: 'grid' }, ...charts),
    el('h2', { textContent: run.status === 'running' ? 'stdout (following)' : 'stdout (tail)' }),
    log,
    el('h2', { textContent: 'files' }),
    el(
      'ul',
      {},
      ...run.files.map((f) =>
        el('li', {}, el('a', { href: download(f.path), textContent: f.path }), ` ${f.size} bytes`),
      ),
    ),
  );
}
