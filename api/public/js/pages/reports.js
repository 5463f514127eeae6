// The reports page (#/reports/<name>): the catalog from /api/reports, a form per report built from its parameters
// (type → input, required marked; a list type such as varchar[] takes several values), the result (table, chart for
// time series) and CSV / Parquet downloads of the same query. Symbol and portfolio parameters suggest the known
// ones.

import { errorBox, getJson } from '../lib/api.js';
import { el } from '../lib/dom.js';
import { renderResult } from '../lib/results.js';
import { multiInput } from './reports/multi-input.js';

const INPUTS = {
  varchar: { type: 'text' },
  integer: { type: 'number', step: '1' },
  bigint: { type: 'number', step: '1' },
  double: { type: 'number', step: 'any' },
  date: { type: 'date' },
  timestamp: { type: 'text', pattern: '\\d{4}-\\d{2}-\\d{2}( \\d{2}:\\d{2}(:\\d{2})?)?', spellcheck: 'false' },
};

/** The datalist that suggests values for a parameter, by its name (symbol…, portfolio…), or undefined. */
function suggestions(p) {
  if (/symbol/i.test(p.name)) return 'dl-symbols';
  if (/portfolio/i.test(p.name)) return 'dl-portfolios';
  return undefined;
}

function input(p) {
  if (p.type.endsWith('[]')) return multiInput(p, suggestions(p));
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
    placeholder:
      p.default !== undefined
        ? `default ${p.default}`
        : p.type === 'timestamp'
          ? 'YYYY-MM-DD HH:MM (UTC)'
          : p.required
            ? 'required'
            : 'optional',
    list: suggestions(p),
  });
}

/** Datalists of the known symbols and portfolios (best effort: the form works without them). */
async function loadSuggestions(root, signal) {
  const [symbols, portfolios] = await Promise.all([
    getJson('/api/live/symbols', {}, signal),
    getJson('/api/live/portfolios', {}, signal),
  ]);
  const list = (id, values) => el('datalist', { id }, ...values.map((v) => el('option', { value: v })));
  root.append(
    list('dl-symbols', symbols.ok ? symbols.body.symbols.map((s) => s.symbol) : []),
    list('dl-portfolios', portfolios.ok ? portfolios.body.portfolios.map((p) => p.portfolioId) : []),
  );
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
  loadSuggestions(root, ctx.signal);

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
    form.addEventListener('change', updateLinks);
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      for (const m of form.querySelectorAll('.multi')) m.commit?.();
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
