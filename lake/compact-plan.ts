/**
 * Which files of one partition directory to merge together, for compaction of open dates (and, in the same mode,
 * the leftovers of closed ones). Pure: file names, sizes and modification times in, groups of names out.
 *
 * Size tiers, as in an LSM tree's size-tiered compaction: a file of `size` bytes is in tier 0 below `tierBaseBytes`
 * and in tier k = 1 + floor(log_minFiles(size / tierBaseBytes)) above. Within a tier, files are taken oldest first
 * into groups of at most `maxFileBytes` in total; a group of at least `minFiles` files is merged. The merged file is
 * about minFiles times bigger, so it lands one tier up and is merged again only once minFiles of its peers exist:
 * a row is rewritten about log_minFiles(maxFileBytes / tierBaseBytes) times (3 with the defaults), however long the
 * day, instead of once per round as when every small file joins one growing day file. Files of `maxFileBytes` or
 * more are never touched, and a file joins a merge only once it is `settleMs` old (its batch is then unlikely to be
 * re-delivered; correctness does not depend on it, see lake/writer.ts), except files compaction wrote itself.
 *
 * A directory ends up with its large files, at most minFiles - 1 files per tier (4 tiers with the defaults), and
 * the files younger than settleMs.
 */
import { settingDefault } from '../core/config.js';

export interface FileInfo {
  name: string;
  size: number;
  mtimeMs: number;
}

export interface TierOptions {
  /** Files younger than this (by mtime) wait. */
  settleMs: number;
  /** Files this big or bigger are left alone; a merge reads at most this many bytes. */
  maxFileBytes: number;
  /** A tier is merged once it has this many files (at least 2). */
  minFiles: number;
  /** Upper bound of tier 0. */
  tierBaseBytes: number;
}

/** The declared defaults of --settle, --max-file-size and --min-files (core/config.ts); the tier base is not a setting. */
export const DEFAULT_TIERS: TierOptions = {
  settleMs: settingDefault('compactSettle'),
  maxFileBytes: settingDefault('compactMaxFileSize'),
  minFiles: settingDefault('compactMinFiles'),
  tierBaseBytes: 64 * 1024,
};

export function tierOf(size: number, opts: TierOptions): number {
  if (size < opts.tierBaseBytes) return 0;
  return 1 + Math.floor(Math.log(size / opts.tierBaseBytes) / Math.log(opts.minFiles) + 1e-9);
}

/**
 * Groups to merge in a directory of an open date. `compacted` are the names compaction wrote (no settle wait).
 * With `final` (a closed date), every file below maxFileBytes is taken whatever its tier and age, and two suffice.
 */
export function planMerges(
  files: FileInfo[],
  compacted: ReadonlySet<string>,
  now: number,
  opts: TierOptions,
  final = false,
): string[][] {
  const minFiles = Math.max(2, opts.minFiles);
  const tiers = new Map<number, FileInfo[]>();
  for (const f of files) {
    if (f.size >= opts.maxFileBytes) continue;
    if (!final && !compacted.has(f.name) && now - f.mtimeMs < opts.settleMs) continue;
    const tier = final ? 0 : tierOf(f.size, opts);
    const list = tiers.get(tier) ?? [];
    list.push(f);
    tiers.set(tier, list);
  }
  const groups: string[][] = [];
  for (const tier of [...tiers.keys()].sort((a, b) => a - b)) {
    const list = tiers.get(tier)!.sort((a, b) => a.mtimeMs - b.mtimeMs || (a.name < b.name ? -1 : 1));
    let group: FileInfo[] = [];
    let bytes = 0;
    const close = () => {
      if (group.length >= (final ? 2 : minFiles)) groups.push(group.map((f) => f.name).sort());
      group = [];
      bytes = 0;
    };
    for (const f of list) {
      if (group.length > 0 && bytes + f.size > opts.maxFileBytes) close();
      group.push(f);
      bytes += f.size;
    }
    close();
  }
  return groups;
}
