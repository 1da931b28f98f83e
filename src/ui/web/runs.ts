// The dashboard's runs table.
import { runValue, sortRuns } from '../../compare/values.ts';
import { api, el, fmt, go, type Json, main, num, type Run, seconds } from './dom.ts';

// --- runs ---------------------------------------------------------------------------------

export interface RunsData {
  runs: Run[];
  keys: string[];
  allKeys: string[];
  metrics: string[];
}

/** A column's value: the library's runValue, as `repro ls` reads it (`loss.best` for the best). */
export const value = (run: Run, column: string): Json | undefined => runValue(run, column);

let runsScroll = 0;

export async function runsPage(params: URLSearchParams): Promise<void> {
  const data = await api<RunsData>('/api/runs');
  // NaN and the infinities travel as strings: numbers again, so they sort as numbers
  for (const r of data.runs)
    for (const m of Object.values(r.metrics)) {
      m.last = num(m.last);
      m.best = num(m.best);
    }
  const extra = (params.get('cols') ?? '').split(',').filter(Boolean);
  const columns = [
    'name',
    'status',
    'started',
    'duration',
    ...data.keys,
    ...extra,
    ...data.metrics.flatMap((m) => [m, `${m}.best`]),
  ];
  const sort = params.get('sort') ?? '';
  const q = params.get('q') ?? '';
  const status = params.get('status') ?? '';
  const sel = new Set((params.get('sel') ?? '').split(',').filter(Boolean));
  const state = () => ({ sort, q, status, sel: [...sel].join(','), cols: extra.join(',') });

  // filter: words match the name; key=value words match config values
  const words = q.split(/\s+/).filter(Boolean);
  let rows = data.runs.filter(
    (r) =>
      (!status || value(r, 'status') === status) &&
      words.every((w) => {
        const eq = w.indexOf('=');
        if (eq > 0) return fmt(value(r, w.slice(0, eq))) === w.slice(eq + 1);
        return r.name.includes(w);
      }),
  );
  if (sort) rows = sortRuns(rows, sort);

  const filter = el('input', { type: 'text', placeholder: 'filter: name words, key=value', value: q });
  filter.onchange = () => go('runs', { ...state(), q: filter.value });
  const statusSelect = el('select', {}, el('option', { value: '', textContent: 'any status' }));
  for (const s of ['done', 'done, stale', 'running', 'failed', 'crashed', 'interrupted', 'damaged'])
    statusSelect.append(el('option', { value: s, textContent: s, selected: s === status }));
  statusSelect.onchange = () => go('runs', { ...state(), status: statusSelect.value });
  const addColumn = el('select', {}, el('option', { value: '', textContent: 'add a column…' }));
  for (const k of data.allKeys.filter((k) => !columns.includes(k)))
    addColumn.append(el('option', { value: k, textContent: k }));
  addColumn.onchange = () => go('runs', { ...state(), cols: [...extra, addColumn.value].join(',') });
  const compare = el('button', { textContent: `Compare ${sel.size} selected`, disabled: sel.size < 1 });
  compare.onclick = () => go('compare', { sel: [...sel].join(','), metric: data.metrics[0] });
  const count = el('span', { textContent: `${rows.length} of ${data.runs.length} results` });

  const widths = columns.map((c) =>
    // status fits "done, stale" and "interrupted"; started a whole date and time
    c === 'name'
      ? 220
      : c === 'started'
        ? 170
        : c === 'status'
          ? 110
          : Math.max(70, Math.min(180, c.length * 8 + 24)),
  );
  const head = el('div', { className: 'row head' }, el('div', { className: 'cell', style: 'width:30px' }));
  columns.forEach((c, i) => {
    const arrow = sort === c ? ' ▲' : sort === `-${c}` ? ' ▼' : '';
    const cell = el('div', { className: 'cell', textContent: c + arrow, title: `sort by ${c}` });
    cell.style.width = `${widths[i]}px`;
    cell.onclick = () => go('runs', { ...state(), sort: sort === c ? `-${c}` : c });
    head.append(cell);
  });

  // virtualised: only the rows in view are in the page
  const ROW = 28;
  const viewport = el('div', { className: 'viewport' });
  const spacer = el('div');
  spacer.style.height = `${rows.length * ROW}px`;
  spacer.style.position = 'relative';
  viewport.append(head, spacer);
  const paint = () => {
    const first = Math.max(0, Math.floor(viewport.scrollTop / ROW) - 10);
    const last = Math.min(rows.length, first + Math.ceil(viewport.clientHeight / ROW) + 20);
    spacer.replaceChildren();
    for (let i = first; i < last; i++) {
      const r = rows[i] as Run;
      const line = el('div', { className: 'row' });
      line.style.position = 'absolute';
      line.style.top = `${i * ROW}px`;
      line.dataset.name = r.name;
      const box = el('input', { type: 'checkbox', checked: sel.has(r.name) });
      box.onchange = () => {
        if (box.checked) sel.add(r.name);
        else sel.delete(r.name);
        history.replaceState(
          null,
          '',
          `#/runs?${new URLSearchParams(Object.entries(state()).filter((e) => e[1])).toString()}`,
        );
        compare.textContent = `Compare ${sel.size} selected`;
        compare.disabled = sel.size < 1;
      };
      line.append(el('div', { className: 'cell', style: 'width:30px' }, box));
      columns.forEach((c, k) => {
        const v = value(r, c);
        const text =
          c === 'duration'
            ? seconds(r.duration_s)
            : c === 'started'
              ? (r.started_at ?? '').replace('T', ' ').slice(0, 19)
              : fmt(v);
        const stale = c === 'status' && Boolean(r.stale?.length);
        const cell = el('div', {
          className: `cell${c === 'status' ? ` status-${stale ? 'stale' : r.status}` : ''}`,
          textContent: text,
          title: stale ? `stale: ${r.stale?.join('; ')}` : text,
        });
        cell.style.width = `${widths[k]}px`;
        if (c === 'name') {
          cell.style.cursor = 'pointer';
          cell.onclick = () => go('run', {}, r.name);
        }
        line.append(cell);
      });
      spacer.append(line);
    }
  };
  viewport.onscroll = () => {
    runsScroll = viewport.scrollTop;
    paint();
  };
  main().replaceChildren(
    el('div', { className: 'toolbar' }, filter, statusSelect, addColumn, compare, count),
    el('div', { className: 'table' }, viewport),
  );
  // a live update re-renders the page: keep the reader where they were
  viewport.scrollTop = runsScroll;
  paint();
}
