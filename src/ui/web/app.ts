// The dashboard's single-page app: plain DOM, uPlot for charts, state in the address. One file
// per page (runs, compare, run, graph); dom.ts holds what they share. The page sorts, filters
// and formats with the library's own functions (compare/values.ts, run/format.ts).
import { comparePage } from './compare.ts';
import { el, main, route, token } from './dom.ts';
import { graphPage, treePage } from './graph.ts';
import { runPage } from './run.ts';
import { runsPage } from './runs.ts';

// --- routing and live updates -------------------------------------------------------------

async function render(): Promise<void> {
  const { page, arg, params } = route();
  for (const a of document.querySelectorAll('header nav a'))
    a.classList.toggle('active', (a as HTMLElement).dataset.page === page);
  try {
    if (page === 'compare') await comparePage(params);
    else if (page === 'run') await runPage(arg);
    else if (page === 'graph') await graphPage();
    else if (page === 'tree') await treePage(params);
    else await runsPage(params);
  } catch (error) {
    main().replaceChildren(el('p', { className: 'warn', textContent: String((error as Error).message) }));
  }
}

window.addEventListener('hashchange', () => void render());
void render();

const events = new EventSource(`/api/events${token ? `?token=${token}` : ''}`);
let first = true;
events.addEventListener('runs', () => {
  const live = document.getElementById('live');
  if (live) live.textContent = `live · ${new Date().toLocaleTimeString()}`;
  if (first) {
    first = false;
    return;
  }
  const { page } = route();
  if (page === 'runs' || page === 'run') void render();
});
