// The SQL page (#/sql): a schema browser (tables, views, columns; a click inserts the name), a textarea (Ctrl+Enter
// or Cmd+Enter runs it), POST /api/query, the result (table, chart for a time series: series of different
// magnitudes get their own scale) or the API's error inline.

import { apiToken, errorBox, postJson, setApiToken } from '../lib/api.js';
import { el } from '../lib/dom.js';
import { renderResult } from '../lib/results.js';
import { renderSchema } from './sql/schema.js';

const DEFAULT_SQL = `select symbol, count(*) as bars, min(low) as low, max(high) as high, sum(volume) as volume
from bars
where "window" = '1m'
group by symbol
order by symbol`;

export function mount(root, ctx) {
  let view = null;
  const text = el('textarea', { id: 'sql-text', spellcheck: 'false', rows: 8 });
  text.value = sessionStorage.getItem('ticklake-sql') ?? DEFAULT_SQL;
  const token = el('input', {
    id: 'sql-token',
    type: 'password',
    autocomplete: 'current-password',
    placeholder: 'only with --token',
    value: apiToken(),
  });
  const meta = el('span', { id: 'sql-meta', class: 'muted' });
  const result = el('div', { id: 'sql-result', class: 'result' });

  async function run() {
    setApiToken(token.value.trim());
    sessionStorage.setItem('ticklake-sql', text.value);
    meta.textContent = 'running…';
    const started = performance.now();
    const res = await postJson('/api/query', { sql: text.value }, ctx.signal);
    meta.textContent = `${Math.round(performance.now() - started)} ms`;
    if (!res.ok) {
      view?.destroy();
      view = null;
      result.replaceChildren(errorBox(res.error));
      return;
    }
    view = renderResult(result, res.body, view);
    exposed.result = view;
  }
  const exposed = { result: null, schema: null };
  ctx.expose(exposed);

  const form = el(
    'form',
    { class: 'sql-bar', id: 'sql-form' },
    el('button', { id: 'sql-run', type: 'submit' }, 'Run'),
    el('input', { type: 'text', name: 'username', autocomplete: 'username', value: 'api', hidden: true }),
    el('label', {}, 'Bearer token ', token),
    meta,
  );
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    run();
  });
  text.addEventListener('keydown', (e) => {
    if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) {
      e.preventDefault();
      run();
    }
  });
  const schema = el('div', { id: 'schema' });
  root.append(
    el(
      'div',
      { class: 'sql-grid' },
      el('aside', { class: 'panel schema' }, el('h2', {}, 'Schema'), schema),
      el(
        'div',
        { class: 'panel' },
        el('h2', {}, 'SQL ', el('small', {}, 'one read-only query over the lake views; Ctrl+Enter runs it')),
        text,
        form,
        result,
      ),
    ),
  );
  renderSchema(schema, text, ctx.signal).then((s) => {
    exposed.schema = s;
  });
  ctx.onCleanup(() => view?.destroy());
}
