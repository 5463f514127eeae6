/**
 * `ticklake check [NAME ...] [k=v ...]`: runs data quality checks (all when no name), prints PASS/FAIL and each
 * failing check's violating rows, and exits 1 when any check fails. A parameter (`k=v`, or `--param k=v`) applies to
 * every selected check that declares it.
 */
import type { Command } from './command.js';
import { openLocalLakeSession } from './lake-session.js';

export const command: Command = {
  name: 'check',
  summary: 'Run data quality checks from sql/checks; exit 1 when any fails',
  usage: '[options] [NAME ...] [name=value ...]',
  async run(config) {
    const { SqlCatalog } = await import('../lake/sql-catalog.js');
    const { runChecks } = await import('../lake/run-sql-file.js');
    const { parseKeyValues } = await import('../lake/sql-params.js');
    const { reportParams } = await import('./report.js');
    const { outputMode, render } = await import('./output/render.js');
    const checks = SqlCatalog.load('check');
    const mode = outputMode(config.str('outputFormat'));
    const names = config.positional.filter((w) => !w.includes('='));
    const given = parseKeyValues(reportParams(config.positional, config.list('sqlParams')));
    const selected = names.length > 0 ? names.map((n) => checks.get(n)) : checks.list();
    const params = Object.fromEntries(
      selected.map((c) => [
        c.name,
        Object.fromEntries(Object.entries(given).filter(([k]) => c.params.some((p) => p.name === k))),
      ]),
    );
    const session = await openLocalLakeSession(config);
    try {
      const results = await runChecks(session, checks, names, params);
      if (mode === 'json') {
        const { jsonRow } = await import('../lake/json-value.js');
        const out = results.map((r) => ({
          name: r.name,
          passed: r.passed,
          violations: r.violations,
          rows: r.rows.map((row) => jsonRow(r.columns, row)),
        }));
        process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
      } else {
        for (const r of results) {
          process.stdout.write(
            `${r.passed ? 'PASS' : 'FAIL'}  ${r.name}  ${r.title}${r.passed ? '' : ` (${r.violations} violating rows)`}\n`,
          );
          if (!r.passed) process.stdout.write(`${render(mode, { columns: r.columns, rows: r.rows })}\n`);
        }
      }
      return results.every((r) => r.passed) ? 0 : 1;
    } finally {
      session.close();
    }
  },
};
