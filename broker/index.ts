/**
 * The embedded single-node Kafka-protocol broker, startable in-process:
 *
 *   const broker = await startBroker({ port: 0, dataDir });
 *   // kafkajs: new Kafka({ brokers: [`${broker.host}:${broker.port}`] })
 *   await broker.close();
 */

import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { settingDefault } from '../core/config.js';
import { tlError } from '../core/errors.js';
import { logger } from '../core/log.js';
import type { BrokerConfig, BrokerContext, FsyncPolicy } from './context.js';
import { GroupCoordinator } from './groups/coordinator.js';
import { TopicStore } from './log/topic-store.js';
import { loadRegistry } from './registry.js';
import { BrokerServer, type Interceptor } from './server.js';

export interface BrokerOptions {
  dataDir: string;
  /** 0 picks a free port. Options left out take the declared defaults of the broker command (core/config.ts). */
  port?: number;
  /** Listen address, also advertised to clients. */
  host?: string;
  defaultPartitions?: number;
  autoCreateTopics?: boolean;
  fsync?: FsyncPolicy;
  segmentBytes?: number;
  retentionBytes?: number;
  retentionMs?: number;
  /** Default delete.retention.ms of compacted topics. As Kafka's, 1 day by default. */
  deleteRetentionMs?: number;
  /** How often the log cleaner runs; 0 turns it off. Kafka's log.cleaner.backoff.ms. */
  cleanerIntervalMs?: number;
  /** Memory of the cleaner's offset map (24 bytes a key per pass). */
  cleanerBufferBytes?: number;
  /** Memory of all partitions' tail caches together (at most 1 MiB a partition); 0: none. */
  tailCacheBytes?: number;
  maxFrameBytes?: number;
  /** Request bytes all connections together may hold; at least maxFrameBytes. */
  maxInflightBytes?: number;
  /** Idle connections are closed after this long. Kafka's connections.max.idle.ms. */
  connectionsMaxIdleMs?: number;
  /** Wait of the first rebalance of an empty consumer group for more members. Kafka's default is 3000 ms. */
  groupInitialRebalanceDelayMs?: number;
  /** Test hook called before each request is handled. */
  interceptor?: Interceptor;
}

export interface RunningBroker {
  host: string;
  port: number;
  /** `host:port`, for a client's bootstrap list. */
  address: string;
  context: BrokerContext;
  /** The TCP side (connections, the request memory budget). */
  server: BrokerServer;
  close(): Promise<void>;
}

/** A cluster id kept in the data dir, so clients see the same cluster across restarts. */
async function clusterId(dataDir: string): Promise<string> {
  const file = join(dataDir, 'cluster-id');
  try {
    return (await readFile(file, 'utf8')).trim();
  } catch {
    const id = randomBytes(16).toString('base64url').slice(0, 22);
    await writeFile(file, `${id}\n`);
    return id;
  }
}

export async function startBroker(opts: BrokerOptions): Promise<RunningBroker> {
  const log = logger('broker');
  await mkdir(opts.dataDir, { recursive: true });
  const host = opts.host ?? settingDefault('brokerHost');
  const config: BrokerConfig = {
    nodeId: 0,
    host,
    port: opts.port ?? settingDefault('brokerPort'),
    dataDir: opts.dataDir,
    clusterId: await clusterId(opts.dataDir),
    defaultPartitions: opts.defaultPartitions ?? settingDefault('defaultPartitions'),
    autoCreateTopics: opts.autoCreateTopics ?? settingDefault('autoCreateTopics'),
    fsync: opts.fsync ?? settingDefault('fsync'),
    segmentBytes: opts.segmentBytes ?? settingDefault('segmentBytes'),
    retentionBytes: opts.retentionBytes ?? settingDefault('retentionBytes', 'broker'),
    retentionMs: opts.retentionMs ?? settingDefault('retentionMs', 'broker'),
    deleteRetentionMs: opts.deleteRetentionMs ?? settingDefault('deleteRetentionMs'),
    cleanerIntervalMs: opts.cleanerIntervalMs ?? settingDefault('cleanerIntervalMs'),
    cleanerBufferBytes: opts.cleanerBufferBytes ?? settingDefault('cleanerBufferBytes'),
    tailCacheBytes: opts.tailCacheBytes ?? settingDefault('tailCacheBytes'),
    maxFrameBytes: opts.maxFrameBytes ?? settingDefault('maxFrameBytes'),
    maxInflightBytes: opts.maxInflightBytes ?? settingDefault('maxInflightBytes'),
    connectionsMaxIdleMs: opts.connectionsMaxIdleMs ?? settingDefault('connectionsMaxIdleMs'),
    groupInitialRebalanceDelayMs: opts.groupInitialRebalanceDelayMs ?? settingDefault('groupInitialRebalanceDelayMs'),
  };
  if (config.maxInflightBytes < config.maxFrameBytes) {
    throw tlError('TL_CONFIG_BAD_VALUE', {
      setting: '--max-inflight-bytes',
      value: config.maxInflightBytes,
      reason: `must be at least --max-frame-bytes (${config.maxFrameBytes}), or the largest frame could never be read`,
    });
  }
  const registry = await loadRegistry();
  const topics = await TopicStore.open(config, log);
  const groups = await GroupCoordinator.open(config, log, topics);
  const context: BrokerContext = { config, log, topics, groups, registry, stats: { requests: new Map() } };
  const server = new BrokerServer(context, log, opts.interceptor);
  try {
    config.port = await server.listen(host, config.port);
  } catch (err) {
    await groups.close();
    await topics.close();
    throw err;
  }
  log.info({ host, port: config.port, dataDir: opts.dataDir }, 'broker listening');
  let closing: Promise<void> | undefined;
  return {
    host,
    port: config.port,
    address: `${host}:${config.port}`,
    context,
    server,
    close() {
      closing ??= (async () => {
        await server.close();
        await groups.close();
        await topics.close();
      })();
      return closing;
    },
  };
}
