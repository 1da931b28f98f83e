// What a listing reads from a run, for sorting, filtering and showing it: pure functions with no
// Node.js built-ins, shared by the CLI (`ls`) and the dashboard's page (bundled for the browser).

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** The parts of a listed run these functions read (RunSummary has them all). */
export interface RunFields {
  name: string;
  status: string;
  started_at: string | null;
  duration_s: number | null;
  config: Record<string, Json>;
  defaults: Record<string, Json>;
  metrics: Record<string, { last: number | string; best: number | string }>;
  stale?: string[];
}

/** The status as listings show it: `done, stale` for a done result that is stale. */
export function shownStatus(run: Pick<RunFields, 'status' | 'stale'>): string {
  return run.stale?.length ? `${run.status}, stale` : run.status;
}

/**
 * The value a filter or sort key reads from a run: `name`, `status`, `started`, `duration`; a
 * config key (a default the script used counts); else a metric's last value (`loss`, or
 * `loss.best` for its best).
 */
export function runValue(run: RunFields, key: string): Json | undefined {
  switch (key) {
    case 'name':
      return run.name;
    case 'status':
      return shownStatus(run);
    case 'stale':
      return Boolean(run.stale?.length);
    case 'started':
      return run.started_at;
    case 'duration':
      return run.duration_s;
  }
  if (run.config[key] !== undefined) return run.config[key];
  if (run.defaults[key] !== undefined) return run.defaults[key];
  const metric = run.metrics[key];
  if (metric) return metric.last;
  const best = key.endsWith('.best') ? run.metrics[key.slice(0, -5)] : undefined;
  return best?.best;
}

/** Sorts by a key (`-key` for descending); runs without it go last. */
export function sortRuns<T extends RunFields>(runs: readonly T[], spec: string): T[] {
  const desc = spec.startsWith('-');
  const key = desc ? spec.slice(1) : spec;
  return [...runs].sort((a, b) => {
    const va = runValue(a, key);
    const vb = runValue(b, key);
    if (va === undefined || vb === undefined) return va === vb ? 0 : va === undefined ? 1 : -1;
    const c =
      typeof va === 'number' && typeof vb === 'number' ? va - vb : String(va).localeCompare(String(vb));
    return desc ? -c : c;
  });
}
