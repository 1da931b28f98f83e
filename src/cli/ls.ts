import { stringify } from 'csv-stringify/sync';
import { differingKeys } from '../compare/diff.ts';
import { X_KEYS } from '../compare/metrics.ts';
import {
  listRuns,
  matches,
  parseWhere,
  type RunSummary,
  runValue,
  sortRuns,
  stringifyNumbers,
} from '../compare/runs.ts';
import { configEntry } from '../compare/select.ts';
import { formatValue, renderFitted, truncate } from '../compare/table.ts';
import type { Json } from '../config/json.ts';
import { formatSeconds } from '../run/runner.ts';
import { intOption, parseCommand, print } from './args.ts';
import { projectFor, REMOTE_OPTIONS, REMOTE_USAGE } from './remote.ts';

export const USAGE = `usage: repro ls [--where KEY=VALUE]... [--sort KEY] [--columns A,B,...] [--limit N] [--json|--csv] [--no-cache]

Lists the result folders under the runs root: name, status (done, failed, interrupted, crashed,
running), start time, duration, the config keys that differ across the listed runs, and the
last and best value of each logged metric (best: the largest for accuracy-like names, else the
smallest).

options:
  --where K=V     keep runs whose config key, or metric (last value), matches; also K!=V, K>V,
                  K<V, K>=V, K<=V for numbers (repeatable; all must hold)
  --sort KEY      sort by a column, config key or metric; -KEY for descending (--sort=-acc)
  --columns LIST  the columns to show, comma-separated (metric.best for a metric's best)
  --limit N       show the first N after sorting
  --json          the runs as JSON (name, dir, status, reason, config_name, started_at,
                  duration_s, exit_code, config, defaults, metrics {last, best, count})
  --csv           the table as RFC 4180 CSV
  --no-cache      read every folder again (the cache is always right; this is for timing)
${REMOTE_USAGE}`;

export async function main(argv: string[]): Promise<number> {
  const args = parseCommand(
    argv,
    {
      ...REMOTE_OPTIONS,
      where: { type: 'string', multiple: true },
      sort: { type: 'string' },
      columns: { type: 'string' },
      limit: { type: 'string' },
      json: { type: 'boolean' },
      csv: { type: 'boolean' },
      'no-cache': { type: 'boolean' },
    },
    USAGE,
  );
  if (!args) return 0;
  const filters = (args.values.where ?? []).map(parseWhere);
  let runs = (
    await listRuns({ cache: !args.values['no-cache'], project: await projectFor(args.values) })
  ).filter((r) => filters.every((f) => matches(r, f)));
  if (args.values.sort) runs = sortRuns(runs, args.values.sort);
  if (args.values.limit !== undefined)
    runs = runs.slice(0, Math.max(0, intOption(args.values.limit, 'limit', 0)));
  if (args.values.json) {
    print(stringifyNumbers(runs, 2));
    return 0;
  }
  if (runs.length === 0) {
    process.stderr.write(
      filters.length ? 'no result matches\n' : 'no results yet (repro run configs/<name>.json makes one)\n',
    );
    return 0;
  }
  const columns = args.values.columns
    ? args.values.columns
        .split(',')
        .map((c) => c.trim())
        .filter(Boolean)
    : defaultColumns(runs);
  const cell = (run: RunSummary, column: string, csv: boolean): string => {
    switch (column) {
      case 'started':
        return run.started_at ? (csv ? run.started_at : run.started_at.replace('T', ' ').slice(0, 19)) : '';
      case 'duration':
        return run.duration_s === null ? '' : csv ? String(run.duration_s) : formatSeconds(run.duration_s);
      case 'reason':
        return run.reason;
    }
    const v: Json | undefined = runValue(run, column);
    if (v === undefined) return csv ? '' : '—';
    if (typeof v === 'number') return csv ? String(v) : formatNumber(v);
    const text = formatValue(v);
    return csv ? text : truncate(text, 40);
  };
  if (args.values.csv) {
    process.stdout.write(
      stringify([columns, ...runs.map((r) => columns.map((c) => cell(r, c, true)))], {
        record_delimiter: 'windows',
      }),
    );
    return 0;
  }
  print(
    renderFitted(
      columns,
      runs.map((r) => columns.map((c) => cell(r, c, false))),
      process.stdout.columns || 120,
    ),
  );
  return 0;
}

/** name, status, started, duration, the config keys that differ, then each metric's last and best. */
function defaultColumns(runs: RunSummary[]): string[] {
  const entries = runs.map((r) =>
    configEntry(r.name, r.config, { kind: 'result', path: r.dir, defaults: r.defaults }),
  );
  const keys = runs.length > 1 ? differingKeys(entries).filter((k) => k !== 'script') : [];
  const metrics = [...new Set(runs.flatMap((r) => Object.keys(r.metrics)))].filter((m) => !X_KEYS.has(m));
  return ['name', 'status', 'started', 'duration', ...keys, ...metrics.flatMap((m) => [m, `${m}.best`])];
}

/** Four significant digits: enough to compare runs, narrow enough for a table. */
function formatNumber(v: number): string {
  if (Number.isInteger(v) && Math.abs(v) < 1e9) return String(v);
  if (!Number.isFinite(v)) return String(v);
  return String(Number(v.toPrecision(4)));
}
