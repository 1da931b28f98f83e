// CSV out of the tables: its own module, so that the commands which print no CSV do not load
// csv-stringify as they start (`ls` and `diff` load it for --csv).
import { stringify } from 'csv-stringify/sync';
import type { Json } from '../config/json.ts';
import type { ConfigDiff } from './diff.ts';

/**
 * RFC 4180 with CRLF records. csv-stringify quotes a field holding the record delimiter (CRLF)
 * but not a bare LF or CR, which breaks the row for every reader: those are quoted too.
 */
export const CSV_OPTIONS = { record_delimiter: 'windows', quoted_match: /[\r\n]/ } as const;

/** Rows (the first the header) as CSV text by CSV_OPTIONS. */
export function toCsv(rows: string[][]): string {
  return stringify(rows, CSV_OPTIONS);
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
  return toCsv([['name', ...diff.keys, 'defaults'], ...rows]);
}

/** A value for a CSV field: see diffToCsv. */
function csvValue(value: Json): string {
  if (typeof value === 'string') return value === '' ? '""' : value;
  return JSON.stringify(value);
}
