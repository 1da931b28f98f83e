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
export const api = async <T>(path: string): Promise<T> => {
  const r = await fetch(path, { headers: token ? { authorization: `Bearer ${token}` } : {} });
  if (!r.ok) throw new Error(`${path}: ${r.status} ${await r.text()}`);
  return (path.endsWith('.svg') ? r.text() : r.json()) as Promise<T>;
};

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

export function go(page: string, params: Record<string, string | undefined>, arg = ''): void {
  const q = new URLSearchParams(
    Object.entries(params).filter((e): e is [string, string] => Boolean(e[1])),
  ).toString();
  location.hash = `#/${page}${arg ? `/${encodeURIComponent(arg)}` : ''}${q ? `?${q}` : ''}`;
}

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
