// Small DOM and API helpers of the #/pipeline and #/kafka pages (docs/scheduler.md, docs/kafka-page.md): elements
// built without parsing HTML, JSON calls answering {ok, body} or {ok: false, error: {code, message}} (the API's one
// error shape), the tab's bearer token (shared with the SQL page), tables and UTC times.

const TOKEN_KEY = 'ticklake-token';

/** `el('td', {class: 'num'}, 'text', child)`: text children are text nodes, never HTML. */
export function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on') && typeof v === 'function') e.addEventListener(k.slice(2), v);
    else if (k === 'dataset') Object.assign(e.dataset, v);
    else e.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children.flat()) {
    if (c === undefined || c === null || c === false) continue;
    e.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return e;
}

export function apiToken() {
  return sessionStorage.getItem(TOKEN_KEY) ?? '';
}

export function setApiToken(t) {
  if (t) sessionStorage.setItem(TOKEN_KEY, t);
  else sessionStorage.removeItem(TOKEN_KEY);
}

export async function fetchJson(url, init = {}) {
  let res;
  try {
    res = await fetch(url, init);
  } catch (e) {
    // the page was left (its signal aborted): callers check ctx.signal.aborted and draw nothing
    if (e?.name === 'AbortError') return { ok: false, aborted: true, error: { code: 'ABORTED', message: 'page left' } };
    return { ok: false, error: { code: 'NETWORK', message: String(e?.message ?? e) } };
  }
  let text;
  try {
    text = await res.text();
  } catch (e) {
    if (e?.name === 'AbortError') return { ok: false, aborted: true, error: { code: 'ABORTED', message: 'page left' } };
    throw e;
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

export function getJson(url, query = {}, signal) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== null && v !== '') q.set(k, String(v));
  const s = q.toString();
  return fetchJson(s ? `${url}?${s}` : url, { signal });
}

export function postJson(url, body, signal) {
  const token = apiToken();
  return fetchJson(url, {
    method: 'POST',
    signal,
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify(body ?? {}),
  });
}

export function errorBox(error) {
  return el('div', { class: 'error', role: 'alert' }, el('b', { class: 'code' }, error.code), ' ', error.message);
}

/** A table: columns `{key, label, num, format(v, row) → node|text, cls(row)}`, rows objects; `onRow(row)` makes rows clickable. */
export function dataTable({ columns, rows, onRow, selected, empty = 'none' }) {
  const head = el(
    'tr',
    {},
    columns.map((c) => el('th', { class: c.num ? 'num' : undefined }, c.label ?? c.key)),
  );
  const body = rows.length
    ? rows.map((r) =>
        el(
          'tr',
          {
            class: [onRow ? 'clickable' : '', selected?.(r) ? 'selected' : ''].filter(Boolean).join(' ') || undefined,
            onclick: onRow ? () => onRow(r) : undefined,
          },
          columns.map((c) => {
            const v = c.format ? c.format(r[c.key], r) : r[c.key];
            return el(
              'td',
              { class: [c.num ? 'num' : '', c.cls?.(r) ?? ''].filter(Boolean).join(' ') || undefined },
              v ?? '–',
            );
          }),
        ),
      )
    : [el('tr', {}, el('td', { colspan: columns.length, class: 'muted' }, empty))];
  return el('table', { class: 'data-table' }, el('thead', {}, head), el('tbody', {}, body));
}

/** `2026-01-05 10:00` (UTC), seconds when they are not zero. */
export function fmtTime(ms) {
  if (ms === null || ms === undefined || !Number.isFinite(Number(ms))) return '–';
  const s = new Date(Number(ms)).toISOString().replace('T', ' ');
  return s.endsWith(':00.000Z') ? s.slice(0, 16) : s.slice(0, 19);
}

export function fmtDuration(ms) {
  if (ms === null || ms === undefined) return '–';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  if (ms < 3_600_000) return `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1000)} s`;
  return `${(ms / 3_600_000).toFixed(1)} h`;
}

/** A field for the API token (behind which the actions are), kept for this tab only. */
export function tokenField() {
  const input = el('input', {
    type: 'password',
    placeholder: 'only with --token',
    autocomplete: 'current-password',
    value: apiToken(),
    oninput: (e) => setApiToken(e.target.value.trim()),
  });
  return el(
    'form',
    { class: 'token-field', onsubmit: (e) => e.preventDefault() },
    el('input', { type: 'text', name: 'username', autocomplete: 'username', value: 'api', hidden: true }),
    el('label', {}, 'Bearer token ', input),
  );
}
