/**
 * The tick engine core's types: its options (with the partition scope of a scaled-out instance, docs/scaling.md),
 * a batch's result and a batch between its two halves (core.ts).
 */
import { settingDefault } from '../../core/config.js';
import type { WindowSpec } from '../time/windows.js';
import type { DeadLetter } from './dead-letters.js';
import type { PartitionState, StateDb } from './state.js';
import type { StreamFile } from './stream-sql.js';
import type { TickFile } from './tick-archive.js';
import type { Slot } from './tick-columns.js';
import type { TickBounds } from './tick-guard.js';
import type { SeqRow } from './tick-identity.js';
import type { HoldingRow, PortfolioRow } from './valuation-stage.js';
import type { LateTick } from './window-buffer.js';

export interface InMessage {
  partition: number;
  offset: number;
  key: Buffer | string | null;
  value: Buffer | string | null;
}

export type { HoldingRow, PortfolioRow };

export interface Thresholds {
  /** Tick move (fraction) above which a SPIKE / FLASH_CRASH is raised. */
  spike: number;
  /** Tick move (fraction) above which its severity is CRITICAL. */
  critical: number;
  /** Bar volume above this multiple of the previous 20 bars' mean is a VOLUME_SPIKE. */
  volumeSpikeFactor: number;
}

export type CorePhase =
  | 'parse'
  | 'ingest'
  | 'archive'
  | 'buffer'
  | 'stages'
  | 'collect'
  | 'close'
  | 'valuations'
  | 'commit';

/** The declared defaults of --spike-threshold, --critical-threshold and --volume-spike-factor (core/config.ts). */
export const DEFAULT_THRESHOLDS: Thresholds = {
  spike: settingDefault('spikeThreshold'),
  critical: settingDefault('criticalThreshold'),
  volumeSpikeFactor: settingDefault('volumeSpikeFactor'),
};

export interface CoreOptions {
  state: StateDb;
  /**
   * Also record, per batch, the closes of its bars and every partition's watermark for the separate valuation stage
   * (`ob_closes`, `ob_marks`; delivered to the closes topic, docs/scaling.md).
   */
  publishCloses?: boolean;
  /** The lake: the core archives ticks there itself (see step 1). */
  lakeDir: string;
  windows: WindowSpec[];
  latenessMs: number;
  topic: string;
  /** Partitions of the topic: valuations wait for the watermark of every one of them. */
  partitionCount: number;
  portfolios: PortfolioRow[];
  holdings: HoldingRow[];
  thresholds?: Partial<Thresholds>;
  clock?: () => number;
  /** Price, size and event-time bounds (tick-guard.ts; defaults DEFAULT_BOUNDS). */
  bounds?: Partial<TickBounds>;
  streams?: StreamFile[];
  /**
   * Partition-scoped (a scaled-out instance, docs/scaling.md): the core holds only these partitions, values
   * nothing (the valuation stage does), stages its tick files under writer-unique dot-names instead of publishing
   * them, and calls `beforeCommit` inside each batch's transaction, right before its COMMIT; a throw there (the
   * partition commit log refusing the entry: fenced) rolls the batch back.
   */
  scope?: CoreScope;
  /** `buf` rows changed between checkpoints of the temp catalog (default BUF_CHECKPOINT_ROWS; tests lower it). */
  bufferCheckpointRows?: number;
  /** Batches between checkpoints of the state database (processors/state-checkpoints.ts; 0: DuckDB's own only). */
  stateCheckpointBatches?: number;
}

export interface CoreScope {
  partitions: readonly number[];
  /** Tick files are staged as `tempPath(dir, <name>.<writer>)` (lake/writer.ts), published by the caller. */
  writer: string;
  /** Inside the batch's transaction (on `conn`), after everything else, before COMMIT. */
  beforeCommit(
    conn: import('../../core/duckdb.js').DuckDBConnection,
    b: number,
    flush: boolean,
    tickFiles: TickFile[],
  ): Promise<void>;
}

export interface BatchResult {
  batchId: number;
  messages: number;
  ticks: number;
  /** Dead-lettered, the ticks below included. */
  rejected: number;
  /** Valid ticks dead-lettered for a price or size out of bounds, or an event time past year 9999's last window. */
  outOfRange: number;
  /** Valid ticks dead-lettered for an event time more than --max-ahead ahead (the watermark guard). */
  ahead: number;
  /** Ticks dropped because their (src, symbol, seq) was counted already (a producer's re-send). */
  duplicates: number;
  late: number;
  bars: number;
  anomalies: number;
  valuations: number;
}

/** A batch whose JavaScript half ran (prepare) and whose state transaction (apply) is queued. */
export interface Prepared {
  b: number;
  slot: Slot;
  flush: boolean;
  now: number;
  res: BatchResult;
  /** The partition states after this batch (watermarks advanced). */
  next: Map<number, PartitionState>;
  late: LateTick[];
  /** Ticks per partition that go to `buf` (on time for the largest window). */
  buffering: Map<number, number>;
  batchLast: Map<string, number>;
  rejected: DeadLetter[];
  /** The (src, symbol) sequences this batch advanced, with their highest seq after it. */
  seqRows: SeqRow[];
  /** The batch's columns are in its scratch slot. */
  written: Promise<void>;
  /** The batch's tick files (one per partition and UTC day). */
  tickFiles: TickFile[];
  /** The batch's tick files are written: awaited before its COMMIT. */
  archive: Promise<void>;
}
