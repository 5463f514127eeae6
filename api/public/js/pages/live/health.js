// The live page's health strip: throughput, consumer lag, watermark delay, late ticks, DLQ / rejected, MySQL,
// newest tick and where the numbers come from (docs/dashboard.md). Throughput is averaged by the server over the
// last 20 s (api/live/health.ts), so it does not flicker between batches.

import { el } from '../../lib/dom.js';
import { fmtDateTime, fmtDuration, fmtNum } from '../../lib/format.js';

function card(key, label, value, cls, title) {
  return el(
    'div',
    { class: `card ${cls ?? ''}`, title, dataset: { key } },
    el('span', { class: 'label' }, label),
    el('span', { class: 'value' }, value),
  );
}

const na = (v, f) => (v === null || v === undefined ? 'n/a' : f(v));

export function renderHealth(box, h) {
  box.textContent = '';
  if (!h) {
    box.append(card('pipeline', 'pipeline', 'waiting for data…'));
    return;
  }
  const lake = h.source === 'lake';
  const mysqlCls = h.mysql === 'up' ? 'ok' : h.mysql === 'down' ? 'bad' : '';
  box.append(
    card(
      'throughput',
      'throughput',
      h.ticksPerSecond === null && !lake
        ? 'measuring…'
        : na(h.ticksPerSecond, (v) => `${fmtNum(Math.round(v))} ticks/s`),
      '',
      'ticks processed per second, over the processor batches of the last 20 s',
    ),
    card(
      'lag',
      'consumer lag',
      na(h.consumerLag, (v) => `${fmtNum(v)} msgs`),
      h.consumerLag > 10000 ? 'warn' : '',
    ),
    card(
      'watermark',
      'watermark delay',
      na(h.watermarkDelayMs, fmtDuration),
      '',
      lake
        ? 'newest tick minus the end of the newest closed bar (from the lake)'
        : 'newest event time minus the watermark',
    ),
    card(
      'late',
      'late ticks',
      na(h.late, fmtNum),
      h.late > 0 ? 'warn' : '',
      lake
        ? 'rows in the lake table late_ticks: ticks that arrived after their window closed'
        : 'ticks that arrived after their window closed, since start (lake table late_ticks)',
    ),
    card('dlq', 'DLQ / rejected', na(h.dlq, fmtNum), h.dlq > 0 ? 'warn' : ''),
    card('mysql', 'MySQL', h.mysql ?? 'n/a', mysqlCls),
    card(
      'newest',
      'newest tick (UTC)',
      na(h.newestTick, (v) => fmtDateTime(v).slice(5)),
      '',
      na(h.newestTick, fmtDateTime),
    ),
    card(
      'source',
      'source',
      h.error ? `error: ${h.error}` : h.source,
      h.error ? 'bad' : '',
      'pipeline: the running processor; lake: derived from the Parquet lake',
    ),
  );
}
