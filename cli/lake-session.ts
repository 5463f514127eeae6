/**
 * The lake session of the local commands (sql, report, check, shell): the user's own machine and files, so it is
 * not confined to the lake as the HTTP API's session is (docs/api.md); sized by --memory-limit, with the views of
 * the bundled sql/views and the user's --sql-dir directories. A view file that fails is left out with a warning
 * naming its file:line on stderr; the other views work. The lake is --lake-dir, else the one of the ticklake start
 * recorded in --data-dir (cli/start/run-file.ts).
 */
import type { Config } from '../core/config.js';
import type { LakeSession } from '../lake/session.js';

export async function openLocalLakeSession(config: Config): Promise<LakeSession> {
  const { LakeSession } = await import('../lake/session.js');
  const { declaredLakeTables } = await import('../processors/tables/lake-tables.js');
  const { lakeDirOf } = await import('./start/run-file.js');
  const session = await LakeSession.open({
    lakeDir: lakeDirOf(config),
    confined: false,
    memoryLimit: `${config.num('memoryLimit')}B`,
    sqlDirs: config.list('sqlDir'),
    tables: await declaredLakeTables(config.list('sqlDir')),
  });
  for (const b of session.brokenViews) process.stderr.write(`warning: view ${b.name} left out: ${b.error.message}\n`);
  return session;
}

/** The report or check catalog of a local command: bundled files and --sql-dir, broken files warned about. */
export async function loadLocalCatalog(config: Config, kind: 'report' | 'check') {
  const { SqlCatalog } = await import('../lake/sql-catalog.js');
  return SqlCatalog.load(kind, {
    sqlDirs: config.list('sqlDir'),
    onBroken: (b) => process.stderr.write(`warning: ${kind} ${b.name} left out: ${b.error.message}\n`),
  });
}
