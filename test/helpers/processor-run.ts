/**
 * Test helpers around a real processor run: produce a message log to the embedded broker with kafkajs, read
 * the MySQL result tables back (a second client, test/helpers/mysql.ts) into DuckDB tables for comparison with
 * the lake, read a topic back with its headers, and run the `ticklake` CLI as a child process with a time limit.
 */
import { spawn } from 'node:child_process';
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
    // bit for bit: the tests compare these rows with the lake's without a tolerance
    const rows = await queryMysql(url, `SELECT * FROM \`${src}\``, [], { exact: true });
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

const BIN = new URL('../../cli/bin.js', import.meta.url).pathname;

export interface CliRun {
  /** Exit code; null when it was killed (signal set). */
  code: number | null;
  signal: string | null;
  stderr: string;
  /** Wall time from spawn to exit, ms. */
  ms: number;
  /**
   * Wall time from the moment it printed its error (`ticklake <cmd>: ... [TL_CODE]`) to its exit, ms; undefined when
   * it printed none (or did not exit).
   */
  afterErrorMs?: number;
}

/**
 * Runs `ticklake <args>` as a child process. It is killed with SIGKILL after `limitMs` (then `signal` says so), so a
 * process that does not exit cannot hang the test.
 */
export function runTicklake(args: string[], env: Record<string, string> = {}, limitMs = 90_000): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const t0 = Date.now();
    const child = spawn(process.execPath, [BIN, ...args], {
      env: { ...process.env, TICKLAKE_LOG_LEVEL: 'warn', ...env },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    let errorAt: number | undefined;
    child.stderr.on('data', (d) => {
      stderr += String(d);
      if (errorAt === undefined && /^ticklake \w+: .*\[TL_[A-Z_]+\]\s*$/m.test(stderr)) errorAt = Date.now();
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), limitMs);
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      const now = Date.now();
      const afterErrorMs = errorAt === undefined || signal !== null ? undefined : now - errorAt;
      resolve({ code, signal, stderr, ms: now - t0, afterErrorMs });
    });
  });
}

/** Every message of `topic`, partition by partition from offset 0, with its headers as text (a second client). */
export async function readTopic(
  brokers: string[],
  topic: string,
): Promise<
  { partition: number; offset: number; key: string | null; value: string | null; headers: Record<string, string> }[]
> {
  const kafka = new Kafka({ clientId: 'test-reader', brokers, logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  const highs = await admin.fetchTopicOffsets(topic);
  await admin.disconnect();
  const want = highs.reduce((n, h) => n + Number(h.high), 0);
  const out: Awaited<ReturnType<typeof readTopic>> = [];
  if (want === 0) return out;
  const consumer = kafka.consumer({ groupId: `reader-${topic}-${Date.now()}`, maxWaitTimeInMs: 100 });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await new Promise<void>((resolve, reject) => {
    consumer
      .run({
        eachMessage: async ({ partition, message }) => {
          const headers: Record<string, string> = {};
          for (const [k, v] of Object.entries(message.headers ?? {})) headers[k] = String(v);
          out.push({
            partition,
            offset: Number(message.offset),
            key: message.key === null ? null : message.key.toString('utf8'),
            value: message.value === null ? null : message.value.toString('utf8'),
            headers,
          });
          if (out.length >= want) resolve();
        },
      })
      .catch(reject);
  });
  await consumer.disconnect();
  return out.sort((a, b) => a.partition - b.partition || a.offset - b.offset);
}
