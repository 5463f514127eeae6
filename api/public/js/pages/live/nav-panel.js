// The live page's portfolio NAV panel: one line per portfolio (% change since the first point shown, or NAV), and
// a table of portfolios whose rows open the drill-down (#/portfolio/<id>).

import { alignTables, COLORS, destroyChart, line, timeChart } from '../../lib/charts.js';
import { el, select } from '../../lib/dom.js';
import { fmtNum, fmtPct } from '../../lib/format.js';
import { dataTable, signClass } from '../../lib/table.js';

export class NavPanel {
  constructor(root, { ctx }) {
    this.ctx = ctx;
    this.mode = 'pct';
    this.keys = '';
    this.chart = null;
    this.raw = [[]];
    this.windowLabel = el('small', { id: 'nav-window' });
    this.holder = el('div', { id: 'chart-nav', class: 'chart' });
    this.table = el('div', { class: 'nav-table' });
    root.append(
      el(
        'h2',
        {},
        'Portfolio NAV ',
        this.windowLabel,
        select(
          [
            ['pct', '% change since the first point'],
            ['abs', 'NAV'],
          ],
          this.mode,
          (m) => {
            this.mode = m;
            this.render(this.navs, this.window);
          },
          { id: 'nav-mode', title: 'how the NAV lines are drawn' },
        ),
      ),
      this.holder,
      this.table,
    );
  }

  destroy() {
    destroyChart(this.chart);
  }

  render(navs, window) {
    this.navs = navs;
    this.window = window;
    this.windowLabel.textContent = window ? `${window} valuations` : '';
    const ids = Object.keys(navs).sort();
    const keys = `${this.mode}:${ids.join(',')}`;
    if (keys !== this.keys) {
      destroyChart(this.chart);
      const mode = this.mode;
      const legend = (_u, v, si, i) => {
        const raw = this.raw[si]?.[i];
        if (v === null || v === undefined || raw === null || raw === undefined) return '--';
        return mode === 'pct' ? `${v >= 0 ? '+' : ''}${v.toFixed(3)}% (${fmtNum(raw, 2)})` : fmtNum(raw, 2);
      };
      this.chart = timeChart(
        this.holder,
        ids.map((id, i) => line(`${id} (${navs[id].investor ?? '?'})`, COLORS[i % COLORS.length], { value: legend })),
        { height: 200 },
      );
      this.keys = keys;
      this.onChart?.(this.chart);
    }
    this.renderTable(ids);
    if (ids.length === 0) return;
    this.raw = alignTables(ids.map((id) => [navs[id].t.map((t) => t / 1000), navs[id].nav]));
    if (this.mode === 'abs') {
      this.chart.update(this.raw);
      return;
    }
    const pct = this.raw.map((ys, si) => {
      if (si === 0) return ys;
      const first = ys.find((v) => typeof v === 'number' && v !== 0);
      return ys.map((v) => (typeof v === 'number' && first ? (v / first - 1) * 100 : null));
    });
    this.chart.update(pct);
  }

  renderTable(ids) {
    const rows = ids.map((id) => {
      const s = this.navs[id];
      const last = s.nav.at(-1);
      const first = s.nav.find((v) => typeof v === 'number' && v !== 0);
      return {
        id,
        investor: s.investor,
        nav: last,
        chg: typeof last === 'number' && first ? (last / first - 1) * 100 : null,
      };
    });
    this.table.replaceChildren(
      dataTable({
        columns: [
          { key: 'id', label: 'portfolio' },
          { key: 'investor', label: 'investor' },
          { key: 'nav', label: 'NAV', num: true, format: (v) => fmtNum(v, 2) },
          {
            key: 'chg',
            label: 'Δ%',
            num: true,
            format: (v) => fmtPct(v),
            cls: signClass,
            title: 'change over the points shown',
          },
        ],
        rows,
        rowKey: (r) => r.id,
        onRow: (r) => this.ctx.go(`#/portfolio/${encodeURIComponent(r.id)}`),
        empty: 'no valuations yet',
      }),
    );
  }
}
