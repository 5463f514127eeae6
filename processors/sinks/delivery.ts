/**
 * Delivery of the outbox (docs/processor.md): each committed batch goes to the lake, to MySQL and to Kafka
 * (anomalies, valuations, dead letters), each sink tracked by its own flag in `outbox`, so that a MySQL outage
 * never holds the lake back. Every write is idempotent: lake files are named after the batch id / offset range
 * (a re-delivery overwrites), MySQL rows are upserted by their natural key, Kafka messages are keyed (consumers
 * keep the last per key). A batch leaves the outbox when every sink has it.
 *
 * MySQL may be delivered concurrently with the lake and Kafka (the processor runs it in the background, so a slow or
 * frozen server never stalls the lake); the outbox's flags, MySQL's retry loop and the cleanup are shared with the
 * keyed tables' delivery (outbox-delivery.ts). Rows MySQL refuses for their data go to the dead-letter topic with
 * the reason (mysql-sink.ts).
 */

import type { DuckDBConnection } from '../../core/duckdb.js';
import type { Logger } from '../../core/log.js';
import { writeLakeFile } from '../../lake/writer.js';
import { crashPoint } from '../crash-points.js';
import { encodeClose, encodeMark } from '../valuations/closes.js';
import type { RefusedRow } from './mysql-sink.js';
import { OutboxDelivery } from './outbox-delivery.js';

/** The MySQL sink as delivery uses it (processors/sinks/mysql-sink.ts): each call resolves with the refused rows. */
export interface MysqlTarget {
  upsertBars(rows: Record<string, unknown>[]): Promise<RefusedRow[] | undefined>;
  upsertAnomalies(rows: Record<string, unknown>[]): Promise<RefusedRow[] | undefined>;
  upsertValuations(rows: Record<string, unknown>[]): Promise<RefusedRow[] | undefined>;
}

export interface OutMessage {
  key: string | null;
  value: string | null;
  headers?: Record<string, string>;
}

/** Kafka producer as delivery uses it. */
export interface Publisher {
  send(topic: string, messages: OutMessage[]): Promise<void>;
}

export interface DeliveryOptions {
  conn: DuckDBConnection;
  lakeDir: string;
  mysql?: MysqlTarget;
  publisher?: Publisher;
  /** `closes`: where the closes and watermark marks go (only when the core records them, `publishCloses`). */
  topics?: { anomalies: string; valuations: string; dlq: string; closes?: string };
  log: Logger;
  clock?: () => number;
  /** Lake file names are `<filePrefix><batch>.parquet` (default `b`; the valuation stage's are `v`). */
  filePrefix?: string;
}

const RESULT_TABLES = ['bars', 'anomalies', 'valuations'] as const;
const LAKE_ONLY = ['late_ticks'] as const;

/** Columns read back for MySQL and Kafka: timestamps as epoch milliseconds. */
const ROW_SELECT: Record<(typeof RESULT_TABLES)[number], string> = {
  bars: `symbol, "window", epoch_ms(window_start) AS window_start, epoch_ms(window_end) AS window_end, open, high,
    low, close, volume, notional, vwap, trades, trade_rate, volatility, log_return`,
  anomalies: `symbol, epoch_ms(ts) AS ts, kind, severity, "window", value, threshold, price, kafka_partition,
    kafka_offset`,
  valuations: `portfolio_id, investor_id, "window", epoch_ms(as_of) AS as_of, nav, change, change_pct, positions,
    missing_prices`,
};

/** The natural key of a result row in MySQL, as a dead letter's key. */
const MYSQL_KEYS: Record<string, string[]> = {
  bars: ['symbol', 'window', 'window_start'],
  anomalies: ['symbol', 'kind', 'window', 'ts'],
  portfolio_valuations: ['portfolio_id', 'window', 'as_of'],
};

export class Delivery extends OutboxDelivery {
  /**
   * `mysqlRefused`: result rows MySQL refused for their data, dead-lettered instead. `deadLetters`: messages published
   * to the dead-letter topic (rejected ticks and MySQL's refused rows alike).
   */
  readonly counts = {
    lakeFiles: 0,
    mysqlBatches: 0,
    kafkaBatches: 0,
    mysqlFailures: 0,
    mysqlRefused: 0,
    deadLetters: 0,
  };

  constructor(private readonly opts: DeliveryOptions) {
    super(opts.conn, opts.log, opts.clock);
  }

  protected get hasMysql(): boolean {
    return this.opts.mysql !== undefined;
  }

  protected get mysqlChunk(): number {
    return 50;
  }

  protected outboxTables(): string[] {
    return [...RESULT_TABLES, 'rejected', 'closes', 'marks'].map((t) => `ob_${t}`);
  }

  /** Committed batches still in the outbox (some sink has not received them). */
  outboxDepth(): Promise<number> {
    return this.withConn(async () => {
      const r = await this.conn.runAndReadAll('SELECT count(*) FROM outbox');
      return Number(r.getRows()[0][0]);
    });
  }

  /** Writes every undelivered batch to the lake. Returns the files written. */
  deliverLake(): Promise<number> {
    return this.withConn(() => this.lakeOnce());
  }

  private async lakeOnce(): Promise<number> {
    const batches = await this.pending('lake_done');
    if (batches.length === 0) return 0;
    const list = batches.join(', ');
    let files = 0;
    const groups = await this.conn.runAndReadAll(`
      SELECT 'late_ticks' AS t, batch_id, strftime(date, '%Y-%m-%d') AS d, NULL AS w
        FROM ob_late_ticks WHERE batch_id IN (${list}) GROUP BY ALL
      UNION ALL SELECT 'rejected', batch_id, strftime(date, '%Y-%m-%d'), NULL
        FROM ob_rejected WHERE batch_id IN (${list}) GROUP BY ALL
      UNION ALL SELECT 'bars', batch_id, strftime(date, '%Y-%m-%d'), "window"
        FROM ob_bars WHERE batch_id IN (${list}) GROUP BY ALL
      UNION ALL SELECT 'anomalies', batch_id, strftime(date, '%Y-%m-%d'), NULL
        FROM ob_anomalies WHERE batch_id IN (${list}) GROUP BY ALL
      UNION ALL SELECT 'valuations', batch_id, strftime(date, '%Y-%m-%d'), NULL
        FROM ob_valuations WHERE batch_id IN (${list}) GROUP BY ALL
      ORDER BY 2, 1, 3, 4`);
    for (const [t, b, d, w] of groups.getRowsJS()) {
      const table = String(t);
      const partition: Record<string, string> =
        w === null ? { date: String(d) } : { window: String(w), date: String(d) };
      let where = `batch_id = ${Number(b)} AND date = '${String(d)}'::DATE`;
      const fileName = `${this.opts.filePrefix ?? 'b'}${Number(b)}.parquet`;
      if (w !== null) where += ` AND "window" = $w`;
      await writeLakeFile(this.conn, {
        lakeDir: this.opts.lakeDir,
        table,
        partition,
        fileName,
        query: `SELECT * FROM ob_${table} WHERE ${where}`,
        params: w === null ? undefined : { w: String(w) },
      });
      files++;
      crashPoint('mid-delivery');
    }
    await this.mark(
      'lake_done',
      batches,
      LAKE_ONLY.map((t) => `ob_${t}`),
    );
    crashPoint('after-lake');
    this.counts.lakeFiles += files;
    return files;
  }

  private async rows(table: (typeof RESULT_TABLES)[number], batches: number[]): Promise<Record<string, unknown>[]> {
    const r = await this.conn.runAndReadAll(
      `SELECT ${ROW_SELECT[table]} FROM ob_${table} WHERE batch_id IN (${batches.join(', ')})`,
    );
    return r.getRowObjectsJS().map(plain);
  }

  /** Upserts the batches' bars, anomalies and valuations (MySQL's upserts are idempotent by natural key). */
  protected async writeMysql(batches: number[]): Promise<void> {
    const mysql = this.opts.mysql as MysqlTarget;
    // read under the connection's turn, write MySQL without holding it
    const [bars, anomalies, valuations] = await this.withConn(async () => [
      await this.rows('bars', batches),
      await this.rows('anomalies', batches),
      await this.rows('valuations', batches),
    ]);
    const refused = [
      ...((await mysql.upsertBars(bars)) ?? []),
      ...((await mysql.upsertAnomalies(anomalies)) ?? []),
      ...((await mysql.upsertValuations(valuations)) ?? []),
    ];
    if (refused.length > 0) await this.deadLetter(refused);
  }

  /**
   * Rows MySQL refused, to the dead-letter topic: key = the row's MySQL key, value = the row as JSON, headers
   * `reason` (MySQL's), `sink` = mysql and `source-table`. The lake has them (it is delivered first).
   */
  private async deadLetter(refused: RefusedRow[]): Promise<void> {
    this.counts.mysqlRefused += refused.length;
    const { publisher, topics } = this.opts;
    if (!publisher || !topics) return;
    await publisher.send(
      topics.dlq,
      refused.map((r) => ({
        key: (MYSQL_KEYS[r.table] ?? []).map((k) => String(r.row[k] ?? '')).join('|'),
        value: JSON.stringify(r.row),
        headers: { reason: r.reason, sink: 'mysql', 'source-table': r.table },
      })),
    );
    this.counts.deadLetters += refused.length;
  }

  /** Publishes anomalies, valuations and dead letters of every batch Kafka has not received. */
  deliverKafka(): Promise<void> {
    return this.withConn(() => this.kafkaOnce());
  }

  private async kafkaOnce(): Promise<void> {
    const batches = await this.pending('kafka_done');
    if (batches.length === 0) return;
    const { publisher, topics } = this.opts;
    if (publisher && topics) {
      const anomalies = await this.rows('anomalies', batches);
      if (anomalies.length) {
        await publisher.send(
          topics.anomalies,
          anomalies.map((a) => ({ key: String(a.symbol), value: JSON.stringify(a) })),
        );
      }
      const valuations = await this.rows('valuations', batches);
      if (valuations.length) {
        await publisher.send(
          topics.valuations,
          valuations.map((v) => ({ key: String(v.portfolio_id), value: JSON.stringify(v) })),
        );
      }
      const dlq = (await this.deadLetters(batches)).map((d) => d.message);
      if (dlq.length) await publisher.send(topics.dlq, dlq);
      this.counts.deadLetters += dlq.length;
      if (topics.closes) await this.sendCloses(publisher, topics.closes, batches);
    }
    await this.mark('kafka_done', batches, ['ob_closes', 'ob_marks']);
    this.counts.kafkaBatches += batches.length;
  }

  /**
   * The batches' closes, then their watermark marks, in batch order, to the closes topic (processors/valuations/
   * closes.ts): a partition's mark follows every close it covers. At least once, keyed: the stage takes each once.
   */
  private async sendCloses(publisher: Publisher, topic: string, batches: number[]): Promise<void> {
    const out: OutMessage[] = [];
    for (const b of batches) {
      const closes = await this.conn.runAndReadAll(`SELECT symbol, "window", epoch_ms(window_end)::BIGINT, close
        FROM ob_closes WHERE batch_id = ${b} ORDER BY window_end, symbol, "window"`);
      for (const [symbol, window, end, close] of closes.getRowsJS()) {
        out.push(
          encodeClose({
            symbol: String(symbol),
            window: String(window),
            window_end: Number(end),
            close: Number(close),
          }),
        );
      }
      const marks = await this.conn.runAndReadAll(`SELECT kafka_partition, partitions, watermark, idle FROM ob_marks
        WHERE batch_id = ${b} ORDER BY kafka_partition`);
      for (const [p, n, w, idle] of marks.getRowsJS()) {
        out.push(
          encodeMark({ partition: Number(p), partitions: Number(n), watermark: Number(w), idle: idle === true }),
        );
      }
    }
    if (out.length) await publisher.send(topic, out);
  }
}

function plain(row: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(row)) out[k] = typeof v === 'bigint' ? Number(v) : v;
  return out;
}
