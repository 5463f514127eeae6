// The live page's anomaly feed: the newest 100, newest first, critical ones marked; prices with the instrument's
// decimals.

import { el } from '../../lib/dom.js';
import { fmtDateTime, fmtPrice, fmtTime } from '../../lib/format.js';

function anomalyValue(a) {
  if (typeof a.value !== 'number') return '';
  return a.kind === 'VOLUME_SPIKE' ? `${a.value.toFixed(1)}× mean volume` : `${(a.value * 100).toFixed(2)}% move`;
}

export function renderAnomalies(list, counter, anomalies, fresh, onSymbol) {
  list.textContent = '';
  counter.textContent = anomalies.length ? `newest ${anomalies.length}` : 'none yet';
  anomalies.forEach((a, i) => {
    list.append(
      el(
        'li',
        { class: `${a.severity === 'CRITICAL' ? 'critical' : 'warning'}${i < fresh ? ' fresh' : ''}` },
        el('time', { title: fmtDateTime(a.t) }, fmtTime(a.t)),
        el('b', { class: 'sym', onclick: () => onSymbol(a.symbol), title: `chart ${a.symbol}` }, a.symbol),
        el('span', { class: 'kind' }, a.kind),
        el('span', { class: 'sev' }, a.severity),
        el('span', { class: 'val' }, anomalyValue(a)),
        typeof a.price === 'number' ? el('span', { class: 'muted price' }, `@ ${fmtPrice(a.symbol, a.price)}`) : null,
      ),
    );
  });
}
