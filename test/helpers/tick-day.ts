/**
 * A day of tick archive file names as the processor writes them at start's rate: three partitions, every batch's
 * file continuing its partition's last offset (`p<partition>-<first>-<last>.parquet`), 40–56 offsets a file.
 * `count` names in batch order, partitions taking turns.
 */
export function dayOfTickNames(count: number): string[] {
  const names: string[] = [];
  const next = [0, 0, 0];
  for (let b = 1; b <= count; b++) {
    const p = b % 3;
    const hi = next[p] + 40 + (b % 17);
    names.push(`p${p}-${next[p]}-${hi}.parquet`);
    next[p] = hi + 1;
  }
  return names;
}
