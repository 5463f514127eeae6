/**
 * `ticklake sql "<query>"`: exactly one statement over the lake views, its result printed. Several statements are
 * refused (as the HTTP API does) rather than run with only the last one shown; pipe a script into `ticklake shell`
 * for that. Without a query argument (or with `-`) the statement is read from stdin: `ticklake sql < q.sql`.
 */
import type { Command } from './command.js';
import { openLocalLakeSession } from './lake-session.js';

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

export const command: Command = {
  name: 'sql',
  summary: 'Run one SQL statement over the lake views and print the result (table, csv or json)',
  usage: '[options] "<query>"   (or the query on stdin: ticklake sql < query.sql)',
  async run(config) {
    const { tlError } = await import('../core/errors.js');
    const { duckError } = await import('../lake/sql-guard.js');
    const { render } = await import('./output/render.js');
    const words = config.positional;
    const fromStdin = (words.length === 0 && !process.stdin.isTTY) || (words.length === 1 && words[0] === '-');
    const sql = (fromStdin ? await readStdin() : words.join(' ')).trim();
    if (!sql) throw tlError('TL_CONFIG_MISSING', { setting: 'the query (ticklake sql "select ..." or on stdin)' });
    const mode = config.choice('outputFormat');
    const session = await openLocalLakeSession(config);
    const conn = await session.connect();
    try {
      const statements = await conn.extractStatements(sql).catch((e) => {
        throw duckError(e);
      });
      if (statements.count > 1)
        throw tlError('TL_SQL_FORBIDDEN', {
          reason: `${statements.count} statements given; ticklake sql runs exactly one (pipe a script into ticklake shell to run several)`,
        });
      // through lake/query.ts, materialised: run again when a running start's compaction deleted files under it
      const { queryAll } = await import('../lake/query.js');
      const result = await queryAll(session, sql, { stream: false });
      if (result.columns.length > 0) {
        process.stdout.write(`${render(mode, { columns: result.columns.map((c) => c.name), rows: result.rows })}\n`);
      }
      return 0;
    } finally {
      conn.closeSync();
      session.close();
    }
  },
};
