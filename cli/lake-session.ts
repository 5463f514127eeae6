/**
 * The lake session of the local commands (sql, report, check, shell): the user's own machine and files, so it is
 * not confined to the lake as the HTTP API's session is (docs/api.md); sized by --memory-limit.
 */
import type { Config } from '../core/config.js';
import type { LakeSession } from '../lake/session.js';

export async function openLocalLakeSession(config: Config): Promise<LakeSession> {
  const { LakeSession } = await import('../lake/session.js');
  const { declaredLakeTables } = await import('../processors/tables/lake-tables.js');
  return LakeSession.open({
    lakeDir: config.str('lakeDir'),
    confined: false,
    memoryLimit: config.str('memoryLimit'),
    tables: await declaredLakeTables(config.list('sqlDir')),
  });
}
