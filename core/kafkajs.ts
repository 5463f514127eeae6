/**
 * kafkajs, as every module of ticklake loads it: through `require`, with its producer's grouping of messages by
 * partition replaced by one that runs in a single pass.
 *
 * kafkajs 2.2.4 groups a produce request's messages with
 * `messages.reduce((result, m) => Object.assign(result, { [p]: [...result[p], m] }), {})`: every message copies its
 * partition's array so far, so a request of n messages to one partition allocates n²/2 array slots. An allocation
 * profile of `ticklake start`'s main thread (inspector sampling that keeps collected objects; bench/HISTORY.md,
 * "Eleventh stop") found that function the largest allocator there, about a quarter of all it allocates: the
 * exchanges send 1,000 ticks a request, the history backfill and change capture 2,000 and filings 5,000. The
 * replacement pushes onto each partition's array and returns the same object (same keys, same message objects in
 * the same order; core/test/kafkajs.test.ts compares it with kafkajs's own on random requests).
 *
 * It has to be in place before kafkajs loads (its sender keeps the function it required), so it is installed here
 * and every product module imports kafkajs from this file (biome's `noRestrictedImports` keeps it so outside tests
 * and benchmarks). Only for the kafkajs version it was written against; otherwise kafkajs runs unchanged.
 * Loading through `require` also spares Node's ES-module loader from parsing the package for its export names.
 */
import { createRequire } from 'node:module';
import type * as Api from 'kafkajs';
import { cachedModule, kafkajsIsPinned, kafkajsSource, replaceModule } from './kafkajs-pin.js';

export type * from 'kafkajs';

const require = createRequire(import.meta.url);

interface GroupArgs<M> {
  topic: string;
  partitionMetadata: unknown[];
  messages: M[];
  partitioner: (args: { topic: string; partitionMetadata: unknown[]; message: M }) => number;
}

/** kafkajs's `groupMessagesPerPartition` in one pass: partition → its messages, in their order. */
export function groupMessagesInOnePass<M>({
  topic,
  partitionMetadata,
  messages,
  partitioner,
}: GroupArgs<M>): Record<string, M[]> {
  const result: Record<string, M[]> = {};
  if (partitionMetadata.length === 0) return result;
  for (const message of messages) {
    const partition = partitioner({ topic, partitionMetadata, message });
    const current = result[partition];
    if (current) current.push(message);
    else result[partition] = [message];
  }
  return result;
}

/** Where kafkajs's producer requires its grouping from. */
export const groupingModulePath = kafkajsSource('producer/groupMessagesPerPartition.js');

/** Puts the one-pass grouping in kafkajs's place unless kafkajs is another version or already loaded. */
function installOnePassGrouping(): boolean {
  if (!kafkajsIsPinned) return false;
  const loaded = cachedModule(groupingModulePath);
  if (loaded) return loaded.exports === groupMessagesInOnePass;
  replaceModule(groupingModulePath, groupMessagesInOnePass);
  return true;
}

/** Whether kafkajs's producers group in one pass in this thread (false in a test that loaded kafkajs first). */
export const onePassGrouping = installOnePassGrouping();

const kafkajs = require('kafkajs') as typeof Api;

export const { Kafka, logLevel, Partitioners, PartitionAssigners, AssignerProtocol } = kafkajs;
export type Kafka = Api.Kafka;
export type logLevel = Api.logLevel;
