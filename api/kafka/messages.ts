/**
 * The message browser of the #/kafka page: messages of one partition from an offset, optionally only those whose key
 * contains a text, with their headers (the dead-letter `reason`), read with kafkajs's own Fetch request.
 *
 * kafkajs 2.2 has no public way to read a partition without joining a consumer group (no `assign()`), and a group
 * join per page view would take seconds on a real cluster (group.initial.rebalance.delay.ms) and leave a group
 * behind. So this uses kafkajs's cluster object, as its consumer does internally: metadata for the topic, the
 * partition leader's connection, one Fetch at the offset (KIP-74 sizes). The cluster object is kafkajs-internal:
 * it is used only with the kafkajs version it was checked against (core/kafkajs-pin.ts
 * KAFKAJS_VERSION), and a different version makes the browser answer TL_KAFKA_REQUEST saying so.
 */
import { tlError } from '../../core/errors.js';
import type { Kafka } from '../../core/kafkajs.js';
import { installedKafkajsVersion, KAFKAJS_VERSION, kafkajsIsPinned } from '../../core/kafkajs-pin.js';
import { kafkaError } from './client.js';

export interface BrowsedMessage {
  partition: number;
  offset: string;
  timestamp: string;
  key: string | null;
  value: string | null;
  headers: Record<string, string>;
}

export interface BrowseResult {
  topic: string;
  partition: number;
  /** The offset the read started at (clamped to the log's start). */
  from: string;
  /** The next offset to read to continue (after the last message examined). */
  next: string;
  lowWatermark: string;
  highWatermark: string;
  /** Messages examined (a key search skips those whose key does not match). */
  scanned: number;
  messages: BrowsedMessage[];
}

interface KCluster {
  connect(): Promise<void>;
  disconnect(): Promise<void>;
  addTargetTopic(t: string): Promise<void>;
  refreshMetadata(): Promise<void>;
  findTopicPartitionMetadata(t: string): { partitionId: number; leader: number }[];
  findBroker(q: { nodeId: string }): Promise<{ fetch(r: unknown): Promise<FetchResponse> }>;
}
interface FetchResponse {
  responses: {
    topicName: string;
    partitions: {
      partition: number;
      errorCode: number;
      highWatermark: string;
      logStartOffset?: string;
      messages: {
        offset: string;
        timestamp: string;
        key: Buffer | null;
        value: Buffer | null;
        headers?: Record<string, Buffer | Buffer[] | null>;
        isControlRecord?: boolean;
      }[];
    }[];
  }[];
}

function clusterOf(kafka: Kafka): KCluster {
  if (!kafkajsIsPinned) {
    throw tlError('TL_KAFKA_REQUEST', {
      action: 'browse messages',
      reason: `the message browser supports kafkajs ${KAFKAJS_VERSION}, installed is ${installedKafkajsVersion}`,
    });
  }
  const sym = Object.getOwnPropertySymbols(kafka).find((s) => s.description === 'private:Kafka:createCluster');
  const create = sym ? (kafka as unknown as Record<symbol, (o: object) => KCluster>)[sym] : undefined;
  if (!create) throw tlError('TL_KAFKA_REQUEST', { action: 'browse messages', reason: 'kafkajs internals changed' });
  return create({ allowAutoTopicCreation: false, isolationLevel: 0 });
}

const text = (b: Buffer | null | undefined) => (b == null ? null : b.toString('utf8'));

export interface BrowseOptions {
  topic: string;
  partition: number;
  /** Start offset; negative counts back from the end (-20: the last 20). Default: the last 20. */
  offset?: number;
  limit?: number;
  /** Only messages whose key contains this text. */
  key?: string;
  /** Most messages examined for a key search (default 10000). */
  scanLimit?: number;
  /** The partition's low and high watermarks (admin.fetchTopicOffsets). */
  bounds: { low: number; high: number };
}

export async function browseMessages(kafka: Kafka, o: BrowseOptions): Promise<BrowseResult> {
  const limit = Math.max(1, Math.min(o.limit ?? 20, 500));
  const scanLimit = o.key ? (o.scanLimit ?? 10_000) : limit;
  const cluster = clusterOf(kafka);
  try {
    await cluster.connect();
    await cluster.addTargetTopic(o.topic);
    const meta = cluster.findTopicPartitionMetadata(o.topic).find((p) => p.partitionId === o.partition);
    if (!meta) throw tlError('TL_API_NOT_FOUND', { what: `partition ${o.partition} of topic "${o.topic}"` });
    const broker = await cluster.findBroker({ nodeId: String(meta.leader) });
    const fetchAt = async (offset: number) => {
      const r = await broker.fetch({
        replicaId: -1,
        isolationLevel: 0,
        maxWaitTime: 0,
        minBytes: 0,
        maxBytes: 4 * 1024 * 1024,
        topics: [
          {
            topic: o.topic,
            partitions: [{ partition: o.partition, fetchOffset: String(offset), maxBytes: 1024 * 1024 }],
          },
        ],
      });
      const p = r.responses[0]?.partitions[0];
      if (!p) throw new Error('empty fetch response');
      return p;
    };
    let { low, high } = o.bounds;
    let at = o.offset === undefined ? high - limit : o.offset < 0 ? high + o.offset : o.offset;
    at = Math.max(low, Math.min(at, high));
    const from = at;
    const messages: BrowsedMessage[] = [];
    let scanned = 0;
    while (at < high && messages.length < limit && scanned < scanLimit) {
      const p = await fetchAt(at);
      if (p.errorCode !== 0) throw new Error(`fetch error code ${p.errorCode} at offset ${at}`);
      high = Math.max(high, Number(p.highWatermark));
      if (p.logStartOffset !== undefined) low = Number(p.logStartOffset);
      const got = p.messages.filter((m) => !m.isControlRecord && Number(m.offset) >= at);
      if (got.length === 0) break;
      for (const m of got) {
        at = Number(m.offset) + 1;
        scanned++;
        const key = text(m.key);
        if (o.key && !(key ?? '').includes(o.key)) {
          if (scanned >= scanLimit) break;
          continue;
        }
        const headers: Record<string, string> = {};
        for (const [k, v] of Object.entries(m.headers ?? {})) {
          headers[k] = Array.isArray(v) ? v.map((x) => x.toString('utf8')).join(', ') : (text(v) ?? '');
        }
        messages.push({
          partition: o.partition,
          offset: m.offset,
          timestamp: m.timestamp,
          key,
          value: text(m.value),
          headers,
        });
        if (messages.length >= limit || scanned >= scanLimit) break;
      }
    }
    return {
      topic: o.topic,
      partition: o.partition,
      from: String(from),
      next: String(at),
      lowWatermark: String(low),
      highWatermark: String(high),
      scanned,
      messages,
    };
  } catch (e) {
    if ((e as { code?: string }).code?.startsWith?.('TL_')) throw e;
    throw kafkaError(`browse ${o.topic}/${o.partition}`, e);
  } finally {
    await cluster.disconnect().catch(() => {});
  }
}
