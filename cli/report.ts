/**
 * `ticklake report NAME [k=v ...]`: runs one report file; without NAME, lists the reports (a broken file is left out
 * with a warning naming its file:line on stderr). Reports come from sql/reports and --sql-dir. Parameters are written
 * as in the shell's `.report NAME k=v ...` (one syntax); `--param k=v` (and TICKLAKE_PARAMS) say the same.
 * A report needing bars of a window the lake has none of (docs/reports.md, "Windows") is refused with
 * TL_SQL_WINDOW_MISSING instead of printing no rows; the list shows each report's windows.
 */
import type { Command } from './command.js';
import { loadLocalCatalog, openLocalLakeSession } from './lake-session.js';

/** `--param` is a list setting split on commas; a piece without `=` continues the previous value (`symbols=A,B`). */
export function paramWords(list: string[]): string[] {
  const out: string[] = [];
  for (const piece of list) {
    if (piece.includes('=') || out.length === 0) out.push(piece);
    else out[out.length - 1] += `,${piece}`;
  }
  return out;
}

/** The `k=v` words after the first positional word (a report or check name), and `--param` values. */
export function reportParams(positional: readonly string[], params: string[]): string[] {
  return [...paramWords(params), ...positional.filter((w) => w.includes('='))];
}

export const command: Command = {
  name: 'report',
  summary: 'Run a report from sql/reports with parameters; without a name, list the reports',
  usage: '[options] [NAME [name=value ...]]   e.g. ticklake report top-movers day=2026-01-05 limit=3',
  async run(config) {
    const { runSqlFile } = await import('../lake/run-sql-file.js');
    const { parseKeyValues } = await import('../lake/sql-params.js');
    const { outputMode, render } = await import('./output/render.js');
    const reports = await loadLocalCatalog(config, 'report');
    const { barWindows } = await import('../api/live/symbols.js');
    const { windowMissing } = await import('../lake/window-requirements.js');
    const { lakeDirOf } = await import('./start/run-file.js');
    const mode = outputMode(config.str('outputFormat'));
    const [name, ...rest] = config.positional;
    const stray = rest.find((w) => !w.includes('='));
    if (stray !== undefined)
      throw (await import('../core/errors.js')).tlError('TL_API_BAD_PARAM', {
        param: stray,
        reason: 'expected name=value',
      });
    if (!name) {
      const rows = reports.list().map((r) => [
        r.name,
        r.title,
        r.params.map((p) => `${p.name}${p.required ? '' : '?'}:${p.type}`).join(' '),
        reports
          .needs(r.name)
          .map((c) => c.windows.join('|'))
          .join(' '),
      ]);
      process.stdout.write(`${render(mode, { columns: ['name', 'title', 'params', 'windows'], rows })}\n`);
      return 0;
    }
    const file = reports.get(name);
    const missing = windowMissing('report', name, reports.needs(name), await barWindows(lakeDirOf(config)));
    if (missing) throw missing; // it would print no rows
    const params = parseKeyValues(reportParams(rest, config.list('sqlParams')));
    const session = await openLocalLakeSession(config);
    try {
      // materialised, not streamed: a background compaction of a running start may delete files under the query,
      // and a materialised run is retried then (lake/query.ts); a stream could only fail half-way
      const q = await runSqlFile(session, file, params, { stream: false });
      const rows = await q.all();
      process.stdout.write(`${render(mode, { columns: q.columns.map((c) => c.name), rows })}\n`);
      return 0;
    } finally {
      session.close();
    }
  },
};
