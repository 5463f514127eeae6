/**
 * `ticklake cdc`: checks the server, snapshots (when there is no stored position and --snapshot allows it), then
 * streams the binlog from the stored or snapshot position, publishing Debezium change events until stopped.
 * docs/cdc.md describes the whole; each step lives in its own module of this folder.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import mysql from 'mysql2/promise';
import { tlError } from '../../core/errors.js';
import { Kafka, logLevel } from '../../core/kafkajs.js';
import { logger } from '../../core/log.js';
import { type BinlogPosition, formatBinlogPosition } from './binlog-position.js';
import type { BinlogEvent, BinlogReader, RowsChange } from './binlog-reader.js';
import { type EventContext, encodeChange, topicOf } from './debezium-event.js';
import { type CdcOffsets, OffsetStore } from './offset-store.js';
import { CdcPublisher, type Known } from './publisher.js';
import { binlogEnd, binlogFiles, checkServer, checkTablePrivileges } from './server-checks.js';
import { afterHash, HEADER_ID, runSnapshot, type SnapshotProgress } from './snapshot.js';
import { CdcStatus } from './status.js';
import { SchemaTracker, schemaFromBinlog, type TableSchema } from './table-schema.js';
import { headerText, readToEnd } from './topic-reader.js';
import { connectionOptions, ZongjiReader } from './zongji-reader.js';

const log = logger('cdc');

export interface CdcOptions {
  mysqlUrl: string;
  brokers: string[];
  tables: string[];
  snapshot: 'initial' | 'never' | 'only';
  topicPrefix: string;
  offsetsDir: string;
  serverId: number;
  schemas: boolean;
  /** Stop once the binlog had nothing new for this long (ms). */
  stopWhenIdleMs?: number;
  signal?: AbortSignal;
  reader?: () => BinlogReader;
}

export function cdcKafka(brokers: string[]): Kafka {
  const kl = logger('kafkajs');
  return new Kafka({
    clientId: 'ticklake-cdc',
    brokers,
    logLevel: logLevel.WARN,
    retry: { retries: 8, initialRetryTime: 100 },
    logCreator: () => (entry) => {
      const { message, ...rest } = entry.log;
      // the idempotent producer's retries are bounded on purpose: a restart recovers exactly (docs/cdc.md)
      if (/Limiting retries for the idempotent producer/.test(message)) return;
      if (entry.level <= logLevel.ERROR) kl.error(rest, message);
      else kl.warn(rest, message);
    },
  });
}

/** `db.t1,db.t2` → tables; no list: every base table of the URL's database. */
export async function resolveTables(conn: mysql.Connection, url: string, names: string[]) {
  if (names.length > 0) {
    return names.map((n) => {
      const [db, table, extra] = n.split('.');
      if (!db || !table || extra !== undefined) {
        throw tlError('TL_CONFIG_BAD_VALUE', {
          setting: '--tables',
          value: JSON.stringify(n),
          reason: 'expected db.table',
        });
      }
      return { db, table };
    });
  }
  const db = decodeURIComponent(new URL(url).pathname.slice(1));
  if (!db) throw tlError('TL_CONFIG_MISSING', { setting: '--tables (or a database in --mysql-url)' });
  const [rows] = await conn.query(
    "SELECT TABLE_NAME AS t FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_TYPE = 'BASE TABLE' ORDER BY TABLE_NAME",
    [db],
  );
  return (rows as { t: string }[]).map((r) => ({ db, table: r.t }));
}

export async function runCdc(o: CdcOptions): Promise<number> {
  const target = new URL(o.mysqlUrl).host;
  const conn = await mysql.createConnection({ ...connectionOptions(o.mysqlUrl) });
  const store = new OffsetStore(o.offsetsDir);
  const kafka = cdcKafka(o.brokers);
  let publisher: CdcPublisher | undefined;
  let reader: BinlogReader | undefined;
  const status = new CdcStatus(o.offsetsDir);
  try {
    const server = await checkServer(conn, target);
    const tables = await resolveTables(conn, o.mysqlUrl, o.tables);
    await checkTablePrivileges(conn, tables);
    const tracker = new SchemaTracker(conn, tables);
    const schemas = await tracker.loadAll();
    const ctx: EventContext = {
      prefix: o.topicPrefix,
      schemas: o.schemas,
      connector: server.mariadb ? 'mariadb' : 'mysql',
      serverId: server.serverId,
    };
    const topics = tables.map((t) => topicOf(o.topicPrefix, t.db, t.table));
    status.setTables(tables.map((t) => ({ name: `${t.db}.${t.table}`, topic: topicOf(o.topicPrefix, t.db, t.table) })));

    let offsets = await store.load();
    if (offsets && offsets.server !== server.identity) {
      throw tlError('TL_CDC_OFFSETS', {
        file: store.file,
        reason: `they were stored for server ${offsets.server}, this is server ${server.identity}`,
      });
    }
    const snapshotNow = o.snapshot === 'only' || (!offsets && o.snapshot === 'initial');
    if (offsets && !snapshotNow) await ensureNotPurged(conn, offsets, store.file);

    // what was published past the stored offsets (a crash between the broker's ack and the offsets file)
    const known = new Map<string, Known>();
    if (offsets && !snapshotNow) {
      await readToEnd(kafka, topics, offsets.partitions, (m) => {
        const id = headerText(m.headers, HEADER_ID);
        if (id) known.set(`${m.topic}|${id}`, { partition: m.partition, offset: m.offset });
      });
      if (known.size > 0)
        log.info(
          { messages: known.size },
          'found messages published after the stored offsets; not publishing them again',
        );
    }

    publisher = await CdcPublisher.connect(
      kafka,
      store,
      { server: server.identity, snapshot: offsets?.snapshot },
      snapshotNow ? undefined : offsets,
    );
    publisher.onCheckpoint = (c) => status.checkpoint(c);

    let from: BinlogPosition;
    if (snapshotNow) {
      const progress: SnapshotProgress = { state: 'running', rowsDone: 0, rowsTotal: 0, startedAt: Date.now() };
      status.snapshot = progress;
      const existing = await foldTopics(kafka, topics);
      const snap = await runSnapshot({
        url: o.mysqlUrl,
        mariadb: server.mariadb,
        tables: schemas,
        ctx,
        publisher,
        existing,
        progress,
      });
      publisher.snapshotInfo = { at: Date.now(), position: snap.position, rows: snap.rows };
      publisher.commit(snap.position);
      await publisher.drain();
      log.info({ rows: snap.rows, position: formatBinlogPosition(snap.position) }, 'snapshot done');
      if (o.snapshot === 'only') return 0;
      from = snap.position;
    } else if (offsets) {
      from = offsets.resume;
    } else {
      from = await binlogEnd(conn);
      publisher.commit(from);
      await publisher.drain();
    }
    offsets = await store.load();

    // streaming
    const bySig = new WeakMap<object, TableSchema>();
    const schemaOf = (c: RowsChange) => {
      let s = bySig.get(c.table);
      if (!s) {
        s = schemaFromBinlog(
          c.table,
          tracker.get(c.table.db, c.table.table) ??
            schemas.find((x) => x.db === c.table.db && x.table === c.table.table),
        );
        bySig.set(c.table, s);
      }
      return s;
    };
    let fatal: Error | undefined;
    let lastEventAt = Date.now();
    let paused = false;
    reader = (o.reader ?? (() => new ZongjiReader()))();
    const r = reader;
    const onEvent = (e: BinlogEvent) => {
      if (fatal) return;
      try {
        if (e.kind !== 'idle') lastEventAt = Date.now();
        if (e.kind === 'rows') {
          const t = schemaOf(e);
          status.change(`${t.db}.${t.table}`, e.op, e.rows.length, e.tsMs);
          e.rows.forEach((row, i) => {
            const id = `${e.position.file}:${e.position.pos}:${i}`;
            const src = { tsMs: e.tsMs, snapshot: 'false', position: e.position, row: i, gtid: e.gtid };
            for (const m of encodeChange(ctx, t, e.op, row.before, row.after, src, id)) {
              const k = known.get(`${m.topic}|${m.id}`);
              publisher?.push(m, { [HEADER_ID]: m.id }, k);
            }
          });
        } else if (e.kind === 'commit') {
          publisher?.commit(e.next, e.gtid);
          status.position(e.next, e.tsMs);
        } else if (e.kind === 'ddl') {
          publisher?.commit(e.next, e.gtid);
          tracker
            .onStatement(e.db, e.sql)
            .catch((err: Error) => log.warn({ err: err.message }, 'schema reload failed'));
        }
        if (!paused && (publisher?.queued ?? 0) > 20_000) {
          paused = true;
          r.pause();
          publisher?.drain().then(
            () => {
              paused = false;
              r.resume();
            },
            () => {},
          );
        }
      } catch (err) {
        fatal = err as Error;
      }
    };
    await r.start({
      url: o.mysqlUrl,
      serverId: o.serverId,
      from,
      tables,
      onEvent,
      onError: (err) => {
        fatal = purgedError(err, from, store.file) ?? err;
      },
    });
    log.info({ from: formatBinlogPosition(from), tables: tables.length }, 'streaming');
    let lastEndCheck = 0;
    for (;;) {
      await sleep(100);
      if (Date.now() - lastEndCheck > 1000) {
        lastEndCheck = Date.now();
        status.serverEnd(await binlogEnd(conn));
      }
      if (fatal) throw fatal;
      if (publisher.failed) throw publisher.failed;
      if (o.signal?.aborted) break;
      if (o.stopWhenIdleMs !== undefined && Date.now() - lastEventAt >= o.stopWhenIdleMs && publisher.queued === 0)
        break;
      status.tick(publisher.stats);
    }
    await r.stop();
    reader = undefined;
    await publisher.drain();
    status.tick(publisher.stats);
    return 0;
  } finally {
    await reader?.stop().catch(() => {});
    await publisher?.close();
    await status.close();
    await conn.end().catch(() => {});
  }
}

/** Folds the captured topics to their live keys: key text → hash of the row as published. */
async function foldTopics(kafka: Kafka, topics: string[]): Promise<Map<string, Map<string, string>>> {
  const out = new Map<string, Map<string, string>>();
  await readToEnd(kafka, topics, {}, (m) => {
    if (!m.key) return;
    const key = m.key.toString('utf8');
    let t = out.get(m.topic);
    if (!t) {
      t = new Map();
      out.set(m.topic, t);
    }
    if (m.value === null) t.delete(key);
    else {
      const text = m.value.toString('utf8');
      if (/"op":"d"/.test(text)) t.delete(key);
      else t.set(key, afterHash(text));
    }
  });
  return out;
}

async function ensureNotPurged(conn: mysql.Connection, offsets: CdcOffsets, file: string): Promise<void> {
  const files = await binlogFiles(conn);
  if (!files.some((f) => f.name === offsets.resume.file)) {
    throw tlError('TL_CDC_BINLOG_PURGED', {
      position: formatBinlogPosition(offsets.resume),
      file,
      oldest: files[0]?.name ?? '(none)',
    });
  }
}

function purgedError(err: Error, from: BinlogPosition, file: string): Error | undefined {
  const e = err as Error & { errno?: number };
  if (e.errno === 1236 || /1236|could not find first log file|purged/i.test(err.message)) {
    return tlError(
      'TL_CDC_BINLOG_PURGED',
      { position: formatBinlogPosition(from), file, oldest: '(see SHOW BINARY LOGS)' },
      err,
    );
  }
  return undefined;
}
