// The reports page (#/reports/<name>): the catalog from /api/reports, a form per report built from its parameters
// (type → input, required marked), the result (table, chart for time series) and CSV / Parquet downloads of the
// same query.

import { errorBox, getJson } from '../lib/api.js';
import { el } from '../lib/dom.js';
import { renderResult } from '../lib/results.js';

const INPUTS = {
  varchar: { type: 'text' },
  integer: { type: 'number', step: '1' },
  bigint: { type: 'number', step: '1' },
  double: { type: 'number', step: 'any' },
  date: { type: 'date' },
  timestamp: { type: 'datetime-local', step: '1' },
};

function input(p) {
  if (p.type === 'boolean') {
    return el(
      'select',
      { name: p.name, id: `param-${p.name}`, required: p.required },
      el('option', { value: '' }, p.default !== undefined ? `(default ${p.default})` : '(any)'),
      el('option', { value: 'true' }, 'true'),
      el('option', { value: 'false' }, 'false'),
    );
  }
  const spec = INPUTS[p.type] ?? { type: 'text' };
  return el('input', {
    ...spec,
    name: p.name,
    id: `param-${p.name}`,
    required: p.required,
    placeholder: p.default !== undefined ? `default ${p.default}` : p.required ? 'required' : 'optional',
  });
}

function queryString(form) {
  const qs = new URLSearchParams();
  for (const [k, v] of new FormData(form)) if (String(v).trim() !== '') qs.set(k, String(v));
  return qs;
}

let catalog = null;

export async function mount(root, ctx) {
  const list = el('ul', { id: 'report-list', class: 'report-list' });
  const view = el('div', { id: 'report-view' }, el('p', { class: 'muted' }, 'Pick a report.'));
  const result = el('div', { id: 'report-result', class: 'result' });
  root.append(
    el(
      'div',
      { class: 'reports-grid' },
      el('aside', { class: 'panel' }, el('h2', {}, 'Reports'), list),
      el('div', { class: 'panel' }, view, result),
    ),
  );
  let shown = null;
  ctx.onCleanup(() => shown?.destroy());

  if (!catalog) {
    const res = await getJson('/api/reports', {}, ctx.signal);
    if (!res.ok) {
      list.replaceChildren(el('li', {}, errorBox(res.error)));
      return;
    }
    catalog = res.body.reports;
  }
  list.replaceChildren(
    ...catalog.map((r) =>
      el(
        'li',
        { 'data-name': r.name },
        el('a', { href: `#/reports/${encodeURIComponent(r.name)}`, title: r.description ?? '' }, r.title ?? r.name),
      ),
    ),
  );

  function showReport(name) {
    const r = catalog.find((x) => x.name === name);
    for (const li of list.querySelectorAll('li')) li.classList.toggle('selected', li.dataset.name === name);
    shown?.destroy();
    shown = null;
    result.textContent = '';
    if (!r) {
      view.replaceChildren(el('p', { class: 'muted' }, 'Pick a report.'));
      return;
    }
    const url = (qs, format) => {
      const q = new URLSearchParams(qs);
      if (format) q.set('format', format);
      const s = q.toString();
      return `/api/reports/${encodeURIComponent(r.name)}${s ? `?${s}` : ''}`;
    };
    const csv = el('a', { class: 'download', download: `${r.name}.csv` }, 'CSV');
    const parquet = el('a', { class: 'download', download: `${r.name}.parquet` }, 'Parquet');
    const form = el(
      'form',
      { class: 'report-form', id: 'report-form' },
      ...r.params.map((p) =>
        el(
          'div',
          { class: 'field' },
          el(
            'label',
            { for: `param-${p.name}` },
            p.name,
            p.required ? el('span', { class: 'req', title: 'required' }, ' *') : null,
            el('small', {}, ` ${p.type}`),
          ),
          input(p),
          el('small', { class: 'muted' }, p.description ?? ''),
        ),
      ),
      el('div', { class: 'actions' }, el('button', { type: 'submit' }, 'Run'), ' Download: ', csv, ' ', parquet),
    );
    const updateLinks = () => {
      const qs = queryString(form);
      csv.href = url(qs, 'csv');
      parquet.href = url(qs, 'parquet');
    };
    form.addEventListener('input', updateLinks);
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      updateLinks();
      result.replaceChildren(el('p', { class: 'muted' }, 'running…'));
      const res = await getJson(url(queryString(form)), {}, ctx.signal);
      if (!res.ok) {
        result.replaceChildren(errorBox(res.error));
        return;
      }
      shown = renderResult(result, res.body, shown);
    });
    updateLinks();
    view.replaceChildren(
      el('h2', {}, r.title ?? r.name, ' ', el('small', {}, r.name)),
      el('p', { class: 'desc' }, r.description ?? ''),
      form,
    );
  }

  showReport(ctx.params[0] ?? null);
  // #/reports/a → #/reports/b keeps the page and shows the other report
  return { update: (c) => showReport(c.params[0] ?? null) };
}
