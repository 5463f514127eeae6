/**
 * The name of a tick archive file, `p<partition>-<firstOffset>-<lastOffset>.parquet` (docs/lake.md): one file per
 * Kafka partition, date and batch, named by the offsets it holds so that a re-delivery overwrites it. Written by the
 * processor (processors/ticks/tick-archive.ts) and read back by compaction, which must not merge a partition's newest
 * batch (lake/compact.ts), and by the live API, which reads only the newest files (api/live/newest-tick.ts,
 * api/live/symbols.ts). It lives in lake/ because both processors/ and api/ import from lake/, not from each other.
 */

export interface TickFileName {
  partition: number;
  /** The first and last Kafka offset of the ticks the file holds. */
  first: number;
  last: number;
}

const NAME = /^p(\d+)-(\d+)-(\d+)\.parquet$/;

export function tickFileName(partition: number, first: number, last: number): string {
  return `p${partition}-${first}-${last}.parquet`;
}

/** The partition and offsets of a tick archive file's name (no directory), or null for any other name. */
export function parseTickFileName(name: string): TickFileName | null {
  const m = NAME.exec(name);
  return m ? { partition: Number(m[1]), first: Number(m[2]), last: Number(m[3]) } : null;
}
