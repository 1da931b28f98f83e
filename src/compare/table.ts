import { stringify } from 'csv-stringify/sync';
import stringWidth from 'string-width';
import type { Json } from '../config/json.ts';
import type { Cell, ConfigDiff } from './diff.ts';

/** How an absent key shows in a terminal table. */
export const ABSENT = '—';
/** The mark after a value that came from the script's default. */
export const DEFAULT_MARK = '*';

// printable ASCII plus the dash and ellipsis the tables use, one column each
const PRINTABLE_ASCII = /^[\x20-\x7e—…]*$/;

/** Terminal columns of a string: its length when it is plain ASCII, else string-width's count. */
/**
 * RFC 4180 with CRLF records. csv-stringify quotes a field holding the record delimiter (CRLF)
 * but not a bare LF or CR, which breaks the row for every reader: those are quoted too.
 */
export const CSV_OPTIONS = { record_delimiter: 'windows', quoted_match: /[\r\n]/ } as const;

export function displayWidth(text: string): number {
  return PRINTABLE_ASCII.test(text) ? text.length : stringWidth(text);
}

const AMBIGUOUS = /^(?:|null|true|false|-?\d.*|\s.*|.*\s|—)$/s;

/**
 * A value as text: strings bare unless they would read as something else (`""`, `"null"`,
 * `"5"`, padded with spaces), everything else as compact JSON. Control characters are escaped
 * so a value never breaks a row.
 */
export function formatValue(value: Json): string {
  if (typeof value === 'string' && !AMBIGUOUS.test(value) && !/[\u0000-\u001f\u007f]/.test(value))
    return value;
  return JSON.stringify(value);
}

/** A cell as text for a terminal: `—` when absent, `value*` when from a default. */
export function formatCell(cell: Cell, maxWidth = 40): string {
  if (cell.kind === 'absent') return ABSENT;
  return (
    truncate(formatValue(cell.value), maxWidth - (cell.defaulted ? 1 : 0)) +
    (cell.defaulted ? DEFAULT_MARK : '')
  );
}

/** Cuts text to `max` terminal columns with an ellipsis. Cheap on huge strings. */
export function truncate(text: string, max: number): string {
  // look at a bounded prefix: a 1 MB value must not cost a 1 MB width computation
  const head = text.length > max * 4 ? text.slice(0, max * 4) : text;
  if (head === text && displayWidth(text) <= max) return text;
  let out = '';
  let width = 0;
  for (const ch of head) {
    const w = displayWidth(ch);
    if (width + w > max - 1) break;
    out += ch;
    width += w;
  }
  return `${out}…`;
}

/** Each cell's terminal width, measured once, and each column's widest. */
function measure(head: string[], rows: string[][]): { cells: Int32Array; columns: number[] } {
  const n = head.length;
  const cells = new Int32Array((rows.length + 1) * n);
  const columns = new Array<number>(n).fill(0);
  [head, ...rows].forEach((row, r) => {
    for (let c = 0; c < n; c++) {
      const w = displayWidth(row[c] ?? '');
      cells[r * n + c] = w;
      if (w > (columns[c] as number)) columns[c] = w;
    }
  });
  return { cells, columns };
}

/** Columns aligned by terminal width (wide characters count double), two spaces apart. */
export function renderTable(
  head: string[],
  rows: string[][],
  only?: number[],
  measured: { cells: Int32Array; columns: number[] } = measure(head, rows),
): string {
  const { cells, columns } = measured;
  const n = head.length;
  const cols = only ?? head.map((_, c) => c);
  const out: string[] = [];
  [head, ...rows].forEach((row, r) => {
    let line = '';
    cols.forEach((c, k) => {
      const text = row[c] ?? '';
      line +=
        k === cols.length - 1
          ? text
          : text + ' '.repeat((columns[c] as number) - (cells[r * n + c] as number) + 2);
    });
    out.push(line.trimEnd());
  });
  return out.join('\n');
}

function tableWidth(head: string[], rows: string[][]): number {
  const { columns } = measure(head, rows);
  return columns.reduce((a, b) => a + b, 0) + 2 * Math.max(0, columns.length - 1);
}

export interface RenderDiffOptions {
  /** Keys as rows and configs as columns. @default chosen by width */
  transpose?: boolean;
  /** The terminal width to fit. @default process.stdout.columns or 120 */
  width?: number;
  /** The widest a value may be. @default 40 */
  maxCell?: number;
}

/**
 * The diff as a terminal table, one row per config and one column per key. A table wider than
 * the terminal is transposed when that fits better (few configs, many keys), else cut into
 * blocks of columns that each repeat the name column.
 */
export function renderDiff(diff: ConfigDiff, options: RenderDiffOptions = {}): string {
  const width = options.width ?? (process.stdout.columns || 120);
  const cells = diff.rows.map((r) => r.cells.map((c) => formatCell(c, options.maxCell ?? 40)));
  const names = diff.rows.map((r) => (r.name === diff.base ? `${r.name} (base)` : r.name));
  const head = ['name', ...diff.keys];
  const rows = names.map((n, i) => [n, ...(cells[i] ?? [])]);
  const hasDefault = diff.rows.some((r) => r.cells.some((c) => c.kind === 'value' && c.defaulted));
  const legend = hasDefault ? `\n${DEFAULT_MARK} the script's default: the config lacks the key` : '';
  if (diff.keys.length === 0) return `${diff.rows.length} configs, no differing keys`;

  const transposed = () => {
    const tHead = ['key', ...names];
    const tRows = diff.keys.map((k, j) => [k, ...cells.map((r) => r[j] ?? '')]);
    return { tHead, tRows };
  };
  const { tHead, tRows } = transposed();
  if (options.transpose) return renderTable(tHead, tRows) + legend;
  if (tableWidth(head, rows) <= width) return renderTable(head, rows) + legend;
  if (diff.rows.length < diff.keys.length && tableWidth(tHead, tRows) <= width)
    return renderTable(tHead, tRows) + legend;
  return renderFitted(head, rows, width) + legend;
}

/**
 * A table cut into blocks of columns that each fit `width`, every block repeating the first
 * `fixed` columns (the names). A table that fits is one block.
 */
export function renderFitted(head: string[], rows: string[][], width: number, fixed = 1): string {
  const measured = measure(head, rows);
  const widths = measured.columns;
  const fixedWidth = widths.slice(0, fixed).reduce((a, b) => a + b + 2, 0);
  const blocks: string[] = [];
  let start = fixed;
  do {
    let used = fixedWidth;
    let end = start;
    while (end < head.length && (end === start || used + (widths[end] ?? 0) <= width)) {
      used += (widths[end] ?? 0) + 2;
      end++;
    }
    const cols = [
      ...Array.from({ length: fixed }, (_, k) => k),
      ...Array.from({ length: end - start }, (_, k) => start + k),
    ];
    blocks.push(renderTable(head, rows, cols, measured));
    start = end;
  } while (start < head.length);
  return blocks.join('\n\n');
}

/**
 * The diff as RFC 4180 CSV: a header `name,<keys...>,defaults`, one row per config. Strings are
 * written as they are (newlines and all: CSV quotes them), the empty string as `""`, other
 * values as JSON (`null`, `0.001`, `[1,2]`); an absent key is an empty field; never cut.
 * `defaults` lists the keys whose value came from a default.
 */
export function diffToCsv(diff: ConfigDiff): string {
  const rows = diff.rows.map((r) => [
    r.name,
    ...r.cells.map((c) => (c.kind === 'absent' ? '' : csvValue(c.value))),
    diff.keys
      .filter((_, j) => {
        const c = r.cells[j];
        return c?.kind === 'value' && c.defaulted;
      })
      .join(' '),
  ]);
  return stringify([['name', ...diff.keys, 'defaults'], ...rows], CSV_OPTIONS);
}

/** A value for a CSV field: see diffToCsv. */
function csvValue(value: Json): string {
  if (typeof value === 'string') return value === '' ? '""' : value;
  return JSON.stringify(value);
}

/** The diff as JSON: absent keys are left out of `values`; defaulted ones carry `"default": true`. */
export function diffToJson(diff: ConfigDiff): object {
  return {
    keys: diff.keys,
    base: diff.base,
    rows: diff.rows.map((r) => ({
      name: r.name,
      kind: r.kind,
      path: r.path,
      values: Object.fromEntries(
        r.cells.flatMap((c, j) =>
          c.kind === 'absent'
            ? []
            : [[diff.keys[j], c.defaulted ? { value: c.value, default: true } : { value: c.value }]],
        ),
      ),
    })),
  };
}
