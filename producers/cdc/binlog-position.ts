/**
 * Positions in a MySQL/MariaDB binary log: a file (`binlog.000042`) and a byte offset in it. Files sort by their
 * numeric suffix, so positions compare across rotations.
 */
export interface BinlogPosition {
  file: string;
  pos: number;
}

/** The numeric suffix of a binlog file name (`binlog.000042` → 42); -1 when there is none. */
export function binlogFileIndex(file: string): number {
  const m = /\.(\d+)$/.exec(file);
  return m ? Number(m[1]) : -1;
}

/** Negative when a is before b, 0 when equal, positive when after. */
export function compareBinlogPositions(a: BinlogPosition, b: BinlogPosition): number {
  const fa = binlogFileIndex(a.file);
  const fb = binlogFileIndex(b.file);
  if (fa !== fb) return fa - fb;
  if (a.file !== b.file) return a.file < b.file ? -1 : 1;
  return a.pos - b.pos;
}

export function formatBinlogPosition(p: BinlogPosition): string {
  return `${p.file}:${p.pos}`;
}
