// The dashboard's single-page app: plain DOM, uPlot for charts, state in the address. One file
// per page (runs, compare, run, graph); dom.ts holds what they share. The page sorts, filters
// and formats with the library's own functions (compare/values.ts, run/format.ts).
import { comparePage } from './compare.ts';
import { el, live, main, route, token } from './dom.ts';
import { graphPage, treePage } from './graph.ts';
import { runPage } from './run.ts';
import { forgetRuns, runsPage } from './runs.ts';

// --- routing and live updates -------------------------------------------------------------

let rendering = 0;
async function render(): Promise<void> {
  const mine = ++rendering;
  const { page, arg, params } = route();
  for (const a of document.querySelectorAll('header nav a'))
    a.classList.toggle('active', (a as HTMLElement).dataset.page === page);
  live.refresh = undefined;
  if (page !== 'runs') forgetRuns();
  // a cold server may take seconds to list thousands of results: say so at once
  const slow = window.setTimeout(() => {
    if (mine === rendering) main().replaceChildren(el('p', { className: 'muted', textContent: 'Loading…' }));
  }, 150);
  try {
    if (page === 'compare') await comparePage(params);
    else if (page === 'run') await runPage(arg);
    else if (page === 'graph') await graphPage(params);
    else if (page === 'tree') await treePage(params);
    else await runsPage(params);
  } catch (error) {
    if (mine === rendering)
      main().replaceChildren(
        el('p', { className: 'warn', textContent: (error as Error).message }),
        el('p', {}, el('a', { href: '#/runs', textContent: 'Back to the runs' })),
      );
  } finally {
    window.clearTimeout(slow);
    // which address the page shows now (tests wait on it after a click that navigates)
    if (mine === rendering) document.body.dataset.rendered = location.hash;
  }
}

window.addEventListener('hashchange', () => void render());
void render();

// "/" goes to the filter, as in most dashboards
window.addEventListener('keydown', (e) => {
  const target = e.target as HTMLElement;
  if (e.key !== '/' || ['INPUT', 'SELECT', 'TEXTAREA'].includes(target.tagName)) return;
  const filter = document.getElementById('filter') as HTMLInputElement | null;
  if (filter) {
    e.preventDefault();
    filter.focus();
  }
});

const liveLabel = (text: string, ok: boolean) => {
  const label = document.getElementById('live');
  if (!label) return;
  label.textContent = text;
  label.classList.toggle('down', !ok);
};
const events = new EventSource(`/api/events${token ? `?token=${encodeURIComponent(token)}` : ''}`);
let first = true;
events.addEventListener('runs', () => {
  liveLabel(`live · ${new Date().toLocaleTimeString()}`, true);
  if (first) {
    first = false;
    return;
  }
  // each page updates what changed, and keeps focus, scroll, zoom and selection
  void refresh();
});

// One update at a time, and a page whose update takes long (a list of 100,000 results: seconds
// to make, send and read) updated at most every REFRESH_GAP times that long: a run that logs
// every second kept the server and the tab busy without pause. Events meanwhile make one more.
const REFRESH_GAP = 3;
let refreshing = false;
let again = false;
let lastTook = 0;
let lastEnded = 0;
async function refresh(): Promise<void> {
  if (refreshing) {
    again = true;
    return;
  }
  refreshing = true;
  try {
    const wait = lastEnded + REFRESH_GAP * lastTook - Date.now();
    if (wait > 0) await new Promise((done) => window.setTimeout(done, wait));
    const started = Date.now();
    await live.refresh?.().catch(() => undefined);
    lastEnded = Date.now();
    lastTook = lastEnded - started;
  } finally {
    refreshing = false;
    if (again) {
      again = false;
      void refresh();
    }
  }
}
// the browser retries by itself; meanwhile the page must not claim to be live
events.onerror = () => liveLabel('disconnected · retrying', false);
