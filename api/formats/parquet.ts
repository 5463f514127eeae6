/**
 * Parquet result bodies: DuckDB writes the result with `COPY (...) TO` into the session's private scratch
 * directory (the only place a confined session may write), the file is streamed to the client and deleted.
 * The row cap is a LIMIT; `truncated` is known before the body starts, so it is a plain header here.
 */
import { randomUUID } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { type QueryOptions, queryAll } from '../../lake/query.js';
import type { LakeSession } from '../../lake/session.js';
import { prepareReadOnly } from '../../lake/sql-guard.js';
import { sqlString } from '../../lake/sql-quote.js';

export interface ParquetResult {
  body: Readable;
  rows: number;
  truncated: boolean;
}

/** The statement without its trailing semicolon, ending in a newline (a last `-- comment` must not eat the `)`). */
function inner(sql: string): string {
  return `${sql.trimEnd().replace(/;+$/, '')}\n`;
}

export async function parquetBody(session: LakeSession, sql: string, opts: QueryOptions): Promise<ParquetResult> {
  if (opts.readOnly) {
    // the same guard as every other format; the COPY around it is ours
    const conn = await session.acquire();
    try {
      (await prepareReadOnly(conn, sql)).destroySync();
    } finally {
      session.release(conn);
    }
  }
  const path = join(session.scratchDir, `${randomUUID()}.parquet`);
  const cap = opts.maxRows;
  const body = inner(sql);
  const limited = cap === undefined ? body : `select * from (${body}) limit ${cap}`;
  const run = { ...opts, readOnly: false, maxRows: undefined };
  try {
    const copied = await queryAll(session, `copy (${limited}) to ${sqlString(path)} (format parquet)`, run);
    const rows = Number(copied.rows[0]?.[0] ?? 0);
    let truncated = false;
    if (cap !== undefined && rows >= cap) {
      const more = await queryAll(session, `select count(*) from (select 1 from (${body}) limit ${cap + 1})`, run);
      truncated = Number(more.rows[0][0]) > cap;
    }
    const stream = createReadStream(path);
    stream.on('close', () => void rm(path, { force: true }));
    return { body: stream, rows, truncated };
  } catch (e) {
    await rm(path, { force: true });
    throw e;
  }
}
