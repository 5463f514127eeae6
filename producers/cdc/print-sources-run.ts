/** Runs `ticklake cdc --print-sources`: reads the captured tables' layouts and writes one file per table. */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import mysql from 'mysql2/promise';
import { tlError } from '../../core/errors.js';
import { resolveTables } from './cdc-run.js';
import { sourceFileName, sourceSql } from './print-sources.js';
import { SchemaTracker } from './table-schema.js';
import { connectionOptions } from './zongji-reader.js';

export async function printSources(o: {
  mysqlUrl: string;
  tables: string[];
  prefix: string;
  dir: string;
}): Promise<number> {
  const conn = await mysql.createConnection(connectionOptions(o.mysqlUrl));
  try {
    const tables = await resolveTables(conn, o.mysqlUrl, o.tables);
    const schemas = await new SchemaTracker(conn, tables).loadAll();
    for (const t of tables) {
      if (!schemas.some((s) => s.db === t.db && s.table === t.table)) {
        throw tlError('TL_CDC_TABLE', { table: `${t.db}.${t.table}`, reason: 'no such table' });
      }
    }
    if (o.dir === '-') {
      process.stdout.write(schemas.map((s) => sourceSql(s, o.prefix)).join('\n'));
      return 0;
    }
    await mkdir(o.dir, { recursive: true });
    for (const s of schemas) {
      const file = join(o.dir, sourceFileName(s));
      await writeFile(file, sourceSql(s, o.prefix));
      process.stdout.write(`${file}\n`);
    }
    return 0;
  } finally {
    await conn.end();
  }
}
