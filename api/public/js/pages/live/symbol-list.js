// The live page's symbol search: a filter box over every symbol, grouped by exchange and asset class (from
// GET /api/live/symbols), each with its last price (the instrument's decimals) and its change over the bars shown.
// Typing filters by symbol, exchange or asset class; Enter charts the first match; "/" focuses the box.

import { el } from '../../lib/dom.js';
import { fmtPrice } from '../../lib/format.js';

/** Groups: [{exchange, assetClass, symbols: [...]}] sorted by exchange then asset class; unknown ones last. */
export function groupSymbols(names, info) {
  const groups = new Map();
  for (const s of names) {
    const i = info.get(s);
    const exchange = i?.exchange ?? null;
    const assetClass = i?.assetClass ?? null;
    const key = `${exchange ?? '\uffff'}|${assetClass ?? '\uffff'}`;
    if (!groups.has(key)) groups.set(key, { key, exchange, assetClass, symbols: [] });
    groups.get(key).symbols.push(s);
  }
  return [...groups.values()]
    .sort((a, b) => a.key.localeCompare(b.key))
    .map((g) => ({ ...g, symbols: g.symbols.sort() }));
}

export function matches(symbol, i, q) {
  if (!q) return true;
  const needle = q.toLowerCase();
  return [symbol, i?.exchange, i?.assetClass].some((x) => x?.toLowerCase().includes(needle));
}

export class SymbolList {
  constructor(root, { onSelect }) {
    this.onSelect = onSelect;
    this.query = '';
    this.input = el('input', {
      type: 'search',
      id: 'symbol-search',
      placeholder: 'search symbol, exchange, class  (/)',
      autocomplete: 'off',
      spellcheck: 'false',
    });
    this.input.addEventListener('input', () => {
      this.query = this.input.value.trim();
      this.render(this.last);
    });
    this.input.addEventListener('keydown', (e) => {
      if (e.key === 'Enter') {
        const first = this.visible()[0];
        if (first) this.onSelect(first);
      } else if (e.key === 'Escape') {
        this.input.value = '';
        this.query = '';
        this.render(this.last);
      }
    });
    this.onKey = (e) => {
      if (e.key === '/' && !/^(INPUT|TEXTAREA|SELECT)$/.test(document.activeElement?.tagName ?? '')) {
        e.preventDefault();
        this.input.focus();
      }
    };
    document.addEventListener('keydown', this.onKey);
    this.table = el(
      'table',
      { id: 'symbols', class: 'sym-table' },
      el(
        'thead',
        {},
        el(
          'tr',
          {},
          el('th', {}, 'symbol'),
          el('th', { class: 'num' }, 'last'),
          el('th', { class: 'num', title: 'change over the stream’s recent bars (the newest 240)' }, 'Δ%'),
        ),
      ),
      el('tbody'),
    );
    root.append(this.input, this.table);
    this.last = null;
  }

  destroy() {
    document.removeEventListener('keydown', this.onKey);
  }

  /** The symbols shown (filtered), in display order. */
  visible() {
    if (!this.last) return [];
    return this.groups.flatMap((g) => g.symbols.filter((s) => matches(s, this.last.info.get(s), this.query)));
  }

  /** view: {bars: {SYMBOL: series}, info: Map(symbol → {exchange, assetClass}), selected} */
  render(view) {
    this.last = view;
    if (!view) return;
    const names = [...new Set([...Object.keys(view.bars), ...view.info.keys()])];
    this.groups = groupSymbols(names, view.info);
    const body = this.table.tBodies[0];
    body.textContent = '';
    for (const g of this.groups) {
      const shown = g.symbols.filter((s) => matches(s, view.info.get(s), this.query));
      if (shown.length === 0) continue;
      const label = g.exchange ? `${g.exchange} · ${g.assetClass ?? '?'}` : 'other';
      body.append(
        el(
          'tr',
          { class: 'group', dataset: { exchange: g.exchange ?? '', assetClass: g.assetClass ?? '' } },
          el('th', { colspan: 3 }, label, ' ', el('small', {}, String(shown.length))),
        ),
      );
      for (const sym of shown) {
        const s = view.bars[sym];
        const last = s?.close.at(-1);
        const first = s ? (s.open.find((x) => typeof x === 'number') ?? s.close[0]) : null;
        const chg = typeof last === 'number' && first ? (last / first - 1) * 100 : null;
        body.append(
          el(
            'tr',
            {
              class: sym === view.selected ? 'selected' : '',
              'data-symbol': sym,
              onclick: () => this.onSelect(sym),
            },
            el('td', {}, sym),
            el('td', { class: 'num' }, typeof last === 'number' ? fmtPrice(sym, last) : ''),
            el('td', { class: `num ${chg > 0 ? 'up' : chg < 0 ? 'down' : ''}` }, chg === null ? '' : chg.toFixed(2)),
          ),
        );
      }
    }
    if (!body.children.length) {
      body.append(el('tr', {}, el('td', { colspan: 3, class: 'muted' }, this.query ? 'no match' : 'no symbols yet')));
    }
  }
}
