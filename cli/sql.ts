/** `ticklake sql "<query>"`: one statement (or several, `;`-separated) over the lake views, printed once. */
import type { Command } from './command.js';
import { openLocalLakeSession } from './lake-session.js';

export const command: Command = {
  name: 'sql',
  summary: 'Run SQL over the lake views and print the result (table, csv or json)',
  usage: '[options] "<query>"',
  async run(config) {
    const { tlError } = await import('../core/errors.js');
    const { duckError } = await import('../lake/sql-guard.js');
    const { outputMode, render } = await import('./output/render.js');
    const sql = config.positional.join(' ').trim();
    if (!sql) throw tlError('TL_CONFIG_MISSING', { setting: 'the query (ticklake sql "select ...")' });
    const mode = outputMode(config.str('outputFormat'));
    const session = await openLocalLakeSession(config);
    const conn = await session.connect();
    try {
      const result = await conn.runAndReadAll(sql).catch((e) => {
        throw duckError(e);
      });
      if (result.columnCount > 0) {
        process.stdout.write(`${render(mode, { columns: result.columnNames(), rows: result.getRows() })}\n`);
      }
      return 0;
    } finally {
      conn.closeSync();
      session.close();
    }
  },
};
