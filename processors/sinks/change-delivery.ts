/**
 * Delivery of the keyed-table engine's outbox (processors/tables/state.ts): each committed batch goes to the lake, to
 * Kafka and to MySQL, each sink tracked by its own flag in `outbox`, as for the tick engine (delivery.ts):
 *
 * - lake: per table with changes in the batch, `<lake>/<table>/changes/b<batch>.parquet` (lake/changelog.ts);
 *   rejected messages to the `rejected` table, `t<batch>.parquet` per date; re-delivery overwrites;
 * - Kafka: every rejected message to `<its topic>.dlq` (as it came, the reason in a header), and the changes of
 *   jobs that name a `topic` (plain format: key = the key as JSON, value = the row, a tombstone for a delete);
 * - MySQL: per table, the net change per key of the pending batches (mysql-keyed.ts), upserts guarded by `_lsn`.
 *
 * A MySQL outage never holds the lake back (mysql-outage.ts). A batch leaves the outbox when every sink has it. The
 * outbox's flags, MySQL's retry loop and the cleanup are shared with the tick engine's delivery (outbox-delivery.ts).
 */
import type { DuckDBConnection } from '../../core/duckdb.js';
import type { Logger } from '../../core/log.js';
import { type ChangelogTable, writeChangeFile } from '../../lake/changelog.js';
import { sqlIdent } from '../../lake/sql-quote.js';
import { writeLakeFile } from '../../lake/writer.js';
import { crashPoint } from '../crash-points.js';
import type { OutMessage, Publisher } from './delivery.js';
import { type KeyedMysql, mysqlValueSql } from './mysql-keyed.js';
import { OutboxDelivery } from './outbox-delivery.js';

const q = sqlIdent;

/** A table the outbox may hold changes of. */
export interface DeliveredTable extends ChangelogTable {
  /** Its outbox table, e.g. `ob."products"`. */
  outbox: string;
  /** Written to MySQL. */
  mysql: boolean;
  /** Its changes are published to this topic. */
  topic?: string;
}

export interface ChangeDeliveryOptions {
  conn: DuckDBConnection;
  lakeDir: string;
  tables: readonly DeliveredTable[];
  mysql?: KeyedMysql;
  publisher?: Publisher;
  log: Logger;
  clock?: () => number;
  /** Batches per MySQL round (default 50). */
  mysqlChunk?: number;
}

export class ChangeDelivery extends OutboxDelivery {
  readonly counts = { lakeFiles: 0, mysqlBatches: 0, kafkaBatches: 0, mysqlFailures: 0 };

  /** The tables delivered: `opts.tables`, and those the engine started since (`addTables`). */
  private readonly tables: DeliveredTable[];

  constructor(private readonly opts: ChangeDeliveryOptions) {
    super(opts.conn, opts.log, opts.clock);
    this.tables = [...opts.tables];
  }

  /** Delivers these tables too from now on (the keyed-table engine started them: processors/tables/startup.ts). */
  addTables(tables: readonly DeliveredTable[]): void {
    for (const t of tables) if (!this.tables.some((x) => x.name === t.name)) this.tables.push(t);
  }

  protected get hasMysql(): boolean {
    return this.opts.mysql !== undefined;
  }

  protected get mysqlChunk(): number {
    return this.opts.mysqlChunk ?? 50;
  }

  protected outboxTables(): string[] {
    return [...this.tables.map((t) => t.outbox), 'ob_rejected'];
  }

  /** Writes every undelivered batch to the lake, batch by batch. Returns the files written. */
  async deliverLake(): Promise<number> {
    let files = 0;
    for (const b of await this.pending('lake_done')) {
      for (const t of this.tables) {
        const has = await this.conn.runAndReadAll(`SELECT 1 FROM ${t.outbox} WHERE batch_id = ${b} LIMIT 1`);
        if (has.getRowsJS().length === 0) continue;
        await writeChangeFile(
          this.conn,
          this.opts.lakeDir,
          t,
          `b${b}.parquet`,
          `SELECT * FROM ${t.outbox} WHERE batch_id = ${b}`,
        );
        files++;
        crashPoint('tables-mid-delivery');
      }
      const dates = await this.conn.runAndReadAll(
        `SELECT DISTINCT strftime(date, '%Y-%m-%d') FROM ob_rejected WHERE batch_id = ${b}`,
      );
      for (const [d] of dates.getRowsJS()) {
        await writeLakeFile(this.conn, {
          lakeDir: this.opts.lakeDir,
          table: 'rejected',
          partition: { date: String(d) },
          fileName: `t${b}.parquet`,
          query: `SELECT * FROM ob_rejected WHERE batch_id = ${b} AND date = '${String(d)}'::DATE`,
        });
        files++;
      }
      await this.mark('lake_done', [b]);
      crashPoint('tables-after-lake');
    }
    this.counts.lakeFiles += files;
    return files;
  }

  /** Publishes the dead letters and the jobs' topics of every batch Kafka has not received. */
  async deliverKafka(): Promise<void> {
    const batches = await this.pending('kafka_done');
    if (batches.length === 0) return;
    const { publisher } = this.opts;
    const list = batches.join(', ');
    if (publisher) {
      const byTopic = new Map<string, OutMessage[]>();
      for (const { topic, message } of await this.deadLetters(batches)) {
        const dlq = `${topic}.dlq`;
        const msgs = byTopic.get(dlq) ?? [];
        byTopic.set(dlq, msgs);
        msgs.push(message);
      }
      for (const t of this.tables) {
        if (!t.topic) continue;
        const keyJson = `to_json(struct_pack(${t.key.map((k) => `${q(k)} := ${q(k)}`).join(', ')}))::VARCHAR`;
        const rowJson = `to_json(struct_pack(${t.columns.map((c) => `${q(c.name)} := ${q(c.name)}`).join(', ')}))::VARCHAR`;
        const r = await this.conn.runAndReadAll(
          `SELECT ${t.key.length ? keyJson : 'NULL'}, CASE WHEN _op = 'd' THEN NULL ELSE ${rowJson} END
           FROM ${t.outbox} WHERE batch_id IN (${list}) ORDER BY _lsn`,
        );
        const msgs = byTopic.get(t.topic) ?? [];
        byTopic.set(t.topic, msgs);
        for (const [k, v] of r.getRowsJS())
          msgs.push({ key: k === null ? null : String(k), value: v === null ? null : String(v) });
      }
      for (const [topic, msgs] of byTopic) if (msgs.length) await publisher.send(topic, msgs);
    }
    await this.mark('kafka_done', batches);
    this.counts.kafkaBatches += batches.length;
  }

  /** Applies the batches to MySQL: per table, the net change per key (the last by `_lsn`), guarded by `_lsn`. */
  protected async writeMysql(batches: number[]): Promise<void> {
    const mysql = this.opts.mysql as KeyedMysql;
    for (const t of this.tables) {
      if (!t.mysql) continue;
      const vals = t.columns.map((c) => mysqlValueSql(c)).join(', ');
      const last = t.key.length
        ? `QUALIFY row_number() OVER (PARTITION BY ${t.key.map(q).join(', ')} ORDER BY _lsn DESC) = 1`
        : '';
      const r = await this.withConn(() =>
        this.conn.runAndReadAll(`SELECT ${vals}, _op, CAST(_lsn AS VARCHAR) AS _lsn,
          strftime(_ts, '%Y-%m-%d %H:%M:%S.%f') AS _ts
        FROM ${t.outbox} WHERE batch_id IN (${batches.join(', ')}) ${last}`),
      );
      await mysql.apply(t, r.getRowObjectsJS());
    }
  }
}
