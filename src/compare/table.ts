import { eastAsianWidth } from 'get-east-asian-width';
import type { Json } from '../config/json.ts';
import type { Cell, ConfigDiff } from './diff.ts';

/** How an absent key shows in a terminal table. */
export const ABSENT = '—';
/** The mark after a value that came from the script's default. */
export const DEFAULT_MARK = '*';

// printable ASCII plus the dash and ellipsis the tables use, one column each
const PRINTABLE_ASCII = /^[\x20-\x7e—…]*$/;

/** Terminal columns of a string: its length when it is plain ASCII, else wideWidth's count. */
export function displayWidth(text: string): number {
  // a loop over the codes: the regex alone cost 50 ms of a 100,000-row listing
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x20 || code > 0x7e) return PRINTABLE_ASCII.test(text) ? text.length : wideWidth(text);
  }
  return text.length;
}

let segmenter: Intl.Segmenter | undefined;
// a grapheme shown as an emoji: one presented so by default, a pictograph asking for it (U+FE0F),
// a flag, a keycap
const EMOJI =
  /^(?:\p{Emoji_Presentation}|\p{Extended_Pictographic}\uFE0F|\p{Regional_Indicator}|[#*0-9]\uFE0F?\u20E3)/u;
const ZERO_WIDTH = /^[\p{Mark}\p{Default_Ignorable_Code_Point}\p{Surrogate}]/u;

/**
 * Terminal columns of text that is not plain ASCII, by grapheme: an emoji or an East Asian wide
 * character counts two, a mark, a control or an invisible character none, the rest one (the
 * rules of string-width, whose module made an Intl.Segmenter as it loaded: ~20 ms of the start
 * of every command that prints a table). The widths come from get-east-asian-width.
 */
function wideWidth(text: string): number {
  segmenter ??= new Intl.Segmenter();
  let width = 0;
  for (const { segment } of segmenter.segment(text)) {
    const code = segment.codePointAt(0) as number;
    if (code <= 0x1f || (code >= 0x7f && code <= 0x9f) || ZERO_WIDTH.test(segment)) continue;
    width += EMOJI.test(segment) ? 2 : eastAsianWidth(code);
  }
  return width;
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
    out.push(
      line(
        cols,
        columns,
        (c) => row[c] ?? '',
        (c) => cells[r * n + c] as number,
      ),
    );
  });
  return out.join('\n');
}

/** Runs of spaces, made once per length: a table pads a million cells with a few dozen of them. */
const SPACES: string[] = [];
function spaces(n: number): string {
  let s = SPACES[n];
  if (s === undefined) {
    s = ' '.repeat(n);
    SPACES[n] = s;
  }
  return s;
}

/** One line of a table: the columns' texts padded to their widths, two spaces apart. */
function line(
  cols: readonly number[],
  widths: readonly number[],
  text: (c: number) => string,
  width: (c: number) => number,
): string {
  let out = '';
  const last = cols.length - 1;
  for (let k = 0; k < last; k++) {
    const c = cols[k] as number;
    out += text(c) + spaces((widths[c] as number) - width(c) + 2);
  }
  if (last >= 0) out += text(cols[last] as number);
  return out.trimEnd();
}

/** Which columns each block of a table shows: the first `fixed`, then as many as fit `width`. */
function blocksOf(widths: readonly number[], width: number, fixed: number): number[][] {
  const fixedWidth = widths.slice(0, fixed).reduce((a, b) => a + b + 2, 0);
  const blocks: number[][] = [];
  let start = fixed;
  do {
    let used = fixedWidth;
    let end = start;
    while (end < widths.length && (end === start || used + (widths[end] ?? 0) <= width)) {
      used += (widths[end] ?? 0) + 2;
      end++;
    }
    blocks.push([
      ...Array.from({ length: fixed }, (_, k) => k),
      ...Array.from({ length: end - start }, (_, k) => start + k),
    ]);
    start = end;
  } while (start < widths.length);
  return blocks;
}

/**
 * renderFitted for a big table, in pieces: each cell is asked for twice (`cell(row, column)`,
 * which gives the same text each time), once for the widths and once as its line is made, and
 * the lines come a thousand at a time, so 100,000 rows never become one string. The pieces
 * joined are what renderFitted returns, and a newline. Keeping the 2 million cells of a listing
 * between the two cost more than making them again: the garbage collector copied every one
 * that lived on.
 */
export function* fittedPieces(
  head: string[],
  rowCount: number,
  cell: (row: number, column: number) => string,
  width: number,
  fixed = 1,
): Generator<string, void, undefined> {
  const n = head.length;
  const widths = new Uint16Array(rowCount * n);
  const columns = head.map(displayWidth);
  for (let r = 0, i = 0; r < rowCount; r++) {
    for (let c = 0; c < n; c++, i++) {
      const w = Math.min(displayWidth(cell(r, c)), 0xffff);
      widths[i] = w;
      if (w > (columns[c] as number)) columns[c] = w;
    }
  }
  const blocks = blocksOf(columns, width, fixed);
  for (let b = 0; b < blocks.length; b++) {
    const cols = blocks[b] as number[];
    const last = cols.length - 1;
    let piece = `${line(
      cols,
      columns,
      (c) => head[c] as string,
      (c) => displayWidth(head[c] as string),
    )}\n`;
    for (let r = 0; r < rowCount; r++) {
      // line() spelt out: a closure or two per row of 100,000 shows in a profile
      const at = r * n;
      let out = '';
      for (let k = 0; k < last; k++) {
        const c = cols[k] as number;
        out += cell(r, c) + spaces((columns[c] as number) - (widths[at + c] as number) + 2);
      }
      out += cell(r, cols[last] as number);
      piece += `${out.trimEnd()}\n`;
      if (r % 1000 === 999) {
        yield piece;
        piece = '';
      }
    }
    yield b < blocks.length - 1 ? `${piece}\n` : piece;
  }
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
  return blocksOf(measured.columns, width, fixed)
    .map((cols) => renderTable(head, rows, cols, measured))
    .join('\n\n');
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
