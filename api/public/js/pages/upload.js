// #/upload (docs/retail.md): the accountant's page. Choose or drop a sales workbook (.xlsx) or its three CSV files;
// the page first sends them as a dry run (POST /api/uploads?dry_run=true) and shows what would be published per
// sheet and every error and warning with its Sheet!Cell, rule and value; "Publish" then sends the same files for
// real (only when there are no errors, or with "skip bad rows"). The upload token (--upload-token) is kept for this
// tab only, apart from the administrator's query token.

import { dataTable, el, errorBox, fetchJson } from '../ops/ui.js';

const TOKEN_KEY = 'ticklake-upload-token';

function uploadToken() {
  return sessionStorage.getItem(TOKEN_KEY) ?? '';
}

function send(files, opts, signal) {
  const form = new FormData();
  for (const [k, v] of Object.entries(opts)) form.append(k, String(v));
  for (const f of files) form.append('file', f, f.name);
  const token = uploadToken();
  return fetchJson('/api/uploads', {
    method: 'POST',
    body: form,
    signal,
    headers: token ? { authorization: `Bearer ${token}` } : {},
  });
}

function summary(report) {
  const p = report.published;
  const rows = report.sheets.map((s) => ({
    ...s,
    publish: s.sheet === 'Products' ? p.products : s.sheet === 'Clients' ? p.clients : p.invoiceLines,
  }));
  return dataTable({
    columns: [
      { key: 'label', label: 'sheet' },
      { key: 'file' },
      { key: 'headerRow', label: 'header row', num: true },
      { key: 'rows', num: true },
      { key: 'bad', label: 'bad rows', num: true, cls: (s) => (s.bad ? 'bad' : '') },
      { key: 'publish', label: report.status === 'published' ? 'published' : 'to publish', num: true },
    ],
    rows,
  });
}

function issues(list, kind) {
  return dataTable({
    columns: [
      { key: 'cell', label: 'cell', format: (v, i) => `${i.sheet}!${v}` },
      { key: 'field' },
      { key: 'rule' },
      { key: 'value', format: (v) => (v === null ? '–' : JSON.stringify(v)) },
      { key: 'message' },
    ],
    rows: list,
    empty: `no ${kind}`,
  });
}

export async function mount(root, ctx) {
  let files = [];
  let checked = null;
  const input = el('input', { type: 'file', id: 'upload-file', accept: '.xlsx,.csv', multiple: true });
  const drop = el(
    'label',
    { class: 'drop-zone', id: 'upload-drop', for: 'upload-file' },
    el('b', {}, 'Drop the workbook here'),
    ' or click to choose it: an .xlsx with sheets Products, Clients and Invoices, or products.csv, clients.csv, invoices.csv',
    input,
  );
  const token = el('input', {
    type: 'password',
    id: 'upload-token',
    placeholder: 'only with --upload-token',
    autocomplete: 'current-password',
    value: uploadToken(),
    oninput: (e) => {
      const t = e.target.value.trim();
      if (t) sessionStorage.setItem(TOKEN_KEY, t);
      else sessionStorage.removeItem(TOKEN_KEY);
    },
  });
  const fullReplace = el('input', { type: 'checkbox', id: 'upload-full-replace' });
  const skipBad = el('input', { type: 'checkbox', id: 'upload-skip-bad' });
  const asOf = el('input', { type: 'date', id: 'upload-as-of' });
  const publish = el('button', { id: 'upload-publish', type: 'button', disabled: true }, 'Publish');
  const status = el('div', { id: 'upload-status', role: 'status' });
  const result = el('div', { id: 'upload-report' });
  root.append(
    el(
      'div',
      { class: 'panel upload-head' },
      el('h2', {}, 'Upload a sales workbook ', el('small', {}, 'checked first, published only when you say so')),
      drop,
      el(
        'form',
        { class: 'upload-options', onsubmit: (e) => e.preventDefault() },
        el('input', { type: 'text', name: 'username', autocomplete: 'username', value: 'upload', hidden: true }),
        el('label', {}, 'Upload token ', token),
        el(
          'label',
          { title: 'products and clients the lake has and this upload leaves out are deleted' },
          fullReplace,
          ' full replace',
        ),
        el('label', { title: 'publish the good rows of an upload with errors' }, skipBad, ' skip bad rows'),
        el('label', { title: 'the day stock at risk is measured from (default: today)' }, 'as of ', asOf),
        publish,
      ),
      status,
    ),
    el('div', { class: 'panel' }, result),
  );

  const options = (dryRun) => ({
    dry_run: dryRun,
    skip_bad_rows: skipBad.checked,
    full_replace: fullReplace.checked,
    ...(asOf.value ? { as_of: asOf.value } : {}),
  });

  const show = (report) => {
    const r = report;
    const head =
      r.status === 'published'
        ? el(
            'p',
            { class: 'ok-note', id: 'upload-done' },
            `Published ${r.published.products} product rows, ${r.published.clients} clients and ${r.published.invoiceLines} invoice lines (${r.messages} messages)`,
            r.skippedRows ? `; ${r.skippedRows} bad rows left out` : '',
            r.deleted.products.length || r.deleted.clients.length
              ? `; deleted ${[...r.deleted.products, ...r.deleted.clients].join(', ')}`
              : '',
            '. ',
            el('a', { href: '#/retail' }, 'See the retail dashboard'),
          )
        : el(
            'p',
            { class: r.errors.length ? 'bad' : 'ok-note', id: 'upload-verdict' },
            r.errors.length
              ? `${r.errors.length} errors in ${r.badRows} rows: nothing is published unless you skip bad rows.`
              : 'No errors: ready to publish.',
          );
    result.replaceChildren(
      head,
      el('h3', {}, 'Sheets ', el('small', {}, `as of ${r.asOf}${r.fullReplace ? ', full replace' : ''}`)),
      summary(r),
      ...r.notices.map((n) => el('p', { class: 'muted notice' }, n)),
      el('h3', {}, 'Errors ', el('small', { id: 'upload-error-count' }, String(r.errors.length))),
      el('div', { id: 'upload-errors' }, issues(r.errors, 'errors')),
      el('h3', {}, 'Warnings ', el('small', {}, String(r.warnings.length))),
      el('div', { id: 'upload-warnings' }, issues(r.warnings, 'warnings')),
    );
  };

  const refreshButton = () => {
    publish.disabled = !checked || (checked.errors.length > 0 && !skipBad.checked);
  };

  const check = async () => {
    checked = null;
    refreshButton();
    if (files.length === 0) return;
    status.replaceChildren(el('p', { class: 'muted' }, `checking ${files.map((f) => f.name).join(', ')}…`));
    const res = await send(files, options(true), ctx.signal);
    if (ctx.signal.aborted) return;
    if (!res.ok) {
      status.replaceChildren(errorBox(res.error));
      result.replaceChildren();
      return;
    }
    status.replaceChildren(el('p', { class: 'muted' }, `checked ${files.map((f) => f.name).join(', ')}`));
    checked = res.body.report;
    show(checked);
    refreshButton();
  };

  const choose = (list) => {
    files = [...list];
    check();
  };
  input.addEventListener('change', () => choose(input.files));
  drop.addEventListener('dragover', (e) => {
    e.preventDefault();
    drop.classList.add('over');
  });
  drop.addEventListener('dragleave', () => drop.classList.remove('over'));
  drop.addEventListener('drop', (e) => {
    e.preventDefault();
    drop.classList.remove('over');
    choose(e.dataTransfer.files);
  });
  for (const box of [fullReplace, asOf]) box.addEventListener('change', check);
  skipBad.addEventListener('change', refreshButton);
  publish.addEventListener('click', async () => {
    publish.disabled = true;
    status.replaceChildren(el('p', { class: 'muted' }, 'publishing…'));
    const res = await send(files, options(false), ctx.signal);
    if (ctx.signal.aborted) return;
    if (!res.ok) {
      status.replaceChildren(errorBox(res.error));
      refreshButton();
      return;
    }
    status.replaceChildren();
    checked = null;
    show(res.body.report);
  });
}
