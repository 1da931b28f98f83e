// Previews of a result's files on the run page: pictures inline, the first rows of a CSV or TSV
// as a table, JSON pretty-printed, any other text as it is. Only the first 64 KiB are fetched.
import { parse } from 'csv-parse/browser/esm/sync';
import { apiTextWithHeaders, el } from './dom.ts';

const HEAD = 64 * 1024;
const PICTURES = /\.(png|jpe?g|gif|webp|svg)$/i;
const TEXT =
  /\.(txt|log|md|json|jsonl|ndjson|csv|tsv|ya?ml|toml|ini|cfg|py|ts|js|mjs|sh|r|sql|html|xml|tex|out|err)$/i;

/** Whether the page can show this file. */
export const previewable = (path: string): boolean => PICTURES.test(path) || TEXT.test(path);

/** A preview of the file at `url` (the file's download address, token included). */
export async function preview(path: string, url: string): Promise<HTMLElement> {
  const join = url.includes('?') ? '&' : '?';
  if (PICTURES.test(path))
    return el('img', { className: 'preview', src: `${url}${join}inline=1`, alt: path });
  const { body, headers } = await apiTextWithHeaders(`${url}${join}head=${HEAD}`);
  const total = Number(headers.get('x-total-size') ?? body.length);
  const cut = total > HEAD;
  const note = cut
    ? el('p', { className: 'muted', textContent: `the first ${HEAD / 1024} KiB of ${total} bytes` })
    : '';
  // a cut file's last line may be half a line: leave it out
  const text = cut ? body.slice(0, body.lastIndexOf('\n') + 1) : body;
  if (/\.(csv|tsv)$/i.test(path)) {
    try {
      const rows = parse(text, {
        delimiter: /\.tsv$/i.test(path) ? '\t' : ',',
        relax_column_count: true,
        to: 21,
      }) as string[][];
      const [header, ...rest] = rows;
      return el(
        'div',
        { className: 'scroll preview' },
        el(
          'table',
          { className: 'diff' },
          el('tr', {}, ...(header ?? []).map((h) => el('th', { textContent: h }))),
          ...rest.map((r) => el('tr', {}, ...r.map((v) => el('td', { textContent: v })))),
        ),
        el('p', { className: 'muted', textContent: `the first ${rest.length} rows` }),
      );
    } catch {
      // not CSV after all: shown as text below
    }
  }
  let shown = text;
  if (/\.json$/i.test(path) && !cut)
    try {
      shown = JSON.stringify(JSON.parse(text), null, 2);
    } catch {
      // not JSON after all: as it is
    }
  return el('div', { className: 'preview' }, el('pre', { className: 'log', textContent: shown }), note);
}
