// The dashboard's plumbing: the API with its token, elements, the route in the address, and the
// formatting every page shares. Every value from a config or a file goes into the page as text
// (textContent), never as HTML.
import { formatSeconds } from '../../run/format.ts';

export type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
export interface Metric {
  last: number | string;
  best: number | string;
  count: number;
}
export interface Run {
  name: string;
  status: string;
  /** Why a done result is stale; empty when it is not. */
  stale?: string[];
  started_at: string | null;
  duration_s: number | null;
  config: Record<string, Json>;
  defaults: Record<string, Json>;
  metrics: Record<string, Metric>;
}

// --- plumbing -----------------------------------------------------------------------------

export const token =
  new URLSearchParams(location.search).get('token') ?? sessionStorage.getItem('repro-token') ?? '';
if (token) sessionStorage.setItem('repro-token', token);
/** An API error in words: the server's own message, not a status line and a JSON body. */
async function failure(path: string, r: Response): Promise<Error> {
  let message = '';
  try {
    message = ((await r.json()) as { error?: string }).error ?? '';
  } catch {
    // not JSON: a plain-text answer, or none
  }
  if (r.status === 401)
    return new Error('This dashboard needs its token: open the address repro ui printed.');
  return new Error(message ? capitalize(message) : `The server answered ${r.status} for ${path}.`);
}
const capitalize = (t: string) => t.charAt(0).toUpperCase() + t.slice(1);
const headers = (): Record<string, string> => (token ? { authorization: `Bearer ${token}` } : {});

/** GET from the API with the token; a failed answer is an error that names it. */
const get = async (path: string): Promise<Response> => {
  const r = await fetch(path, { headers: headers() });
  if (!r.ok) throw await failure(path, r);
  return r;
};
/** GET a JSON answer from the API. */
export const api = async <T>(path: string): Promise<T> => (await (await get(path)).json()) as T;
/** GET a JSON answer with the headers that describe it (`x-total-rows`, `x-thinned`). */
export const apiWithHeaders = async <T>(path: string): Promise<{ body: T; headers: Headers }> => {
  const r = await get(path);
  return { body: (await r.json()) as T, headers: r.headers };
};
/** GET a text answer with its headers (a file's first bytes and `x-total-size`). */
export const apiTextWithHeaders = async (path: string): Promise<{ body: string; headers: Headers }> => {
  const r = await get(path);
  return { body: await r.text(), headers: r.headers };
};
/** GET a text answer from the API: a log tail, an SVG. */
export const apiText = async (path: string): Promise<string> => (await get(path)).text();
/** `run=a&run=b`: names go into a query one by one, encoded (names may hold `,` and `+`). */
export const runsQuery = (names: readonly string[]) =>
  names.map((n) => `run=${encodeURIComponent(n)}`).join('&');

/** An element with properties (`style` as CSS text) and children; text goes in as text. */
export function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  props: Record<string, unknown> = {},
  ...kids: (Node | string)[]
): HTMLElementTagNameMap[K] {
  const { style, ...rest } = props;
  const node = Object.assign(document.createElement(tag), rest);
  if (typeof style === 'string') node.style.cssText = style;
  for (const k of kids) node.append(k);
  return node;
}

/** The route and its parameters, from `#/page?key=value`. */
export function route(): { page: string; arg: string; params: URLSearchParams } {
  const [path = '', query = ''] = location.hash.slice(1).split('?');
  const [, page = 'runs', arg = ''] = path.split('/');
  return { page, arg: decodeURIComponent(arg), params: new URLSearchParams(query) };
}

/** Goes to a page; a list value becomes one parameter per item (`sel=a&sel=b`). */
export function go(page: string, params: Record<string, string | string[] | undefined>, arg = ''): void {
  location.hash = href(page, params, arg);
}

/** The address of a page, as go() would make it. */
export function href(
  page: string,
  params: Record<string, string | string[] | undefined> = {},
  arg = '',
): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params))
    for (const item of Array.isArray(v) ? v : [v]) if (item) q.append(k, item);
  const query = q.toString();
  return `#/${page}${arg ? `/${encodeURIComponent(arg)}` : ''}${query ? `?${query}` : ''}`;
}

/** Changes the address without a new render (the page already shows what it says). */
export function replaceRoute(page: string, params: Record<string, string | string[] | undefined>): void {
  history.replaceState(null, '', href(page, params));
}

/** A time as the reader's clock shows it: `2026-01-01 01:00:00` local, with the zone in its tooltip. */
export const localTime = (iso: string | null | undefined): string => {
  if (!iso) return '';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
};

/** What a page does on a live update, without rebuilding what the reader is using. */
export const live: { refresh: (() => Promise<void>) | undefined } = { refresh: undefined };

export const fmt = (v: Json | undefined): string => {
  if (v === undefined) return '—';
  if (typeof v === 'number') return Number.isInteger(v) ? String(v) : String(Number(v.toPrecision(4)));
  if (typeof v === 'string') return v === '' ? '""' : v;
  return JSON.stringify(v);
};
export const num = (v: number | string | undefined) =>
  typeof v === 'number' ? v : v === undefined ? Number.NaN : Number(v);
export const seconds = (s: number | null) => (s === null || Number.isNaN(s) ? '' : formatSeconds(s));
export const main = () => document.getElementById('main') as HTMLElement;
