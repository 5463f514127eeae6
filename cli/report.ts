/**
 * `ticklake report NAME [--param k=v ...]`: runs one report file; without NAME, lists the reports (a broken file is
 * left out with a warning naming its file:line on stderr). Reports come from sql/reports and --sql-dir.
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

export const command: Command = {
  name: 'report',
  summary: 'Run a report from sql/reports with parameters; without a name, list the reports',
  usage: '[options] [NAME]',
  async run(config) {
    const { runSqlFile } = await import('../lake/run-sql-file.js');
    const { parseKeyValues } = await import('../lake/sql-params.js');
    const { outputMode, render } = await import('./output/render.js');
    const reports = await loadLocalCatalog(config, 'report');
    const mode = outputMode(config.str('outputFormat'));
    const [name] = config.positional;
    if (!name) {
      const rows = reports
        .list()
        .map((r) => [r.name, r.title, r.params.map((p) => `${p.name}${p.required ? '' : '?'}:${p.type}`).join(' ')]);
      process.stdout.write(`${render(mode, { columns: ['name', 'title', 'params'], rows })}\n`);
      return 0;
    }
    const file = reports.get(name);
    const params = parseKeyValues(paramWords(config.list('sqlParams')));
    const session = await openLocalLakeSession(config);
    try {
      const q = await runSqlFile(session, file, params);
      const rows = await q.all();
      process.stdout.write(`${render(mode, { columns: q.columns.map((c) => c.name), rows })}\n`);
      return 0;
    } finally {
      session.close();
    }
  },
};
