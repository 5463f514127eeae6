/**
 * `ticklake start` refuses to run a scheduled SQL file (docs/scheduler.md) that needs bars of a window its
 * --windows does not make (lake/window-requirements.ts): such a job would run every hour over nothing and store
 * empty results, with no error anywhere. Reports and checks that are not scheduled are optional: the API lists them
 * as unavailable instead (api/routes/reports.ts).
 *
 * Scheduled files are those with `-- schedule:` (every model and test, and reports and checks that have one). A file whose header
 * cannot be read is left to the scheduler, which names it.
 */
import { readFileSync } from 'node:fs';
import { isTicklakeError, tlError } from '../core/errors.js';
import { listSqlFiles, type SqlKind } from '../lake/sql-dirs.js';
import { parseSqlFile } from '../lake/sql-header.js';
import { clauseOrigin, unmetClauses, WindowRequirements, windowChoice } from '../lake/window-requirements.js';

const KINDS: SqlKind[] = ['models', 'tests', 'reports', 'checks'];

/** Throws TL_CONFIG_WINDOWS_UNMET for the first scheduled file whose windows `windows` does not give. */
export function checkScheduledWindows(sqlDirs: readonly string[], windows: readonly string[]): void {
  const needs = new WindowRequirements(sqlDirs).refresh();
  for (const dir of KINDS) {
    for (const ref of listSqlFiles(dir, sqlDirs)) {
      let file: ReturnType<typeof parseSqlFile>;
      try {
        file = parseSqlFile(ref.display, readFileSync(ref.path, 'utf8'), ref.name);
      } catch (e) {
        if (isTicklakeError(e)) continue; // the scheduler reports it
        throw e;
      }
      if (file.schedule === undefined) continue; // not scheduled (a model without the line: the scheduler names it)
      const unmet = unmetClauses(needs.of(file), windows);
      if (unmet.length === 0) continue;
      throw tlError('TL_CONFIG_WINDOWS_UNMET', {
        windows: windows.join(','),
        what: `${ref.display} (scheduled ${file.schedule})`,
        needs: unmet.map((c) => `${windowChoice(c)} (${clauseOrigin(c)})`).join(', and '),
        fix: `add ${unmet.map((c) => c.windows[0]).join(',')} to --windows, or run without the scheduler (--no-schedule)`,
      });
    }
  }
}
