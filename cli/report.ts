/**
 * `ticklake report NAME [k=v ...]`: runs one report file; without NAME, lists the reports (a broken file is left out
 * with a warning naming its file:line on stderr). Reports come from sql/reports and --sql-dir. Parameters are written
 * as in the shell's `.report NAME k=v ...` (one syntax); `--param k=v` (one pair per flag; TICKLAKE_PARAMS: one per
 * line) says the same. A report needing bars of a window the lake has none of (docs/reports.md, "Windows") is
 * refused with TL_SQL_WINDOW_MISSING instead of printing no rows; the list shows each report's windows.
 */
import { tlError } from '../core/errors.js';
import type { Command } from './command.js';
import { loadLocalCatalog, openLocalLakeSession } from './lake-session.js';

/**
 * The `--param` values (and TICKLAKE_PARAMS lines), each one `name=value` — the flag is repeatable and never split on
 * commas, so a value may hold commas and `=` — then the `k=v` words after the report or check name.
 *
 * The old comma form (`--param a=1,b=2`, two parameters in one flag) is gone, refused where it would now be misread:
 * a `--param` value holding `,NAME=` for a parameter NAME that one of the `declared` files takes and that is not given
 * on its own. Giving NAME on its own (or the pair as a word after the name) says the text is meant as the value.
 */
export function reportParams(positional: readonly string[], params: readonly string[], declared: readonly string[]) {
  const words = [...params, ...positional.filter((w) => w.includes('='))];
  const given = new Set(words.map((w) => w.slice(0, w.indexOf('='))));
  for (const w of params) {
    const name = w.slice(0, w.indexOf('='));
    const value = w.slice(w.indexOf('=') + 1);
    const other = declared.find((d) => d !== name && !given.has(d) && value.includes(`,${d}=`));
    if (other !== undefined)
      throw tlError('TL_CONFIG_BAD_VALUE', {
        setting: '--param / TICKLAKE_PARAMS',
        value: JSON.stringify(w),
        reason: `one --param is one name=value, and "${other}" is a parameter too: give it its own --param ${other}=... (a=1,b=2 is no longer split; to pass the text as the value of ${name}, also give ${other} on its own)`,
      });
  }
  return words;
}

export const command: Command = {
  name: 'report',
  summary: 'Run a report from sql/reports with parameters; without a name, list the reports',
  usage: '[options] [NAME [name=value ...]]   e.g. ticklake report top-movers day=2026-01-05 limit=3',
  async run(config) {
    const { runSqlFile } = await import('../lake/run-sql-file.js');
    const { parseKeyValues } = await import('../lake/sql-params.js');
    const { render } = await import('./output/render.js');
    const reports = await loadLocalCatalog(config, 'report');
    const { barWindows } = await import('../api/live/symbols.js');
    const { windowMissing, withDefaults } = await import('../lake/window-requirements.js');
    const { lakeDirOf } = await import('./start/run-file.js');
    const mode = config.choice('outputFormat');
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
          .map((c) => (c.param !== undefined ? `$${c.param}` : c.windows.join('|')))
          .join(' '),
      ]);
      process.stdout.write(`${render(mode, { columns: ['name', 'title', 'params', 'windows'], rows })}\n`);
      return 0;
    }
    const file = reports.get(name);
    const params = parseKeyValues(
      reportParams(
        rest,
        config.list('sqlParams'),
        file.params.map((p) => p.name),
      ),
    );
    const windows = await barWindows(lakeDirOf(config));
    const missing = windowMissing('report', name, reports.needs(name), windows, withDefaults(file, params));
    if (missing) throw missing; // it would print no rows
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
