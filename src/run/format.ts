// Plain formatting with no Node.js built-ins: shared by the CLI and the dashboard's page.

/** Seconds as people read them: `2.12 s`, `12.3 s`, `4 min 5 s`, `2 h 3 min`. */
export function formatSeconds(s: number): string {
  if (s < 60) return `${s.toFixed(s < 10 ? 2 : 1)} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${Math.round(s % 60)} s`;
  return `${Math.floor(m / 60)} h ${m % 60} min`;
}
