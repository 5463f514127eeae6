/**
 * The Grafana dashboard (deploy/grafana/dashboards/ticklake.json) provisioned by docker-compose: a well-formed
 * dashboard (unique panel ids, panels inside the 24-column grid and not overlapping, every query panel on the
 * provisioned Prometheus datasource), every query valid PromQL (promtool checks them as recording rules), and every
 * metric a query names is one ticklake exports (read from a real GET /metrics).
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { exportedMetricNames, metricNamesIn } from '../../metrics/test/exported-names.js';
import { requireTool } from '../../test/helpers/tools.js';

const DASH = new URL('../grafana/dashboards/ticklake.json', import.meta.url);
const DATASOURCE = new URL('../grafana/provisioning/datasources/prometheus.yml', import.meta.url);
const promtool = requireTool('promtool');

interface Panel {
  id: number;
  type: string;
  title: string;
  gridPos: { x: number; y: number; w: number; h: number };
  datasource?: { type: string; uid: string };
  targets?: { refId: string; expr: string; datasource?: { uid: string } }[];
}

const dash = JSON.parse(readFileSync(DASH, 'utf8')) as { uid: string; title: string; panels: Panel[] };
const queries = dash.panels.filter((p) => p.type !== 'row');

describe('Grafana dashboard', () => {
  it('is a dashboard of unique, non-overlapping panels on the provisioned Prometheus datasource', () => {
    expect(dash.uid).toBe('ticklake-pipeline');
    expect(dash.title).toBeTruthy();
    const ids = dash.panels.map((p) => p.id);
    expect(new Set(ids).size).toBe(ids.length);
    const uid = /uid:\s*(\S+)/.exec(readFileSync(DATASOURCE, 'utf8'))?.[1];
    expect(uid).toBe('ticklake-prometheus');
    for (const p of dash.panels) {
      const g = p.gridPos;
      expect(g.x >= 0 && g.w > 0 && g.x + g.w <= 24 && g.h > 0 && g.y >= 0, `${p.title} gridPos`).toBe(true);
    }
    for (const [i, a] of dash.panels.entries()) {
      for (const b of dash.panels.slice(i + 1)) {
        const overlap =
          a.gridPos.x < b.gridPos.x + b.gridPos.w &&
          b.gridPos.x < a.gridPos.x + a.gridPos.w &&
          a.gridPos.y < b.gridPos.y + b.gridPos.h &&
          b.gridPos.y < a.gridPos.y + a.gridPos.h;
        expect(overlap, `${a.title} overlaps ${b.title}`).toBe(false);
      }
    }
    expect(queries.length).toBeGreaterThan(15);
    for (const p of queries) {
      expect(['timeseries', 'stat', 'table', 'gauge', 'bargauge'], p.title).toContain(p.type);
      expect(p.datasource?.uid, p.title).toBe(uid);
      expect(p.targets?.length, p.title).toBeGreaterThan(0);
      for (const t of p.targets ?? []) expect(t.expr.trim(), p.title).not.toBe('');
    }
    // the rows the issue asks for
    const rows = dash.panels.filter((p) => p.type === 'row').map((p) => p.title);
    expect(rows).toEqual(expect.arrayContaining(['Pipeline health', 'Market', 'Scheduler and quality gates']));
  });

  it("every panel's query names only metrics ticklake exports", async () => {
    const exported = await exportedMetricNames();
    for (const p of queries) {
      for (const t of p.targets ?? []) {
        const names = metricNamesIn(t.expr);
        expect(names.size, `${p.title}: ${t.expr}`).toBeGreaterThan(0);
        expect(
          [...names].filter((n) => !exported.has(n)),
          `${p.title}: ${t.expr}`,
        ).toEqual([]);
      }
    }
  });

  it.skipIf(!promtool)('every query is valid PromQL (promtool check rules on them as recording rules)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'tl-grafana-'));
    try {
      const rules = queries.flatMap((p) =>
        (p.targets ?? []).map((t, i) => `      - record: panel_${p.id}_${i}\n        expr: ${JSON.stringify(t.expr)}`),
      );
      await writeFile(join(dir, 'panels.yml'), `groups:\n  - name: panels\n    rules:\n${rules.join('\n')}\n`);
      const { stdout } = await promisify(execFile)(promtool as string, ['check', 'rules', join(dir, 'panels.yml')]);
      expect(stdout).toContain(`SUCCESS: ${rules.length} rules found`);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
