/**
 * The configuration (core/config.ts) turned into the processor's options: one function, used by `ticklake process`
 * and by `ticklake start`, so that a setting means the same in both (start used to drop the thresholds and the
 * batch limit). What differs between the two commands — where the state, lake and brokers are — is passed in.
 */
import type { Config } from '../core/config.js';
import type { TablesProcessorOptions } from './tables/processor.js';
import type { ProcessorOptions } from './ticks/processor.js';

export interface ProcessorPlace {
  brokers: string[];
  lakeDir: string;
  stateDir: string;
  mysqlUrl?: string;
}

export function processorOptions(config: Config, place: ProcessorPlace): ProcessorOptions {
  return {
    ...place,
    topic: config.str('topic'),
    group: config.str('group'),
    windows: config.list('windows'),
    latenessMs: config.num('lateness'),
    idleTimeoutMs: config.num('idleTimeout'),
    sessionTimeoutMs: config.num('sessionTimeout'),
    publishCloses: config.has('publishCloses') ? config.bool('publishCloses') : false,
    scaleOut: config.has('scaleOut') ? config.bool('scaleOut') : false,
    untilIdle: config.has('untilIdle') ? config.bool('untilIdle') : false,
    batchMessages: config.num('maxBatch'),
    minBatchIntervalMs: config.num('batchInterval'),
    stateReopenBatches: config.num('stateReopenEvery'),
    mysqlTimeoutMs: config.num('mysqlTimeout'),
    bounds: {
      minPrice: config.num('minPrice'),
      maxPrice: config.num('maxPrice'),
      maxSize: config.num('maxSize'),
      maxAheadMs: config.num('maxAhead'),
    },
    thresholds: {
      spike: config.num('spikeThreshold'),
      critical: config.num('criticalThreshold'),
      volumeSpikeFactor: config.num('volumeSpikeFactor'),
    },
  };
}

/** The keyed-table engine's options from the same configuration: its own group and state file beside the tick engine's. */
export function tablesOptions(config: Config, place: ProcessorPlace): TablesProcessorOptions {
  return {
    ...place,
    group: `${config.str('group')}-tables`,
    sqlDirs: config.list('sqlDir'),
    sources: config.list('sources'),
    untilIdle: config.has('untilIdle') ? config.bool('untilIdle') : false,
    batchMessages: config.num('maxBatch'),
    minBatchIntervalMs: config.num('batchInterval'),
    idleTimeoutMs: config.num('idleTimeout'),
    foldEveryMs: config.num('compactEvery'),
  };
}

/** Whether the tick engine runs: the ticks source is declared and selected (`--sources`). */
export function runsTicks(config: Config): boolean {
  const only = config.list('sources');
  return only.length === 0 || only.includes('ticks');
}
