/**
 * What change data capture needs from a binlog client, kept small so the library behind it (today
 * @vlasky/zongji, zongji-reader.ts) can be replaced: decoded row changes with their exact positions, transaction
 * ends, schema statements, and flow control.
 *
 * Row values arrive decoded but exact: integers beyond 2^53 and DECIMALs as strings, DATETIME as
 * `YYYY-MM-DD hh:mm:ss[.ffffff]` text as stored, TIMESTAMP as UTC text, JSON as text, BLOBs as Buffers.
 */
import type { BinlogPosition } from './binlog-position.js';

/** One column as the binlog's table map describes it at the time of the event. */
export interface BinlogColumn {
  name: string;
  /** MySQL type code (MYSQL_TYPE_*), after resolving the real type of STRING columns (ENUM/SET). */
  typeCode: number;
  /** Approximate column type text: `decimal(20,4)`, `datetime`, `varchar`, `enum('a','b')`… */
  columnType: string;
  unsigned: boolean;
  /** Character set; null for binary columns. */
  charset: string | null;
  /** DECIMAL precision and scale, fractional seconds of temporal types. */
  precision?: number;
  scale?: number;
  fsp?: number;
  /** BIT width. */
  bits?: number;
  enumValues?: string[];
  setValues?: string[];
}

/** The layout of one table at the time of one event. */
export interface BinlogTable {
  db: string;
  table: string;
  columns: BinlogColumn[];
  /** Indexes of the primary key columns; empty when the binlog does not say (binlog_row_metadata=FULL does). */
  primaryKey: number[];
}

export type Row = Record<string, unknown>;

export interface RowsChange {
  kind: 'rows';
  op: 'c' | 'u' | 'd';
  table: BinlogTable;
  /** For c: after only; d: before only; u: both. */
  rows: { before?: Row; after?: Row }[];
  /** Start of this rows event (the `pos` of Debezium's source block). */
  position: BinlogPosition;
  /** Commit time in the source database, epoch ms (the binlog event header's second). */
  tsMs: number;
  gtid?: string;
}

/** A transaction's commit (or a statement outside one, such as DDL): resuming at `next` replays nothing of it. */
export interface CommitMark {
  kind: 'commit';
  next: BinlogPosition;
  gtid?: string;
  tsMs: number;
}

/** A statement event (DDL): `ALTER TABLE`, `CREATE TABLE`, `RENAME`… */
export interface SchemaStatement {
  kind: 'ddl';
  db: string;
  sql: string;
  next: BinlogPosition;
  gtid?: string;
  tsMs: number;
}

/** Sent when the reader has delivered everything the server had written so far (nothing new for a moment). */
export interface IdleMark {
  kind: 'idle';
}

export type BinlogEvent = RowsChange | CommitMark | SchemaStatement | IdleMark;

export interface BinlogReaderOptions {
  /** mysql://user:pass@host:port/db */
  url: string;
  serverId: number;
  from: BinlogPosition;
  /** Only these tables' row changes are delivered (all statements and commits are). */
  tables: { db: string; table: string }[];
  onEvent(e: BinlogEvent): void;
  /** Fatal reader errors (connection lost, purged binlog, decoding failure). */
  onError(e: Error): void;
}

export interface BinlogReader {
  start(opts: BinlogReaderOptions): Promise<void>;
  /** Stop reading from the socket (backpressure); events already decoded may still arrive. */
  pause(): void;
  resume(): void;
  stop(): Promise<void>;
}
