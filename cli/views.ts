/**
 * `ticklake views --print`: the view definitions over the lake as plain SQL, so that the official `duckdb` CLI or
 * any DuckDB client opens the lake the same way (`ticklake views --print > views.sql; duckdb -init views.sql`).
 * Without `--print`, lists the views. Both include the views of `--sql-dir` directories.
 */
import type { Command } from './command.js';

export const command: Command = {
  name: 'views',
  summary: 'List the lake views, or print their SQL (--print) for the duckdb CLI',
  async run(config) {
    const { existsSync } = await import('node:fs');
    const { resolve } = await import('node:path');
    const { tlError } = await import('../core/errors.js');
    const { printViews } = await import('../lake/session.js');
    const { viewStatements } = await import('../lake/views.js');
    const { declaredLakeTables } = await import('../processors/tables/lake-tables.js');
    const { lakeDirOf } = await import('./start/run-file.js');
    const lakeDir = lakeDirOf(config);
    const sqlDirs = config.list('sqlDir');
    if (!existsSync(lakeDir)) throw tlError('TL_LAKE_NOT_FOUND', { dir: resolve(lakeDir) });
    const tables = await declaredLakeTables(sqlDirs);
    if (config.bool('viewsPrint')) process.stdout.write(printViews(lakeDir, { sqlDirs, tables }));
    else {
      for (const t of tables)
        process.stdout.write(`${t.name}\n${t.name}_changes\n${t.key.length ? `${t.name}_history\n` : ''}`);
      for (const v of viewStatements(lakeDir, { sqlDirs })) process.stdout.write(`${v.name}\n`);
    }
    return 0;
  },
};
