/**
 * What the two outbox deliveries share (delivery.ts for the tick engine, change-delivery.ts for the keyed tables):
 * the outbox has one row per committed batch with a done flag per sink (`lake_done`, `mysql_done`, `kafka_done`)
 * and `ob_*` tables with the batch's rows; each sink is delivered from the batches whose flag is not set, then the
 * flag is set; a batch leaves the outbox (`cleanup`) when every sink has it. Subclasses say how a batch goes to the
 * lake, to Kafka and to MySQL, and which `ob_*` tables hold its rows.
 *
 * MySQL's loop is here: the batches MySQL has not received, in chunks, each written then marked done; a retriable
 * failure (the server down or not answering) is an outage (mysql-outage.ts: logged once, retried after a growing
 * backoff) while the lake and Kafka go on; any other failure is thrown. One MySQL delivery runs at a time: the tick
 * engine runs it in the background (mysql-lane.ts) beside the lake and Kafka, so the outbox connection is used by
 * one of them at a time (`withConn`), and MySQL is called between those turns, holding no lock.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { DuckDBConnection } from '../../core/duckdb.js';
import type { Logger } from '../../core/log.js';
import type { OutMessage } from './delivery.js';
import { MysqlOutage } from './mysql-outage.js';

export type OutboxFlag = 'lake_done' | 'mysql_done' | 'kafka_done';

/** The counts every outbox delivery keeps (subclasses add their own). */
export interface OutboxCounts {
  lakeFiles: number;
  mysqlBatches: number;
  kafkaBatches: number;
  mysqlFailures: number;
}

export abstract class OutboxDelivery {
  abstract readonly counts: OutboxCounts;
  private readonly outage: MysqlOutage;
  /** The last use of the outbox connection queued (see `withConn`). */
  private connTurn: Promise<unknown> = Promise.resolve();
  /** The MySQL delivery in progress, if any: one at a time. */
  private mysqlRun: Promise<boolean> | undefined;

  protected constructor(
    protected conn: DuckDBConnection,
    log: Logger,
    clock: () => number = Date.now,
  ) {
    this.outage = new MysqlOutage(log, clock);
  }

  /**
   * Reads and writes the outbox through `conn` from now on: the state's instance was opened again
   * (processors/ticks/state-reopen.ts). Nothing of this delivery may be running.
   */
  useConnection(conn: DuckDBConnection): void {
    this.conn = conn;
  }

  /** Writes every undelivered batch to the lake. Returns the files written. */
  abstract deliverLake(): Promise<number>;
  /** Publishes what Kafka has not received. */
  abstract deliverKafka(): Promise<void>;
  /** True when there is a MySQL to deliver to (without one, `deliverMysql` only marks the batches delivered). */
  protected abstract get hasMysql(): boolean;
  /** Batches per MySQL round. */
  protected abstract get mysqlChunk(): number;
  /** Writes these batches to MySQL (reads of the outbox under `withConn`); throws on a failure. */
  protected abstract writeMysql(batches: number[]): Promise<void>;
  /** The tables holding a batch's rows, emptied of the batches every sink has (`cleanup`). */
  protected abstract outboxTables(): string[];

  /**
   * Runs `fn` when the outbox connection is free: the lake, Kafka and MySQL deliveries may overlap, and one DuckDB
   * connection runs one statement (and one transaction) at a time.
   */
  protected withConn<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.connTurn.then(fn);
    this.connTurn = run.catch(() => {});
    return run;
  }

  /** Batches whose `flag` is not set, in order. */
  protected async pending(flag: OutboxFlag): Promise<number[]> {
    const r = await this.conn.runAndReadAll(`SELECT batch_id FROM outbox WHERE NOT ${flag} ORDER BY batch_id`);
    return r.getRowsJS().map((x) => Number(x[0]));
  }

  /**
   * The rejected messages of these batches (`ob_rejected`) as dead letters: as they came, the reason and where they
   * came from in headers, with the topic they came from (their dead-letter topic is the caller's choice).
   */
  protected async deadLetters(batches: number[]): Promise<{ topic: string; message: OutMessage }[]> {
    const r = await this.conn.runAndReadAll(`SELECT kafka_topic, kafka_partition, kafka_offset, reason, key, value
      FROM ob_rejected WHERE batch_id IN (${batches.join(', ')})
      ORDER BY batch_id, kafka_topic, kafka_partition, kafka_offset`);
    return r.getRowsJS().map(([topic, p, o, reason, key, value]) => ({
      topic: String(topic),
      message: {
        key: key === null ? null : String(key),
        value: value === null ? null : String(value),
        headers: {
          reason: String(reason),
          'source-topic': String(topic),
          'source-partition': String(p),
          'source-offset': String(o),
        },
      },
    }));
  }

  /** Sets `flag` on these batches; with `alsoDelete`, empties those tables of them in the same transaction. */
  protected async mark(flag: OutboxFlag, batches: number[], alsoDelete: string[] = []): Promise<void> {
    if (batches.length === 0) return;
    const list = batches.join(', ');
    const update = `UPDATE outbox SET ${flag} = true WHERE batch_id IN (${list})`;
    if (alsoDelete.length === 0) return void (await this.conn.run(update));
    await this.inTransaction(async () => {
      await this.conn.run(update);
      for (const t of alsoDelete) await this.conn.run(`DELETE FROM ${t} WHERE batch_id IN (${list})`);
    });
  }

  private async inTransaction(fn: () => Promise<void>): Promise<void> {
    await this.conn.run('BEGIN TRANSACTION');
    try {
      await fn();
      await this.conn.run('COMMIT');
    } catch (e) {
      await this.conn.run('ROLLBACK').catch(() => {});
      throw e;
    }
  }

  get mysqlDown(): boolean {
    return this.outage.down;
  }

  /** Number of batches MySQL has not received yet. */
  async mysqlBacklog(): Promise<number> {
    if (!this.hasMysql) return 0;
    return (await this.withConn(() => this.pending('mysql_done'))).length;
  }

  /**
   * Delivers every batch MySQL has not received, chunk by chunk, each marked done once written. An outage is
   * retried after the backoff (a call meanwhile returns false at once, unless `force`); returns false while MySQL is
   * behind. A call while a delivery runs waits for it (and, with `force`, then tries again).
   */
  async deliverMysql(force = false): Promise<boolean> {
    if (this.mysqlRun) {
      const ok = await this.mysqlRun;
      if (!force) return ok;
    }
    while (this.mysqlRun) await this.mysqlRun.catch(() => {});
    const run = this.mysqlOnce(force);
    this.mysqlRun = run;
    try {
      return await run;
    } finally {
      if (this.mysqlRun === run) this.mysqlRun = undefined;
    }
  }

  private async mysqlOnce(force: boolean): Promise<boolean> {
    const batches = await this.withConn(() => this.pending('mysql_done'));
    if (!this.hasMysql) {
      await this.withConn(() => this.mark('mysql_done', batches));
      return true;
    }
    if (batches.length === 0) return true;
    if (!this.outage.mayTry(force)) return false;
    try {
      for (let i = 0; i < batches.length; i += this.mysqlChunk) {
        const chunk = batches.slice(i, i + this.mysqlChunk);
        await this.writeMysql(chunk);
        await this.withConn(() => this.mark('mysql_done', chunk));
        this.counts.mysqlBatches += chunk.length;
      }
    } catch (e) {
      this.outage.failed(e);
      this.counts.mysqlFailures++;
      return false;
    }
    this.outage.succeeded();
    return true;
  }

  /** Drops the batches every sink has. */
  cleanup(): Promise<void> {
    return this.withConn(() =>
      this.inTransaction(async () => {
        const done = 'SELECT batch_id FROM outbox WHERE lake_done AND mysql_done AND kafka_done';
        for (const t of this.outboxTables()) await this.conn.run(`DELETE FROM ${t} WHERE batch_id IN (${done})`);
        await this.conn.run('DELETE FROM outbox WHERE lake_done AND mysql_done AND kafka_done');
      }),
    );
  }

  /** Lake, then Kafka, then MySQL (which may be down), then cleanup. True when nothing is left behind. */
  async deliverAll(forceMysql = false): Promise<boolean> {
    await this.deliverLake();
    await this.deliverKafka();
    const ok = await this.deliverMysql(forceMysql);
    await this.cleanup();
    return ok;
  }

  /**
   * The end of a bounded run (`--until-idle`): everything committed is delivered before the processor stops, MySQL
   * included, however long it stays down. The first MySQL attempt is forced (a backoff left from the run must not
   * delay a server that is back); after that MySQL is tried on the outage's backoff, as during the run, `stopping`
   * polled every `pollMs`. The lake and Kafka are delivered once, at the start: nothing new arrives meanwhile. True
   * when nothing is left behind.
   */
  async drain(stopping: () => boolean, pollMs = 200): Promise<boolean> {
    if (await this.deliverAll(true)) return true;
    while (!stopping()) {
      await sleep(pollMs);
      if (await this.deliverMysql()) {
        await this.cleanup();
        return true;
      }
    }
    return false;
  }
}
