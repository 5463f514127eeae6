// The reports page (#/reports/<name>): the catalog from /api/reports, a form per report built from its parameters
// (type → input, required marked; a list type such as varchar[] takes several values), the result (table, chart for
// time series) and CSV / Parquet downloads of the same query. Symbol and portfolio parameters suggest the known
// ones. Windows (docs/reports.md, "Windows"): the lake's bar windows are shown above the list; a report the lake's
// windows cannot serve (`available: false`) is marked in the list and its form says why (`unavailable.message`)
// with Run and the downloads disabled; a report's window parameter (`requires_window: $window`) is a choice of the
// lake's windows.

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

/** The names of the report's window parameters (`-- requires_window: $window`). */
function windowParams(r) {
  return new Set((r.requires_window ?? []).filter((w) => w.param).map((w) => w.param));
}

/** A window parameter: the lake's windows to choose from, or its default (empty: the report picks one). */
function windowInput(p, windows) {
  return el(
    'select',
    { name: p.name, id: `param-${p.name}`, required: p.required, class: 'window-select' },
    p.required ? null : el('option', { value: '' }, p.default !== undefined ? `(default ${p.default})` : '(default)'),
    ...windows.map((w) => el('option', { value: w }, w)),
  );
}

/** The windows a report needs, as text: "1m or 1d", "1m; 5m" (each requirement), "the window chosen in window". */
function needsText(r) {
  return (r.requires_window ?? [])
    .map((w) => (w.param ? `the window chosen in ${w.param}` : w.windows.join(' or ')))
    .join('; ');
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

export async function mount(root, ctx) {
  const list = el('ul', { id: 'report-list', class: 'report-list' });
  const lakeWindows = el('p', { id: 'report-windows', class: 'muted lake-windows' });
  const view = el('div', { id: 'report-view' }, el('p', { class: 'muted' }, 'Pick a report.'));
  const result = el('div', { id: 'report-result', class: 'result' });
  root.append(
    el(
      'div',
      { class: 'reports-grid' },
      el('aside', { class: 'panel' }, el('h2', {}, 'Reports'), lakeWindows, list),
      el('div', { class: 'panel' }, view, result),
    ),
  );
  let shown = null;
  ctx.onCleanup(() => shown?.destroy());
  loadSuggestions(root, ctx.signal);

  // read on every visit: the lake's windows, and so which reports are available, change as bars are written
  const res = await getJson('/api/reports', {}, ctx.signal);
  if (!res.ok) {
    list.replaceChildren(el('li', {}, errorBox(res.error)));
    return;
  }
  const catalog = res.body.reports;
  const windows = res.body.windows ?? [];
  lakeWindows.replaceChildren(
    'Lake windows: ',
    windows.length ? el('b', {}, windows.join(', ')) : el('b', {}, 'none (no bars yet)'),
  );
  list.replaceChildren(
    ...catalog.map((r) =>
      el(
        'li',
        { 'data-name': r.name, class: r.available === false ? 'unavailable' : null },
        el(
          'a',
          {
            href: `#/reports/${encodeURIComponent(r.name)}`,
            title: r.available === false ? r.unavailable.message : (r.description ?? ''),
          },
          r.title ?? r.name,
          r.available === false ? el('small', { class: 'needs' }, ` needs ${needsText(r)}`) : null,
        ),
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
    const unavailable = r.available === false;
    const winParams = windowParams(r);
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
          winParams.has(p.name) ? windowInput(p, windows) : input(p),
          el('small', { class: 'muted' }, p.description ?? ''),
        ),
      ),
      el(
        'div',
        { class: 'actions' },
        el('button', { type: 'submit', disabled: unavailable }, 'Run'),
        ' Download: ',
        csv,
        ' ',
        parquet,
      ),
    );
    const updateLinks = () => {
      if (unavailable) {
        // no links to a 409: the downloads are shown, disabled
        for (const a of [csv, parquet]) {
          a.removeAttribute('href');
          a.setAttribute('aria-disabled', 'true');
        }
        return;
      }
      const qs = queryString(form);
      csv.href = url(qs, 'csv');
      parquet.href = url(qs, 'parquet');
    };
    form.addEventListener('input', updateLinks);
    form.addEventListener('change', updateLinks);
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      if (unavailable) return;
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
    const parts = [
      el('h2', {}, r.title ?? r.name, ' ', el('small', {}, r.name)),
      el('p', { class: 'desc' }, r.description ?? ''),
      unavailable
        ? el(
            'div',
            { class: 'unavailable-note', id: 'report-unavailable', role: 'status' },
            el('b', { class: 'code' }, r.unavailable.code),
            ' ',
            r.unavailable.message,
          )
        : null,
      !unavailable && r.requires_window?.length
        ? el(
            'p',
            { class: 'muted needs-windows' },
            `Reads bars of ${needsText(r)}; the lake has ${windows.length ? windows.join(', ') : 'none'}.`,
          )
        : null,
      form,
    ];
    view.replaceChildren(...parts.filter((x) => x));
  }

  showReport(ctx.params[0] ?? null);
  // #/reports/a → #/reports/b keeps the page and shows the other report
  return { update: (c) => showReport(c.params[0] ?? null) };
}
