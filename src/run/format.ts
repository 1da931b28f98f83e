// Plain formatting with no Node.js built-ins: shared by the CLI and the dashboard's page.

/** Seconds as people read them: `2.12 s`, `12.3 s`, `4 min 5 s`, `2 h 3 min`. */
export function formatSeconds(s: number): string {
  if (s < 60) return `${s.toFixed(s < 10 ? 2 : 1)} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${Math.round(s % 60)} s`;
  return `${Math.floor(m / 60)} h ${m % 60} min`;
}

/** A number in at most ~7 characters for a chart's axis: 3.7e10 reads 3.7e+10, not a clipped "0,000". */
export function formatTick(v: number | null): string {
  if (v === null || !Number.isFinite(v)) return '';
  const a = Math.abs(v);
  if (a !== 0 && (a >= 1e5 || a < 1e-3)) return v.toExponential(1);
  return String(Number(v.toPrecision(4)));
}
