/**
 * The initial snapshot: every captured table read inside one consistent-snapshot transaction whose binlog
 * position is known exactly, so streaming resumes at that position with no gap and no duplicate.
 *
 * - MariaDB: `START TRANSACTION WITH CONSISTENT SNAPSHOT`, then `SHOW STATUS LIKE 'binlog_snapshot_%'` gives the
 *   binlog file and position of exactly that snapshot. No lock at all.
 * - MySQL: no such status, so a brief global read lock: `FLUSH TABLES WITH READ LOCK`, the snapshot transaction,
 *   `SHOW BINARY LOG STATUS` (8.4; `SHOW MASTER STATUS` before), `UNLOCK TABLES` (milliseconds; needs RELOAD).
 *
 * The snapshot is reconciled with what the topics already hold (`existing`: key → hash of the row as published):
 * a row already published with the same values is not published again, and a key the topics hold that the table
 * no longer has gets a tombstone. So a snapshot that was interrupted by a crash, or a new snapshot after the binlog
 * was purged, publishes only what differs, and rows deleted meanwhile are deleted downstream too.
 */
import { createHash } from 'node:crypto';
import mysql from 'mysql2/promise';
import type { BinlogPosition } from './binlog-position.js';
import { type EventContext, encodeChange, encodeTombstone, topicOf } from './debezium-event.js';
import type { CdcPublisher } from './publisher.js';
import type { TableSchema } from './table-schema.js';
import { connectionOptions } from './zongji-reader.js';

export const HEADER_ID = 'ticklake.cdc.id';

export interface SnapshotProgress {
  state: 'running' | 'done';
  table?: string;
  rowsDone: number;
  rowsTotal: number;
  startedAt: number;
  position?: BinlogPosition;
}

export function afterHash(value: string | null): string {
  if (value === null) return '';
  // the row part of the event: everything but the source block and the times, which differ between publications
  const m = /"after":(.*),"source":/s.exec(value);
  return createHash('sha1')
    .update(m ? m[1] : value)
    .digest('base64');
}

/** Opens the consistent snapshot; returns the connection (transaction open) and its binlog position. */
export async function openSnapshot(
  url: string,
  mariadb: boolean,
): Promise<{ conn: mysql.Connection; position: BinlogPosition }> {
  const conn = await mysql.createConnection({ ...connectionOptions(url), multipleStatements: false });
  await conn.query("SET SESSION time_zone = '+00:00'");
  await conn.query('SET SESSION TRANSACTION ISOLATION LEVEL REPEATABLE READ');
  if (mariadb) {
    await conn.query('START TRANSACTION WITH CONSISTENT SNAPSHOT');
    const [rows] = await conn.query("SHOW STATUS LIKE 'binlog_snapshot_%'");
    const st = Object.fromEntries(
      (rows as { Variable_name: string; Value: string }[]).map((r) => [r.Variable_name.toLowerCase(), r.Value]),
    );
    const position = { file: st.binlog_snapshot_file, pos: Number(st.binlog_snapshot_position) };
    if (!position.file || !Number.isInteger(position.pos))
      throw new Error(`the server reported no snapshot position: ${JSON.stringify(st)}`);
    return { conn, position };
  }
  await conn.query('FLUSH TABLES WITH READ LOCK');
  try {
    await conn.query('START TRANSACTION WITH CONSISTENT SNAPSHOT');
    let rows: unknown;
    try {
      [rows] = await conn.query('SHOW BINARY LOG STATUS');
    } catch {
      [rows] = await conn.query('SHOW MASTER STATUS');
    }
    const r = (rows as { File: string; Position: number }[])[0];
    return { conn, position: { file: r.File, pos: Number(r.Position) } };
  } finally {
    await conn.query('UNLOCK TABLES');
  }
}

export interface SnapshotOptions {
  url: string;
  mariadb: boolean;
  tables: TableSchema[];
  ctx: EventContext;
  publisher: CdcPublisher;
  /** topic → key text → hash of the published row, from the topics (reconciliation). */
  existing: Map<string, Map<string, string>>;
  progress: SnapshotProgress;
}

/** Runs the snapshot; resolves with its binlog position once every row is queued (not yet acknowledged). */
export async function runSnapshot(o: SnapshotOptions): Promise<{ position: BinlogPosition; rows: number }> {
  const { conn, position } = await openSnapshot(o.url, o.mariadb);
  o.progress.position = position;
  try {
    for (const t of o.tables) {
      const [est] = await conn.query(
        'SELECT TABLE_ROWS AS n FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ?',
        [t.db, t.table],
      );
      o.progress.rowsTotal += Number((est as { n: number }[])[0]?.n ?? 0);
    }
    const tsMs = Date.now();
    let rows = 0;
    for (let ti = 0; ti < o.tables.length; ti++) {
      const t = o.tables[ti];
      o.progress.table = `${t.db}.${t.table}`;
      const topic = topicOf(o.ctx.prefix, t.db, t.table);
      const held = o.existing.get(topic) ?? new Map<string, string>();
      const order = t.key.length > 0 ? ` ORDER BY ${t.key.map((k) => `\`${k}\``).join(', ')}` : '';
      const raw = (conn as unknown as { connection: { query(sql: string): { stream(o: object): unknown } } })
        .connection;
      const stream = raw.query(`SELECT * FROM \`${t.db}\`.\`${t.table}\`${order}`).stream({ highWaterMark: 500 });
      let i = 0;
      for await (const row of stream as AsyncIterable<Record<string, unknown>>) {
        const last = ti === o.tables.length - 1 ? 'last' : 'true';
        const [m] = encodeChange(
          o.ctx,
          t,
          'r',
          undefined,
          row,
          { tsMs, snapshot: last, position, row: i },
          `snap:${t.db}.${t.table}:${i}`,
        );
        const hash = afterHash(m.value);
        const key = m.key ?? '';
        const before = held.get(key);
        held.delete(key);
        i++;
        rows++;
        o.progress.rowsDone++;
        if (m.key !== null && before === hash) continue; // already in the topic with these values
        o.publisher.push(m, { [HEADER_ID]: m.id });
        await o.publisher.waitBelow(10_000);
      }
      // keys the topic holds that the table no longer has: deleted while nobody was reading the binlog
      let d = 0;
      for (const key of held.keys()) {
        const tomb = encodeTombstone(o.ctx, t, key, `snap:${t.db}.${t.table}:gone:${d++}`);
        o.publisher.push(tomb, { [HEADER_ID]: tomb.id });
      }
    }
    await conn.query('COMMIT');
    o.progress.state = 'done';
    return { position, rows };
  } finally {
    await conn.end().catch(() => {});
  }
}
