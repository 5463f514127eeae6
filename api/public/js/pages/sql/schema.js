// The SQL page's schema browser: the lake's tables and derived views with their columns (GET /api/tables); a click
// on a name inserts it into the editor at the cursor, quoted when it has to be ("window").

import { errorBox, getJson } from '../../lib/api.js';
import { el } from '../../lib/dom.js';
import { fmtNum } from '../../lib/format.js';

/** Words that cannot stand as column names unquoted in DuckDB (the lake's "window" is one). */
const RESERVED = new Set(
  [
    'all analyse analyze and any array as asc both case cast check collate column constraint create',
    'default deferrable desc distinct do else end except false fetch for foreign from grant group having',
    'in initially intersect into lateral leading limit not null offset on only or order pivot placing',
    'primary qualify references returning select some symmetric table then to trailing true union unique',
    'unpivot using variadic when where window with',
  ]
    .join(' ')
    .split(' '),
);

/** The identifier as SQL: bare when it can be, else double-quoted. */
export function sqlName(name) {
  return /^[a-z_][a-z0-9_]*$/.test(name) && !RESERVED.has(name) ? name : `"${name.replaceAll('"', '""')}"`;
}

/** Inserts `text` into the textarea at its cursor (replacing a selection) and puts the cursor after it. */
export function insertAtCursor(textarea, text) {
  const { selectionStart: a, selectionEnd: b, value } = textarea;
  textarea.value = value.slice(0, a) + text + value.slice(b);
  textarea.selectionStart = textarea.selectionEnd = a + text.length;
  textarea.focus();
}

function item(name, type, onPick, cls) {
  return el(
    'li',
    { class: cls },
    el(
      'button',
      { type: 'button', class: 'name', title: `insert ${sqlName(name)}`, onclick: () => onPick(name) },
      name,
    ),
    type ? el('small', { class: 'type' }, ` ${type}`) : null,
  );
}

export async function renderSchema(box, textarea, signal) {
  box.replaceChildren(el('p', { class: 'muted' }, 'loading…'));
  const res = await getJson('/api/tables', {}, signal);
  if (res.aborted) return null;
  if (!res.ok) {
    box.replaceChildren(errorBox(res.error));
    return null;
  }
  const pick = (name) => insertAtCursor(textarea, sqlName(name));
  const section = (title, list, kind) =>
    el(
      'div',
      { class: 'schema-section' },
      el('h3', {}, title),
      ...list.map((t) =>
        el(
          'details',
          { class: 'schema-table', dataset: { table: t.name, kind } },
          el(
            'summary',
            {},
            el(
              'button',
              { type: 'button', class: 'name', title: `insert ${t.name}`, onclick: () => pick(t.name) },
              t.name,
            ),
            t.rows !== undefined && t.rows !== null ? el('small', {}, ` ${fmtNum(Number(t.rows))} rows`) : null,
          ),
          t.description ? el('p', { class: 'muted desc' }, t.description) : null,
          el('ul', { class: 'columns' }, ...t.columns.map((c) => item(c.name, c.type, pick, 'column'))),
        ),
      ),
    );
  box.replaceChildren(
    section('Tables', res.body.tables, 'table'),
    section('Views', res.body.views, 'view'),
    el('p', { class: 'muted hint' }, 'Click a name to insert it at the cursor.'),
  );
  return res.body;
}
