/**
 * BinlogReader over @vlasky/zongji (MySQL 5.7/8.x and MariaDB binlogs, mysql2 underneath). zongji is configured for
 * exact values: dateStrings (DATETIME as stored, no time-zone arithmetic), timezone 'Z' (TIMESTAMP, stored as epoch
 * seconds, printed in UTC), big numbers and DECIMALs as strings.
 *
 * Positions: an event's start is `nextPosition - size` in the file zongji is reading (it follows rotations). A
 * transaction ends at its XID event (or, for DDL, its query event); resuming at the end's `nextPosition` replays
 * nothing of it.
 */
import ZongJi from '@vlasky/zongji';
import type { BinlogPosition } from './binlog-position.js';
import type { BinlogColumn, BinlogReader, BinlogReaderOptions, BinlogTable } from './binlog-reader.js';

// biome-ignore lint/suspicious/noExplicitAny: zongji's events are loosely typed
type AnyEvent = any;

const ROW_EVENTS = new Set(['writerows', 'updaterows', 'deleterows']);
/** How long without an event before the reader reports `idle`. */
const IDLE_MS = 200;

export function connectionOptions(url: string) {
  const u = new URL(url);
  return {
    host: u.hostname,
    port: Number(u.port || 3306),
    user: decodeURIComponent(u.username),
    password: decodeURIComponent(u.password),
    dateStrings: true,
    timezone: 'Z',
    supportBigNumbers: true,
    bigNumberStrings: true,
    decimalNumbers: false,
    jsonStrings: true,
  };
}

function describeColumns(entry: AnyEvent): BinlogColumn[] {
  const schemas: AnyEvent[] = entry.columnSchemas ?? [];
  const columns: AnyEvent[] = entry.columns ?? [];
  return columns.map((c, i) => {
    const s = schemas[i] ?? {};
    const md = c.metadata ?? {};
    const columnType = String(s.COLUMN_TYPE ?? '').toLowerCase();
    return {
      name: c.name,
      typeCode: c.type,
      columnType,
      unsigned: s.UNSIGNED === true || /unsigned/.test(columnType),
      charset: c.charset ?? s.CHARACTER_SET_NAME ?? null,
      precision: md.precision,
      scale: md.decimals,
      fsp: md.decimals,
      bits: md.bits,
      enumValues: s.ENUM_VALUES,
      setValues: s.SET_VALUES,
    };
  });
}

export class ZongjiReader implements BinlogReader {
  private zongji: AnyEvent;
  private idleTimer: NodeJS.Timeout | undefined;
  private pendingIdle = false;
  private tables = new Map<number, BinlogTable>();

  async start(opts: BinlogReaderOptions): Promise<void> {
    const z = new ZongJi(connectionOptions(opts.url) as never);
    this.zongji = z;
    const includeSchema: Record<string, string[]> = {};
    for (const t of opts.tables) includeSchema[t.db] = [...(includeSchema[t.db] ?? []), t.table];
    const wanted = new Set(opts.tables.map((t) => `${t.db}.${t.table}`));

    const current = (e: AnyEvent): BinlogPosition => ({
      file: String(z.options.filename),
      pos: e.nextPosition - e.size,
    });
    const next = (e: AnyEvent): BinlogPosition => ({ file: String(z.options.filename), pos: e.nextPosition });

    const armIdle = () => {
      if (this.idleTimer) clearTimeout(this.idleTimer);
      this.pendingIdle = true;
      this.idleTimer = setTimeout(() => {
        if (this.pendingIdle) {
          this.pendingIdle = false;
          opts.onEvent({ kind: 'idle' });
        }
      }, IDLE_MS);
    };

    z.on('binlog', (e: AnyEvent) => {
      const name = e.getEventName();
      const tsMs = e.timestamp;
      if (name === 'tablemap') {
        const entry = e.tableMap[e.tableId];
        this.tables.set(e.tableId, {
          db: e.schemaName,
          table: e.tableName,
          columns: describeColumns(entry),
          primaryKey: e.primaryKey ?? [],
        });
      } else if (ROW_EVENTS.has(name)) {
        const table = this.tables.get(e.tableId);
        if (table && wanted.has(`${table.db}.${table.table}`)) {
          const op = name === 'writerows' ? 'c' : name === 'updaterows' ? 'u' : 'd';
          const rows = (e.rows as AnyEvent[]).map((r) =>
            op === 'c' ? { after: r } : op === 'd' ? { before: r } : { before: r.before, after: r.after },
          );
          opts.onEvent({
            kind: 'rows',
            op,
            table,
            rows,
            position: current(e),
            tsMs,
            gtid: e.gtid,
          });
        }
      } else if (name === 'xid') {
        opts.onEvent({ kind: 'commit', next: next(e), gtid: e.gtid, tsMs });
      } else if (name === 'query') {
        const sql = String(e.query ?? '').trim();
        if (/^(BEGIN|COMMIT)$/i.test(sql)) {
          if (/^COMMIT$/i.test(sql)) opts.onEvent({ kind: 'commit', next: next(e), gtid: e.gtid, tsMs });
        } else {
          opts.onEvent({ kind: 'ddl', db: e.schema, sql, next: next(e), gtid: e.gtid, tsMs });
        }
      }
      armIdle();
    });
    z.on('error', (err: Error) => opts.onError(err));

    await new Promise<void>((resolve, reject) => {
      const onErr = (err: Error) => reject(err);
      z.once('error', onErr);
      z.once('ready', () => {
        z.removeListener('error', onErr);
        armIdle();
        resolve();
      });
      z.start({
        serverId: opts.serverId,
        filename: opts.from.file,
        position: opts.from.pos,
        includeEvents: ['tablemap', 'writerows', 'updaterows', 'deleterows', 'xid', 'query', 'rotate'],
        includeSchema,
      });
    });
  }

  pause(): void {
    this.zongji?.connection?.pause();
  }

  resume(): void {
    this.zongji?.connection?.resume();
  }

  async stop(): Promise<void> {
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.pendingIdle = false;
    const z = this.zongji;
    if (!z) return;
    this.zongji = undefined;
    await new Promise<void>((resolve) => {
      const t = setTimeout(resolve, 2000);
      z.once('stopped', () => {
        clearTimeout(t);
        resolve();
      });
      z.stop();
    });
  }
}
