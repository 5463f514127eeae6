/**
 * The lake session of the local commands (sql, report, check, shell): the user's own machine and files, so it is
 * not confined to the lake as the HTTP API's session is (docs/api.md); sized by --memory-limit. The lake is --lake-dir,
 * else the one of the ticklake start recorded in --data-dir (cli/start/run-file.ts).
 */
import type { Config } from '../core/config.js';
import type { LakeSession } from '../lake/session.js';

export async function openLocalLakeSession(config: Config): Promise<LakeSession> {
  const { LakeSession } = await import('../lake/session.js');
  const { declaredLakeTables } = await import('../processors/tables/lake-tables.js');
  const { lakeDirOf } = await import('./start/run-file.js');
  return LakeSession.open({
    lakeDir: lakeDirOf(config),
    confined: false,
    memoryLimit: config.str('memoryLimit'),
    tables: await declaredLakeTables(config.list('sqlDir')),
  });
}
