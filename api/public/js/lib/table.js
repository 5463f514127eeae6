// Tables for pages: dataTable({columns, rows}) renders rows of objects. A column is {key, label, title, num,
// format(value, row) → text or Node, cls(value, row) → extra class}; `num` right-aligns with tabular digits.
// Clicking a row calls onRow(row) when given; `rowKey(row)` names rows (data-key) and `selected` marks one. Each
// cell names its column (data-col = key) so tests and styles can address it.

import { el } from './dom.js';
import { fmtNum } from './format.js';

export function dataTable({ columns, rows, onRow, rowKey, selected, className = 'data-table', empty = 'no rows' }) {
  const head = el(
    'tr',
    {},
    ...columns.map((c) => el('th', { class: c.num ? 'num' : '', title: c.title }, c.label ?? c.key)),
  );
  const body = rows.map((r) => {
    const key = rowKey ? rowKey(r) : undefined;
    return el(
      'tr',
      {
        class: [key !== undefined && key === selected ? 'selected' : '', onRow ? 'clickable' : '']
          .filter(Boolean)
          .join(' '),
        dataset: key !== undefined ? { key } : undefined,
        onclick: onRow ? () => onRow(r) : undefined,
      },
      ...columns.map((c) => cell(c, r)),
    );
  });
  if (rows.length === 0) body.push(el('tr', {}, el('td', { class: 'muted', colspan: columns.length }, empty)));
  return el('table', { class: className }, el('thead', {}, head), el('tbody', {}, ...body));
}

function cell(c, r) {
  const v = r[c.key];
  const shown = c.format ? c.format(v, r) : typeof v === 'number' ? fmtNum(v) : (v ?? '');
  const cls = [c.num ? 'num' : '', v === null || v === undefined ? 'null' : '', c.cls ? c.cls(v, r) : '']
    .filter(Boolean)
    .join(' ');
  const title = v === null || v === undefined || typeof v === 'object' ? null : v;
  return el('td', { class: cls, title, dataset: { col: c.key } }, shown);
}

/** Class for a signed number: up (green), down (red) or none. */
export const signClass = (v) => (typeof v === 'number' ? (v > 0 ? 'up' : v < 0 ? 'down' : '') : '');
