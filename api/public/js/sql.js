// The SQL page: a textarea (Ctrl+Enter or Cmd+Enter runs it), POST /api/query, the result or the API's error inline.

import { errorBox, fetchJson, renderResult } from './results.js';

let chart = null;
let wired = false;

async function run() {
  const text = document.getElementById('sql-text').value;
  const box = document.getElementById('sql-result');
  const meta = document.getElementById('sql-meta');
  const token = document.getElementById('sql-token').value.trim();
  if (token) sessionStorage.setItem('ticklake-token', token);
  meta.textContent = 'running…';
  const started = performance.now();
  const res = await fetchJson('/api/query', {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ sql: text }),
  });
  meta.textContent = `${Math.round(performance.now() - started)} ms`;
  if (!res.ok) {
    box.replaceChildren(errorBox(res.error));
    return;
  }
  chart = renderResult(box, res.body, chart);
}

export function showSql() {
  if (wired) return;
  wired = true;
  const saved = sessionStorage.getItem('ticklake-token');
  if (saved) document.getElementById('sql-token').value = saved;
  document.getElementById('sql-form').addEventListener('submit', (e) => {
    e.preventDefault();
    run();
  });
  document.getElementById('sql-text').addEventListener('keydown', (e) => {
    if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) {
      e.preventDefault();
      run();
    }
  });
}
