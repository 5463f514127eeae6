/**
 * The declared tables as the lake and its readers see them: every source and job, and each window job's late rows
 * (`<job>_late`), with the outbox table delivery reads them from. The lake session takes these to create the
 * change-log views (lake/changelog.ts), so every reader sees every declared table by name.
 */
import type { ChangelogTable } from '../../lake/changelog.js';
import type { DeliveredTable } from '../sinks/change-delivery.js';
import { loadTableCatalog, type TableCatalog } from './catalog.js';
import type { SourceDecl } from './source-file.js';
import { rel } from './state.js';

/** The tables whose changes the outbox may hold: every source and job, and each window job's late rows. */
export function deliveredTables(c: TableCatalog): DeliveredTable[] {
  const out: DeliveredTable[] = [];
  for (const t of [...c.sources, ...c.jobs]) {
    out.push({
      name: t.name,
      columns: t.columns,
      key: t.key,
      validFrom: t.kind === 'source' ? t.validFrom : undefined,
      outbox: rel('ob', t.name),
      mysql: t.mysql,
      topic: t.kind === 'job' ? t.topic : undefined,
    });
    if (t.kind === 'job' && t.jobKind === 'window') out.push(lateTable(c, t.name, t.source as string));
  }
  return out;
}

function lateTable(c: TableCatalog, job: string, source: string): DeliveredTable {
  const src = c.byName.get(source) as SourceDecl;
  const late: ChangelogTable = {
    name: `${job}_late`,
    columns: [...src.columns, { name: 'window_start', type: 'TIMESTAMP' }, { name: 'watermark', type: 'TIMESTAMP' }],
    key: [],
  };
  return { ...late, outbox: rel('ob', late.name), mysql: false };
}

/** The declared tables of the bundled sql/ and the user's directories, for the lake session's views. */
export async function declaredLakeTables(sqlDirs: readonly string[] = []): Promise<ChangelogTable[]> {
  return deliveredTables(await loadTableCatalog(sqlDirs));
}
