// #/cdc: what `ticklake cdc` is capturing (GET /api/cdc/status, polled every second while the page is shown): the
// captured tables with their created/updated/deleted rows and change rates, the snapshot's progress, the binlog
// position read and how far behind the server's binlog end it is (docs/dashboard.md, "CDC").

import { getJson } from '../lib/api.js';
import { el } from '../lib/dom.js';
import { fmtDateTime, fmtDuration, fmtNum } from '../lib/format.js';

const POLL_MS = 1000;

function card(label, value, cls, title) {
  return el(
    'div',
    { class: `card ${cls ?? ''}`, title: title || value },
    el('span', { class: 'label' }, label),
    el('span', { class: 'value' }, value),
  );
}

const pos = (p) => (p ? `${p.file}:${p.pos}` : 'n/a');

const HEADERS = ['table', 'topic', 'created', 'updated', 'deleted', 'changes/s', 'last change (commit time)'];

export async function mount(root, ctx) {
  const cards = el('div', { id: 'cdc-cards', class: 'health' });
  const snapshot = el('p', { id: 'cdc-snapshot' });
  const body = el('tbody');
  root.append(
    cards,
    el(
      'div',
      { class: 'panel' },
      el('h2', {}, 'Snapshot'),
      snapshot,
      el(
        'h2',
        {},
        'Captured tables ',
        el('small', {}, 'rows changed since ticklake cdc started; rate over the last second'),
      ),
      el(
        'table',
        { id: 'cdc-tables', class: 'data-table' },
        el('thead', {}, el('tr', {}, ...HEADERS.map((h, i) => el('th', { class: i >= 2 && i <= 5 ? 'num' : '' }, h)))),
        body,
      ),
    ),
  );
  // `last`: the previous status whose updatedAt differs, for change rates; rates: table → rows/s
  const state = { last: null, rates: new Map(), status: null };
  ctx.expose(state);

  const render = (s) => {
    cards.replaceChildren();
    if (!s.configured) {
      cards.append(card('capture', 'not configured', 'warn'));
      snapshot.replaceChildren(
        el(
          'span',
          { class: 'muted' },
          'this server shows no change data capture: run ticklake serve --offsets-dir <the --offsets-dir of ticklake cdc>, or ticklake start --with bank',
        ),
      );
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
    snapshot.replaceChildren();
    if (snap) {
      const total = Math.max(snap.rowsTotal, snap.rowsDone, 1);
      const pct = snap.state === 'done' ? 100 : Math.min(99, Math.round((snap.rowsDone / total) * 100));
      snapshot.append(
        el('span', {}, `snapshot ${snap.state === 'done' ? 'done' : `running (${snap.table ?? ''})`}: `),
        el('progress', { id: 'cdc-snapshot-bar', max: '100', value: String(pct) }),
        el(
          'span',
          { class: 'muted' },
          ` ${fmtNum(snap.rowsDone)} of ~${fmtNum(snap.rowsTotal)} rows at ${pos(snap.position)}`,
        ),
      );
    } else
      snapshot.append(el('span', { class: 'muted' }, 'no snapshot in this run (streaming from a stored position)'));

    // change rates: rows per second since the previous status
    const prev = state.last;
    const dt = prev ? (s.updatedAt - prev.updatedAt) / 1000 : 0;
    body.replaceChildren();
    for (const t of s.tables) {
      const p = prev?.tables?.find((x) => x.name === t.name);
      if (p && dt > 0) state.rates.set(t.name, (t.c + t.u + t.d - (p.c + p.u + p.d)) / dt);
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
  };

  const poll = async () => {
    const res = await getJson('/api/cdc/status', {}, ctx.signal);
    if (res.aborted) return;
    if (!res.ok) {
      cards.replaceChildren(card('capture', `status unavailable: ${res.error.message}`, 'bad'));
      return;
    }
    state.status = res.body;
    render(res.body);
  };
  await poll();
  ctx.every(POLL_MS, poll);
}
