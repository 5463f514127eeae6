/**
 * Test helpers around a real processor run: produce a message log to the embedded broker with kafkajs, and read
 * the MySQL result tables back (a second client, test/helpers/mysql.ts) into DuckDB tables for comparison with
 * the lake.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import { Kafka, logLevel } from 'kafkajs';
import type { InMessage } from '../../processors/ticks/core.js';
import { queryMysql } from './mysql.js';

export async function produceAll(
  brokers: string[],
  topic: string,
  messages: InMessage[],
  numPartitions = 3,
): Promise<void> {
  const kafka = new Kafka({ clientId: 'test-producer', brokers, logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic, numPartitions }], waitForLeaders: true });
  await admin.disconnect();
  const producer = kafka.producer();
  await producer.connect();
  for (let i = 0; i < messages.length; i += 2000) {
    await producer.send({
      topic,
      acks: -1,
      messages: messages.slice(i, i + 2000).map((m) => ({
        partition: m.partition,
        key: m.key,
        value: m.value === null ? null : String(m.value),
      })),
    });
  }
  await producer.disconnect();
}

/** Copies MySQL's bars, anomalies and portfolio_valuations into DuckDB tables my_bars, my_anomalies, my_valuations. */
export async function loadMysqlTables(url: string, conn: DuckDBConnection, dir: string): Promise<void> {
  const tables: [string, string, string][] = [
    ['bars', 'my_bars', 'window_start, window_end'],
    ['anomalies', 'my_anomalies', 'ts'],
    ['portfolio_valuations', 'my_valuations', 'as_of'],
  ];
  for (const [src, dst, times] of tables) {
    const rows = await queryMysql(url, `SELECT * FROM \`${src}\``);
    const file = join(dir, `${dst}.ndjson`);
    await writeFile(file, rows.map((r) => JSON.stringify(r)).join('\n') + (rows.length ? '\n' : ''));
    const casts = times
      .split(', ')
      .map((c) => `CAST(${c} AS TIMESTAMP) AS ${c}`)
      .join(', ');
    await conn.run(
      rows.length
        ? `CREATE OR REPLACE TABLE ${dst} AS SELECT * REPLACE (${casts}) FROM read_json_auto('${file}')`
        : `CREATE OR REPLACE TABLE ${dst} AS SELECT 1 AS empty WHERE false`,
    );
  }
}
