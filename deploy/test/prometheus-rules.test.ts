/**
 * deploy/prometheus/alerts.yml with Debian's promtool: `promtool check rules` accepts it, `promtool test rules` runs
 * alerts.test.yml (each alert fires on its situation, with hand-computed values in its annotations, and stays quiet
 * on the look-alike), and every metric an alert reads is one ticklake exports (metrics/test/exported-names.ts).
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { exportedMetricNames, metricNamesIn } from '../../metrics/test/exported-names.js';
import { requireTool } from '../../test/helpers/tools.js';

const promtool = requireTool('promtool');
const DIR = new URL('../prometheus/', import.meta.url).pathname;
const run = promisify(execFile);

describe.skipIf(!promtool)('Prometheus alert rules', () => {
  it('promtool check rules accepts alerts.yml', async () => {
    const { stdout } = await run(promtool as string, ['check', 'rules', 'alerts.yml'], { cwd: DIR });
    // as many rules as the file declares alerts (counted here from its text)
    const alerts = readFileSync(`${DIR}alerts.yml`, 'utf8').match(/^\s*- alert: /gm)?.length ?? 0;
    expect(alerts).toBeGreaterThanOrEqual(9);
    expect(stdout).toMatch(new RegExp(`SUCCESS: ${alerts} rules found`));
  });

  it('promtool test rules passes alerts.test.yml', async () => {
    const r = await run(promtool as string, ['test', 'rules', 'alerts.test.yml'], { cwd: DIR }).catch((e) => e);
    expect(`${r.stdout}${r.stderr}`).toMatch(/SUCCESS/);
    expect(r.code ?? 0).toBe(0);
  });

  it('every alert reads metrics ticklake exports', async () => {
    const names = metricNamesIn(readFileSync(`${DIR}alerts.yml`, 'utf8'));
    expect(names.size).toBeGreaterThan(5);
    const exported = await exportedMetricNames();
    expect([...names].filter((n) => !exported.has(n))).toEqual([]);
  });
});
