// The #/cdc page: what `ticklake cdc` is capturing (GET /api/cdc/status, polled every second while the page is
// shown): the captured tables with their created/updated/deleted rows and change rates, the snapshot's progress,
// the binlog position read and how far behind the server's binlog end it is.

import { el, fmtDateTime, fmtDuration, fmtNum } from './format.js';

const state = { timer: null, last: null, rates: new Map(), status: null };
window.ticklake = Object.assign(window.ticklake ?? {}, { cdc: state });

const $ = (id) => document.getElementById(id);

function card(label, value, cls, title) {
  return el(
    'div',
    { class: `card ${cls ?? ''}`, title },
    el('span', { class: 'label' }, label),
    el('span', { class: 'value' }, value),
  );
}

function pos(p) {
  return p ? `${p.file}:${p.pos}` : 'n/a';
}

function render(s) {
  const cards = $('cdc-cards');
  cards.replaceChildren();
  if (!s.configured) {
    cards.append(card('capture', 'not configured (serve --offsets-dir)', 'warn'));
    return;
  }
  cards.append(
    card('capture', s.running ? 'running' : 'stopped', s.running ? 'ok' : 'bad', `status of pid ${s.pid ?? '?'}`),
  );
  if (!s.tables) return;
  const lagMs = s.positionTsMs ? Math.max(0, s.now - s.positionTsMs) : null;
  const behind = s.behindBytes;
  cards.append(
    card('binlog read', pos(s.position), '', 'the end of the last transaction read'),
    card(
      'behind the binlog end',
      behind === undefined || behind === null ? 'n/a' : `${fmtNum(behind)} bytes`,
      behind > 1_000_000 ? 'warn' : 'ok',
      `server end ${pos(s.serverEnd)}`,
    ),
    card(
      'last commit read',
      lagMs === null ? 'n/a' : `${fmtDuration(lagMs)} ago`,
      '',
      s.positionTsMs ? fmtDateTime(s.positionTsMs) : '',
    ),
    card('stored position', pos(s.stored)),
    card('published', fmtNum(s.published), '', `skipped as already published: ${s.skipped}`),
  );
  const snap = s.snapshot;
  const sb = $('cdc-snapshot');
  sb.replaceChildren();
  if (snap) {
    const total = Math.max(snap.rowsTotal, snap.rowsDone, 1);
    const pct = snap.state === 'done' ? 100 : Math.min(99, Math.round((snap.rowsDone / total) * 100));
    sb.append(
      el('span', {}, `snapshot ${snap.state === 'done' ? 'done' : `running (${snap.table ?? ''})`}: `),
      el('progress', { id: 'cdc-snapshot-bar', max: '100', value: String(pct) }),
      el(
        'span',
        { class: 'muted' },
        ` ${fmtNum(snap.rowsDone)} of ~${fmtNum(snap.rowsTotal)} rows at ${pos(snap.position)}`,
      ),
    );
  } else sb.append(el('span', { class: 'muted' }, 'no snapshot in this run (streaming from a stored position)'));

  // change rates: rows per second since the previous poll
  const prev = state.last;
  const dt = prev ? (s.updatedAt - prev.updatedAt) / 1000 : 0;
  const body = $('cdc-tables').querySelector('tbody');
  body.replaceChildren();
  for (const t of s.tables) {
    const total = t.c + t.u + t.d;
    const p = prev?.tables?.find((x) => x.name === t.name);
    if (p && dt > 0) state.rates.set(t.name, (total - (p.c + p.u + p.d)) / dt);
    const rate = state.rates.get(t.name);
    body.append(
      el(
        'tr',
        { 'data-table': t.name },
        el('td', {}, t.name),
        el('td', { class: 'muted' }, t.topic),
        el('td', { class: 'num' }, fmtNum(t.c)),
        el('td', { class: 'num' }, fmtNum(t.u)),
        el('td', { class: 'num' }, fmtNum(t.d)),
        el('td', { class: 'num rate' }, rate === undefined ? '…' : fmtNum(Math.round(rate * 10) / 10)),
        el('td', {}, t.lastChangeAt ? fmtDateTime(t.lastChangeAt) : ''),
      ),
    );
  }
  if (!prev || s.updatedAt !== prev.updatedAt) state.last = s;
}

async function poll() {
  try {
    const r = await fetch('/api/cdc/status');
    if (!r.ok) throw new Error(`HTTP ${r.status}`);
    state.status = await r.json();
    render(state.status);
  } catch (e) {
    $('cdc-cards').replaceChildren(card('capture', `status unavailable: ${e.message}`, 'bad'));
  }
}

export function showCdc() {
  if (state.timer) return;
  poll();
  state.timer = setInterval(() => {
    if ($('page-cdc').hidden) {
      clearInterval(state.timer);
      state.timer = null;
      return;
    }
    poll();
  }, 1000);
}
