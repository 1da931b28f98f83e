/** Tableau 10: colours distinct on screen and in print, for one line per run. */
export const COLORS = [
  '#4e79a7',
  '#f28e2b',
  '#e15759',
  '#76b7b2',
  '#59a14f',
  '#edc948',
  '#b07aa1',
  '#ff9da7',
  '#9c755f',
  '#bab0ac',
];

/** Text for SVG and HTML: the five special characters as numeric references. */
export function escapeXml(text: string): string {
  return text.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** The opening of a standalone SVG chart: white background, the system sans font, a title. */
export function svgOpen(width: number, height: number, title?: string): string[] {
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="DejaVu Sans, Helvetica, Arial, sans-serif" font-size="12">`,
    `<rect width="100%" height="100%" fill="white"/>`,
  ];
  if (title)
    parts.push(
      `<text x="${width / 2}" y="22" text-anchor="middle" font-size="15">${escapeXml(title)}</text>`,
    );
  return parts;
}

/** Trailing moving average over `k` values; 0 or 1 leaves them as they are. */
export function movingAverage(values: readonly number[], k: number): number[] {
  if (k <= 1) return [...values];
  let sum = 0;
  return values.map((v, i) => {
    sum += v;
    if (i >= k) sum -= values[i - k] as number;
    return sum / Math.min(i + 1, k);
  });
}
