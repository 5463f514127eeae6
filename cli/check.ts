/**
 * `ticklake check [NAME ...] [k=v ...]`: runs data quality checks (all when no name), prints PASS/FAIL and each
 * failing check's violating rows, and exits 1 when any check fails or cannot run (a broken file is listed as BROKEN
 * with its file:line). A parameter (`k=v`, or `--param k=v`) applies to every selected check that declares it; a name
 * none of them declares is an error, as in the API. A check needing bars of a window the lake has none of
 * (docs/reports.md, "Windows") is refused when named (TL_SQL_WINDOW_MISSING); in a run of all checks it is listed
 * as SKIP with that reason and does not change the exit code.
 */
import type { Command } from './command.js';
import { loadLocalCatalog, openLocalLakeSession } from './lake-session.js';

export const command: Command = {
  name: 'check',
  summary: 'Run data quality checks from sql/checks; exit 1 when any fails',
  usage: '[options] [NAME ...] [name=value ...]',
  async run(config) {
    const { paramsForChecks, runCheckFiles } = await import('../lake/run-sql-file.js');
    const { barWindows } = await import('../api/live/symbols.js');
    const { windowMissing } = await import('../lake/window-requirements.js');
    const { lakeDirOf } = await import('./start/run-file.js');
    const { parseKeyValues } = await import('../lake/sql-params.js');
    const { reportParams } = await import('./report.js');
    const { render } = await import('./output/render.js');
    const checks = await loadLocalCatalog(config, 'check');
    const mode = config.choice('outputFormat');
    const names = config.positional.filter((w) => !w.includes('='));
    const selected = names.length > 0 ? names.map((n) => checks.get(n)) : checks.list();
    const declared = selected.flatMap((f) => f.params.map((p) => p.name));
    const given = parseKeyValues(reportParams(config.positional, config.list('sqlParams'), declared));
    const broken = names.length > 0 ? [] : checks.broken();
    const params = paramsForChecks(selected, given);
    const windows = await barWindows(lakeDirOf(config));
    const skipped = selected.flatMap((f) => {
      const m = windowMissing('check', f.name, checks.needs(f.name), windows);
      if (m && names.length > 0) throw m;
      return m ? [{ name: f.name, error: m }] : [];
    });
    const session = await openLocalLakeSession(config);
    try {
      const runnable = selected.filter((f) => !skipped.some((s) => s.name === f.name));
      const results = await runCheckFiles(session, runnable, params);
      if (mode === 'json') {
        const { jsonRow } = await import('../lake/json-value.js');
        const out = [
          ...results.map((r) => ({
            name: r.name,
            passed: r.passed,
            violations: r.violations,
            rows: r.rows.map((row) => jsonRow(r.columns, row)),
          })),
          ...broken.map((b) => ({ name: b.name, passed: false, error: b.error.message })),
          ...skipped.map((s) => ({ name: s.name, passed: null, unavailable: s.error.message })),
        ];
        process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
      } else {
        for (const r of results) {
          process.stdout.write(
            `${r.passed ? 'PASS' : 'FAIL'}  ${r.name}  ${r.title}${r.passed ? '' : ` (${r.violations} violating rows)`}\n`,
          );
          if (!r.passed) process.stdout.write(`${render(mode, { columns: r.columns, rows: r.rows })}\n`);
        }
        for (const b of broken) process.stdout.write(`BROKEN  ${b.name}  ${b.error.message}\n`);
        for (const s of skipped) process.stdout.write(`SKIP  ${s.name}  ${s.error.message}\n`);
      }
      return results.every((r) => r.passed) && broken.length === 0 ? 0 : 1;
    } finally {
      session.close();
    }
  },
};
