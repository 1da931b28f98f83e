import { fs, join } from '../_builtins.ts';
import type { Json } from '../config/json.ts';
import { ResultFileExistsError, UsageError } from '../errors.ts';
import { RUN_FILES } from './layout.ts';

/** One line of metrics.jsonl: `{"step": 10, "loss": 0.52}`. Any JSON values; numbers are plotted. */
export type MetricsRow = Record<string, Json | number | undefined>;

/**
 * Appends rows to `metrics.jsonl` (docs/results.md has the format). The file is created
 * exclusively on the first row and written synchronously, line by line, so a crash loses at
 * most the row being written. Non-finite numbers are written as the strings "NaN", "Infinity",
 * "-Infinity" (JSON has no spelling for them; readers map them back).
 */
export class MetricsLog {
  readonly file: string;
  #fd: number | undefined;

  /** `beforeCreate` may throw to refuse making the file (a folder that is no longer the run's). */
  constructor(
    dir: string,
    private readonly beforeCreate?: () => void,
  ) {
    this.file = join(dir, RUN_FILES.metrics);
  }

  append(row: MetricsRow): void {
    if (typeof row !== 'object' || row === null || Array.isArray(row)) {
      throw new UsageError('run.log() takes an object such as { step: 1, loss: 0.5 }');
    }
    const line = `${JSON.stringify(row, (_k, v) => (typeof v === 'number' && !Number.isFinite(v) ? String(v) : v))}\n`;
    if (this.#fd === undefined) {
      this.beforeCreate?.();
      try {
        this.#fd = fs.openSync(this.file, 'ax');
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'EEXIST') throw new ResultFileExistsError(this.file);
        throw error;
      }
    }
    fs.writeSync(this.#fd, line);
  }

  close(): void {
    if (this.#fd !== undefined) fs.closeSync(this.#fd);
    this.#fd = undefined;
  }
}

/**
 * Reads metrics.jsonl back; Python's bare NaN and Infinity are read as the strings "NaN" and
 * "Infinity". A line that is not a JSON object (a torn last line from a crash, `null`, a list,
 * garbage) is skipped.
 */
export function parseMetrics(text: string): Record<string, Json>[] {
  return parseMetricsCounted(text).rows;
}

/** parseMetrics, plus how many non-blank lines were skipped because they are not JSON objects. */
export function parseMetricsCounted(text: string): { rows: Record<string, Json>[]; skipped: number } {
  const rows: Record<string, Json>[] = [];
  let skipped = 0;
  // looked for once in the whole text, not in each line (a file of 1,000 lines, 100,000 results)
  const special = text.includes('NaN') || text.includes('Infinity');
  for (const line of text.split('\n')) {
    if (line.length === 0) continue;
    let row: unknown;
    try {
      // bare NaN, Infinity and -Infinity (Python's json writes them) become strings; the
      // rewrite runs only on the lines that may hold them (it costs more than the parse itself)
      row = JSON.parse(
        special && (line.includes('NaN') || line.includes('Infinity'))
          ? line.replace(/(-?)\b(Infinity|NaN)\b(?=(?:[^"]*"[^"]*")*[^"]*$)/g, '"$1$2"')
          : line,
      );
    } catch {
      // a line of blanks is no line
      if (line.trim()) skipped++;
      continue;
    }
    if (typeof row === 'object' && row !== null && !Array.isArray(row))
      rows.push(row as Record<string, Json>);
    else skipped++;
  }
  return { rows, skipped };
}
