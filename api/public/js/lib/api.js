// Calling the HTTP API from pages: JSON in, {ok, body} or {ok: false, error: {code, message}} out (the API's one
// error shape, docs/api.md; network failures too), the bearer token kept for the browser tab, an error box.

import { el } from './dom.js';

const TOKEN_KEY = 'ticklake-token';

/** The API token typed on the SQL page (sessionStorage: this tab only), or ''. */
export function apiToken() {
  return sessionStorage.getItem(TOKEN_KEY) ?? '';
}

export function setApiToken(token) {
  if (token) sessionStorage.setItem(TOKEN_KEY, token);
  else sessionStorage.removeItem(TOKEN_KEY);
}

/**
 * Fetches JSON; resolves {ok: true, body} or {ok: false, error: {code, message}}; never rejects. A request aborted
 * by its signal (the page was left) resolves {ok: false, aborted: true, error: {code: 'ABORTED'}}.
 */
export async function fetchJson(url, init = {}) {
  let res;
  let text;
  try {
    res = await fetch(url, init);
    text = await res.text();
  } catch (e) {
    if (e?.name === 'AbortError') return { ok: false, aborted: true, error: { code: 'ABORTED', message: 'aborted' } };
    return { ok: false, error: { code: 'NETWORK', message: String(e?.message ?? e) } };
  }
  let body = null;
  try {
    body = JSON.parse(text);
  } catch {
    body = null;
  }
  if (!res.ok) return { ok: false, error: body?.error ?? { code: `HTTP ${res.status}`, message: text.slice(0, 300) } };
  return { ok: true, body };
}

/** `url` with query parameters (empty, null and undefined left out; arrays joined with commas). */
export function withQuery(url, query = {}) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) {
    if (v === undefined || v === null || v === '') continue;
    q.set(k, Array.isArray(v) ? v.join(',') : String(v));
  }
  const s = q.toString();
  return s ? `${url}${url.includes('?') ? '&' : '?'}${s}` : url;
}

/** GET JSON with query parameters; `signal` aborts it (pass ctx.signal). */
export function getJson(url, query, signal) {
  return fetchJson(withQuery(url, query), { signal });
}

/** POST JSON with the tab's token when there is one. */
export function postJson(url, body, signal) {
  const token = apiToken();
  return fetchJson(url, {
    method: 'POST',
    signal,
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify(body),
  });
}

/** The API's error as a red box: code and message. */
export function errorBox(error) {
  return el('div', { class: 'error', role: 'alert' }, el('b', { class: 'code' }, error.code), ' ', error.message);
}
