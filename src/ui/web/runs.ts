// The dashboard's runs table: filtered as the reader types (the grammar of `repro ls --where`),
// sorted and formatted with the library's functions, updated in place when runs change.
import { matchesFilter, parseFilter, runValue, sortRuns } from '../../compare/values.ts';
import {
  api,
  el,
  fmt,
  go,
  href,
  type Json,
  live,
  localTime,
  main,
  num,
  type Run,
  replaceRoute,
  seconds,
} from './dom.ts';

export interface RunsData {
  runs: Run[];
  keys: string[];
  allKeys: string[];
  metrics: string[];
}

/** A column's value: the library's runValue, as `repro ls` reads it (`loss.best` for the best). */
export const value = (run: Run, column: string): Json | undefined => runValue(run, column);

let runsScroll = { top: 0, left: 0 };

/**
 * The last listing, kept for the page's own changes (a sort, a status, a column) so that they
 * redraw at once instead of downloading the list again; live updates replace it.
 */
let kept: { upstream: boolean; data: RunsData } | undefined;

/** Leaving the runs page forgets the listing: coming back reads it fresh. */
export function forgetRuns(): void {
  kept = undefined;
}

async function fetchRuns(upstream: boolean): Promise<RunsData> {
  const data = await api<RunsData>(`/api/runs${upstream ? '?upstream=1' : ''}`);
  kept = { upstream, data };
  // NaN and the infinities travel as strings: numbers again, so they sort as numbers
  for (const r of data.runs)
    for (const m of Object.values(r.metrics)) {
      m.last = num(m.last);
      m.best = num(m.best);
    }
  return data;
}

/**
 * The columns: the name, the pinned ones (kept in view when the table scrolls sideways), then
 * the fixed ones, config keys that differ, added ones and each metric's last and best (metrics
 * before the rest with `metricsFirst`) in the order the reader dragged them to (`arranged`),
 * without the hidden ones.
 */
function columnsOf(
  data: RunsData,
  extra: string[],
  view: {
    hide?: readonly string[];
    metricsFirst?: boolean;
    pin?: readonly string[];
    arranged?: readonly string[];
  },
): string[] {
  const configKeys = new Set(data.allKeys);
  // a metric named like a config key gets its own name: metric:precision
  const named = (m: string) => (configKeys.has(m) ? `metric:${m}` : m);
  const rest = ['status', 'started', 'duration', ...data.keys, ...extra];
  const metrics = data.metrics.flatMap((m) => [named(m), `${named(m)}.best`]);
  const hidden = new Set(view.hide);
  const all = [...new Set(view.metricsFirst ? [...metrics, ...rest] : [...rest, ...metrics])];
  // dragged: the arranged ones in their order, the others where they were after them
  const at = new Map((view.arranged ?? []).map((c, i) => [c, i]));
  const order = all
    .map((c, i) => ({ c, key: at.get(c) ?? at.size + i }))
    .sort((a, b) => a.key - b.key)
    .map((x) => x.c);
  const pinned = (view.pin ?? []).filter((c) => order.includes(c));
  return ['name', ...pinned, ...order.filter((c) => !pinned.includes(c))].filter(
    (c) => c === 'name' || !hidden.has(c),
  );
}

/** Keeps the runs that pass every word: `loss<0.1`, `lr=0.1`, or text found in the name. */
export function filterRuns(runs: Run[], q: string, status: string): Run[] {
  const tests = q
    .split(/\s+/)
    .filter(Boolean)
    .map((word) => {
      const f = parseFilter(word);
      if (f) return (r: Run) => matchesFilter(r, f);
      const lower = word.toLowerCase();
      return (r: Run) => r.name.toLowerCase().includes(lower);
    });
  return runs.filter((r) => (!status || value(r, 'status') === status) && tests.every((t) => t(r)));
}

export async function runsPage(params: URLSearchParams): Promise<void> {
  const upstream = params.get('upstream') === '1';
  let data = kept?.upstream === upstream ? kept.data : await fetchRuns(upstream);
  const extra = params.getAll('col');
  const hide = params.getAll('hide');
  const metricsFirst = params.get('order') === 'metrics';
  const pin = params.getAll('pin');
  const arranged = params.getAll('cols');
  const view = { hide, metricsFirst, pin, arranged };
  let sort = params.get('sort') ?? '';
  let q = params.get('q') ?? '';
  const status = params.get('status') ?? '';
  const sel = new Set(params.getAll('sel'));
  const state = () => ({
    sort,
    q,
    status,
    sel: [...sel],
    col: extra,
    hide,
    pin,
    cols: arranged,
    order: metricsFirst ? 'metrics' : '',
    upstream: upstream ? '1' : '',
  });

  if (data.runs.length === 0) {
    main().replaceChildren(
      el('h2', { textContent: 'No results yet' }),
      el(
        'p',
        {},
        'Make one with ',
        el('code', { textContent: 'npx repro run configs/<name>.json' }),
        ' or a whole pipeline with ',
        el('code', { textContent: 'npx repro make <name>' }),
        '; it appears here by itself.',
      ),
    );
    live.refresh = async () => {
      if ((await fetchRuns(upstream)).runs.length) await runsPage(params);
    };
    return;
  }

  const filter = el('input', {
    type: 'search',
    id: 'filter',
    placeholder: 'filter: name words, lr=0.1, loss<0.5  ( / )',
    value: q,
    title:
      'words match names (any case); key=value, key!=value, key<number, key>=number match values, as repro ls --where',
  });
  let typing: number | undefined;
  filter.oninput = () => {
    window.clearTimeout(typing);
    typing = window.setTimeout(() => {
      q = filter.value;
      replaceRoute('runs', state());
      paintRows();
    }, 120);
  };
  const statusSelect = el(
    'select',
    { title: 'status' },
    el('option', { value: '', textContent: 'any status' }),
  );
  for (const s of ['done', 'done, stale', 'running', 'failed', 'crashed', 'interrupted', 'damaged'])
    statusSelect.append(el('option', { value: s, textContent: s, selected: s === status }));
  statusSelect.onchange = () => go('runs', { ...state(), status: statusSelect.value });
  const addColumn = el(
    'select',
    { title: 'add a column' },
    el('option', { value: '', textContent: 'add a column…' }),
  );
  const upstreamBox = el('input', { type: 'checkbox', checked: upstream });
  upstreamBox.onchange = () => go('runs', { ...state(), upstream: upstreamBox.checked ? '1' : '' });
  const compare = el('button', { textContent: `Compare ${sel.size} selected`, disabled: sel.size < 1 });
  compare.onclick = () => go('compare', { sel: [...sel] });
  const count = el('span', { className: 'muted' });
  const showHidden = el('button', {
    textContent: `show ${hide.length} hidden`,
    title: hide.join(', '),
    hidden: hide.length === 0,
  });
  showHidden.onclick = () => go('runs', { ...state(), hide: [] });
  const metricsFirstBox = el('input', { type: 'checkbox', checked: metricsFirst });
  metricsFirstBox.onchange = () =>
    go('runs', { ...state(), order: metricsFirstBox.checked ? 'metrics' : '' });

  const ROW = 28;
  const viewport = el('div', { className: 'viewport' });
  const spacer = el('div', { className: 'spacer' });
  let columns: string[] = [];
  let widths: number[] = [];
  let lefts = new Map<number, number>();
  /** A pinned column's cell sticks at its place beside the name. */
  const stick = (cell: HTMLElement, column: number) => {
    const left = lefts.get(column);
    if (left === undefined) return;
    cell.classList.add('pinned');
    cell.style.left = `${left}px`;
  };
  let rows: Run[] = [];
  /** The run whose box was clicked last: a shift-click selects from it (a live update keeps it). */
  let lastClicked: string | undefined;
  const head = el('div', { className: 'row head' });

  const arrowOf = (c: string) => (sort === c ? ' ▲' : sort === `-${c}` ? ' ▼' : '');
  /** A header's label: its name and arrow, and (a narrow column cuts both) a colour when sorted. */
  const labelSort = (button: HTMLElement, c: string) => {
    button.textContent = c + arrowOf(c);
    button.classList.toggle('sorted', sort === c || sort === `-${c}`);
  };
  const sortButtons = new Map<string, HTMLButtonElement>();
  const buildHead = () => {
    sortButtons.clear();
    columns = columnsOf(data, extra, view);
    widths = columns.map((c) =>
      // status fits "done, stale" and "interrupted"; started a whole date and time
      c === 'name'
        ? 220
        : c === 'started'
          ? 160
          : c === 'status'
            ? 110
            : Math.max(80, Math.min(180, c.length * 8 + 30)),
    );
    // pinned columns stay in view beside the name: each sticks at the widths before it
    lefts = new Map();
    let left = 30 + (widths[0] ?? 0);
    for (const [k, c] of columns.entries())
      if (pin.includes(c)) {
        lefts.set(k, left);
        left += widths[k] ?? 0;
      }
    const all = el('input', { type: 'checkbox', title: 'select every run shown' });
    all.onchange = () => {
      for (const r of rows) all.checked ? sel.add(r.name) : sel.delete(r.name);
      selectionChanged();
      paint();
    };
    head.replaceChildren(el('div', { className: 'cell pick' }, all));
    columns.forEach((c, i) => {
      const button = el('button', {
        className: 'sort',
        title: `sort by ${c}${c === 'started' ? ' (times are your local time)' : ''}`,
      });
      labelSort(button, c);
      // a sort redraws the rows in place and turns the arrows: the list is here, the head and
      // the toolbar stay (new elements under the pointer would cost a layout of their own)
      button.onclick = () => {
        sort = sort === c ? `-${c}` : c;
        replaceRoute('runs', state());
        for (const [column, b] of sortButtons) labelSort(b, column);
        paintRows();
      };
      sortButtons.set(c, button);
      const pinned = pin.includes(c);
      const cell = el('div', { className: `cell${c === 'name' ? ' name' : ''}` }, button);
      if (c !== 'name') {
        // drag a header onto another to put it there; pin keeps it beside the name
        cell.draggable = true;
        cell.title = `drag to move ${c}`;
        cell.ondragstart = (event) => event.dataTransfer?.setData('text/plain', c);
        cell.ondragover = (event) => event.preventDefault();
        cell.ondrop = (event) => {
          event.preventDefault();
          const moved = event.dataTransfer?.getData('text/plain');
          if (!moved || moved === c || !columns.includes(moved)) return;
          const order = columns.filter((x) => x !== moved && x !== 'name');
          order.splice(order.indexOf(c), 0, moved);
          go('runs', { ...state(), cols: order });
        };
        const pinButton = el('button', {
          className: 'pin',
          textContent: pinned ? '⊗' : '⊕',
          title: pinned ? `unpin ${c}` : `pin ${c} beside the name (stays in view when scrolling sideways)`,
        });
        pinButton.onclick = () =>
          go('runs', { ...state(), pin: pinned ? pin.filter((x) => x !== c) : [...pin, c] });
        // every column but the name can go: an added one is removed, the others hidden
        const remove = el('button', {
          className: 'remove',
          textContent: '×',
          title: `hide the column ${c}`,
        });
        remove.onclick = () =>
          go(
            'runs',
            extra.includes(c)
              ? { ...state(), col: extra.filter((x) => x !== c) }
              : { ...state(), hide: [...hide, c] },
          );
        cell.append(pinButton, remove);
      }
      cell.style.width = `${widths[i]}px`;
      stick(cell, i);
      head.append(cell);
    });
    addColumn.replaceChildren(el('option', { value: '', textContent: 'add a column…' }));
    for (const k of data.allKeys.filter((k) => !columns.includes(k)))
      addColumn.append(el('option', { value: k, textContent: k }));
  };
  addColumn.onchange = () => go('runs', { ...state(), col: [...extra, addColumn.value] });

  const selectionChanged = () => {
    replaceRoute('runs', state());
    compare.textContent = `Compare ${sel.size} selected`;
    compare.disabled = sel.size < 1;
  };

  // virtualised: only the rows in view are in the page
  const paint = () => {
    const first = Math.max(0, Math.floor(viewport.scrollTop / ROW) - 10);
    const last = Math.min(rows.length, first + Math.ceil(viewport.clientHeight / ROW) + 20);
    spacer.style.height = `${rows.length * ROW}px`;
    spacer.replaceChildren();
    for (let i = first; i < last; i++) {
      const r = rows[i] as Run;
      const line = el('div', { className: 'row' });
      line.style.top = `${i * ROW}px`;
      line.dataset.name = r.name;
      const box = el('input', {
        type: 'checkbox',
        checked: sel.has(r.name),
        title: `select ${r.name} (shift-click: every run from the last one clicked)`,
      });
      box.onclick = (event) => {
        // shift-click: the rows between the last box clicked and this one take this one's state
        const last = event.shiftKey ? rows.findIndex((row) => row.name === lastClicked) : -1;
        const from = last >= 0 ? Math.min(last, i) : i;
        const to = last >= 0 ? Math.max(last, i) : i;
        for (let k = from; k <= to; k++) {
          const name = (rows[k] as Run).name;
          if (box.checked) sel.add(name);
          else sel.delete(name);
        }
        lastClicked = r.name;
        selectionChanged();
        if (to > from) paint();
      };
      line.append(el('div', { className: 'cell pick' }, box));
      columns.forEach((c, k) => {
        const v = value(r, c);
        const text =
          c === 'duration' ? seconds(r.duration_s) : c === 'started' ? localTime(r.started_at) : fmt(v);
        const stale = c === 'status' && Boolean(r.stale?.length);
        const cell =
          c === 'name'
            ? el('a', {
                className: 'cell name',
                href: href('run', {}, r.name),
                textContent: text,
                title: text,
              })
            : el('div', {
                className: `cell${c === 'status' ? ` status-${stale ? 'stale' : r.status}` : ''}`,
                textContent: text,
                title: stale
                  ? `stale: ${r.stale?.join('; ')}`
                  : c === 'started'
                    ? `${text} (local time)`
                    : text,
              });
        cell.style.width = `${widths[k]}px`;
        stick(cell, k);
        line.append(cell);
      });
      spacer.append(line);
    }
  };
  const paintRows = () => {
    rows = filterRuns(data.runs, q, status);
    if (sort) rows = sortRuns(rows, sort);
    count.textContent = `${rows.length} of ${data.runs.length} results`;
    paint();
  };
  // the name and pinned columns stick only while the table is scrolled sideways (app.css)
  const markAcross = () => viewport.classList.toggle('across', viewport.scrollLeft > 0);
  viewport.onscroll = () => {
    runsScroll = { top: viewport.scrollTop, left: viewport.scrollLeft };
    markAcross();
    paint();
  };
  buildHead();
  viewport.append(head, spacer);
  main().replaceChildren(
    el(
      'div',
      { className: 'toolbar' },
      filter,
      statusSelect,
      addColumn,
      el(
        'label',
        { title: 'the configs each run was built on, as <stage>.<key> columns' },
        upstreamBox,
        ' upstream',
      ),
      el(
        'label',
        { title: "each metric's columns before the config keys" },
        metricsFirstBox,
        ' metrics first',
      ),
      showHidden,
      compare,
      count,
    ),
    el('div', { className: 'table' }, viewport),
  );
  viewport.scrollTop = runsScroll.top;
  viewport.scrollLeft = runsScroll.left;
  markAcross();
  paintRows();

  // a live update changes the rows in place: the filter keeps its focus and text, the scroll
  // and the selection stay
  live.refresh = async () => {
    const next = await fetchRuns(upstream);
    const before = columnsOf(data, extra, view).join('\n');
    data = next;
    if (columnsOf(data, extra, view).join('\n') !== before) buildHead();
    paintRows();
  };
}
