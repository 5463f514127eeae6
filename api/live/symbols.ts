/**
 * The symbol directory of the dashboard's symbol search: each symbol's exchange, asset class and price decimals
 * (the most decimals its traded prices use, so every page writes its prices alike), and the bar windows the lake
 * has. Read from the newest tick files only (the K newest per Kafka partition of the newest date, plus files named
 * otherwise, e.g. compacted ones: lake/ layout in docs/lake.md), never by scanning `ticks`, and remembered across
 * refreshes: a symbol seen once stays known. A symbol with bars whose ticks are in none of the files read is
 * listed without exchange until one of its ticks is.
 */
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { LakeSession } from '../../lake/session.js';
import { sqlString } from '../../lake/sql-quote.js';
import { parseTickFileName } from '../../lake/tick-file-name.js';
import { lakeRows } from './lake-rows.js';
import { windowMs } from './series.js';

export interface SymbolInfo {
  symbol: string;
  exchange: string | null;
  assetClass: string | null;
  /** Decimals of its prices (the most any traded price needs), or null when no tick was read. */
  decimals: number | null;
}

/** Files read per partition on each refresh. */
const FILES_PER_PARTITION = 4;

async function list(dir: string): Promise<string[]> {
  try {
    return (await readdir(dir)).filter((n) => !n.startsWith('.'));
  } catch {
    return [];
  }
}

/** The K newest tick files per partition of the newest date directory, plus files named otherwise. */
export async function recentTickFiles(lakeDir: string, perPartition = FILES_PER_PARTITION): Promise<string[]> {
  const root = join(lakeDir, 'ticks');
  const dates = (await list(root)).filter((d) => /^date=\d{4}-\d{2}-\d{2}$/.test(d)).sort();
  for (let i = dates.length - 1; i >= 0; i--) {
    const dir = join(root, dates[i]);
    const names = (await list(dir)).filter((n) => n.endsWith('.parquet'));
    const byPartition = new Map<number, { last: number; name: string }[]>();
    const other: string[] = [];
    for (const n of names) {
      const f = parseTickFileName(n);
      if (!f) {
        other.push(n);
        continue;
      }
      const files = byPartition.get(f.partition) ?? [];
      files.push({ last: f.last, name: n });
      byPartition.set(f.partition, files);
    }
    const newest = [...byPartition.values()].flatMap((files) =>
      files
        .sort((a, b) => b.last - a.last)
        .slice(0, perPartition)
        .map((f) => f.name),
    );
    const files = [...newest, ...other].map((n) => join(dir, n));
    if (files.length) return files;
  }
  return [];
}

/** The bar windows in the lake (`bars/window=<w>/` directories), shortest first. */
export async function barWindows(lakeDir: string): Promise<string[]> {
  return (await list(join(lakeDir, 'bars')))
    .map((d) => /^window=(.+)$/.exec(d)?.[1])
    .filter((w): w is string => w !== undefined)
    .sort((a, b) => windowMs(a) - windowMs(b));
}

export class SymbolDirectory {
  private readonly known = new Map<string, SymbolInfo>();
  private refreshedAt = 0;

  constructor(
    private readonly session: LakeSession,
    private readonly timeoutMs: number,
    private readonly maxAgeMs = 30_000,
  ) {}

  /** Every known symbol, sorted; refreshed from the newest tick files when older than maxAgeMs. */
  async symbols(): Promise<SymbolInfo[]> {
    if (Date.now() - this.refreshedAt >= this.maxAgeMs) await this.refresh();
    return [...this.known.values()].sort((a, b) => a.symbol.localeCompare(b.symbol));
  }

  async refresh(): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      const files = await recentTickFiles(this.session.lakeDir);
      if (files.length === 0) break;
      try {
        const rows = await lakeRows(
          this.session,
          `select symbol, any_value(exchange) as exchange, any_value(asset_class) as asset_class,
                  max(length(coalesce(regexp_extract(cast(price as varchar), '\\.(\\d+)$', 1), ''))) as decimals
           from read_parquet([${files.map(sqlString).join(', ')}], union_by_name = true)
           group by symbol`,
          { timeoutMs: this.timeoutMs },
        );
        for (const r of rows) {
          const symbol = String(r.symbol);
          const prev = this.known.get(symbol);
          const seen = [r.decimals, prev?.decimals].filter((d): d is number => typeof d === 'number');
          this.known.set(symbol, {
            symbol,
            exchange: typeof r.exchange === 'string' ? r.exchange : (prev?.exchange ?? null),
            assetClass: typeof r.asset_class === 'string' ? r.asset_class : (prev?.assetClass ?? null),
            // the most decimals any price read so far needed
            decimals: seen.length ? Math.max(...seen) : null,
          });
        }
        break;
      } catch (e) {
        if (attempt > 0) throw e; // a file replaced between listing and reading (compaction): list again, once
      }
    }
    this.refreshedAt = Date.now();
  }
}
