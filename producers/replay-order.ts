/**
 * The valid ticks of a recorded file, in event-time order (ties keep file order), with every bad row reported.
 *
 * Pass 1 streams the file: maps the columns, parses every row, reports each bad one (file, line, reason) and notes
 * whether the valid rows are already in time order. Pass 2 streams again: a sorted file goes straight through; an
 * unsorted one is loaded into a temporary on-disk DuckDB table and read back ordered by (ts, position), so memory
 * stays bounded (DuckDB spills to disk) however large the file is. Nothing valid is dropped.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Tick } from '../contracts/tick.js';
import { tlError } from '../core/errors.js';
import { type ColumnMap, mapColumns, parseRow, type RowDefaults } from './replay-rows.js';
import { type FileFormat, openSource } from './replay-source.js';

export interface BadRow {
  line: number;
  reason: string;
}

export interface ScanResult {
  rows: number;
  valid: number;
  bad: number;
  /** True when the valid rows are in non-decreasing event time. */
  sorted: boolean;
  firstTs: number | null;
  lastTs: number | null;
  columns: ColumnMap;
}

export interface OrderOptions {
  file: string;
  format?: FileFormat;
  defaults: RowDefaults;
  /** Called for every bad row, in file order, during the scan. */
  onBad?: (bad: BadRow) => void;
}

/** Pass 1: validates every row and learns whether the file is in time order. */
export async function scanFile(opts: OrderOptions): Promise<ScanResult> {
  const source = openSource(opts.file, opts.format);
  let columns: ColumnMap | undefined;
  let rows = 0;
  let valid = 0;
  let bad = 0;
  let sorted = true;
  let firstTs: number | null = null;
  let lastTs: number | null = null;
  let maxTs = Number.NEGATIVE_INFINITY;
  for await (const row of source.rows()) {
    if (!columns) {
      const m = mapColumns(source.header());
      if ('error' in m) throw tlError('TL_DATA_BAD_FILE', { file: opts.file, reason: m.error });
      columns = m;
    }
    rows++;
    const result = row.error ?? parseRow(row.values, columns, opts.defaults);
    if (typeof result === 'string') {
      bad++;
      opts.onBad?.({ line: row.line, reason: result });
      continue;
    }
    valid++;
    if (result.ts < maxTs) sorted = false;
    else maxTs = result.ts;
    firstTs = firstTs === null ? result.ts : Math.min(firstTs, result.ts);
    lastTs = lastTs === null ? result.ts : Math.max(lastTs, result.ts);
  }
  if (!columns) {
    const m = mapColumns(source.header());
    if ('error' in m) throw tlError('TL_DATA_BAD_FILE', { file: opts.file, reason: m.error });
    columns = m;
  }
  return { rows, valid, bad, sorted, firstTs, lastTs, columns };
}

/** Pass 2: the valid ticks in event-time order (call after `scanFile`, with its result). */
export async function* orderedTicks(opts: OrderOptions, scan: ScanResult): AsyncGenerator<Tick> {
  const source = openSource(opts.file, opts.format);
  const valid = async function* () {
    for await (const row of source.rows()) {
      if (row.error) continue;
      const t = parseRow(row.values, scan.columns, opts.defaults);
      if (typeof t !== 'string') yield t;
    }
  };
  if (scan.sorted) {
    yield* valid();
    return;
  }
  yield* externalSort(valid());
}

/** Sorts ticks by (ts, arrival) through a temporary on-disk DuckDB database. */
async function* externalSort(ticks: AsyncIterable<Tick>): AsyncGenerator<Tick> {
  const { DuckDBInstance } = await import('../core/duckdb.js');
  const dir = await mkdtemp(join(tmpdir(), 'ticklake-replay-'));
  const instance = await DuckDBInstance.create(join(dir, 'sort.duckdb'), {
    threads: '1',
    memory_limit: '256MB',
    temp_directory: join(dir, 'spill'),
  });
  const conn = await instance.connect();
  try {
    await conn.run(
      'CREATE TABLE t (seq BIGINT, ts BIGINT, symbol VARCHAR, exchange VARCHAR, asset_class VARCHAR, price DOUBLE, size DOUBLE)',
    );
    const app = await conn.createAppender('t');
    let seq = 0;
    for await (const t of ticks) {
      app.appendBigInt(BigInt(seq++));
      app.appendBigInt(BigInt(t.ts));
      app.appendVarchar(t.symbol);
      app.appendVarchar(t.exchange);
      app.appendVarchar(t.assetClass);
      app.appendDouble(t.price);
      app.appendBigInt(BigInt(t.size));
      app.endRow();
    }
    app.closeSync();
    const result = await conn.stream('SELECT ts, symbol, exchange, asset_class, price, size FROM t ORDER BY ts, seq');
    for (;;) {
      const chunk = await result.fetchChunk();
      if (!chunk || chunk.rowCount === 0) break;
      for (const [ts, symbol, exchange, assetClass, price, size] of chunk.getRows()) {
        yield {
          v: 1,
          symbol: symbol as string,
          exchange: exchange as string,
          assetClass: assetClass as Tick['assetClass'],
          ts: Number(ts),
          price: price as number,
          size: Number(size),
        };
      }
    }
  } finally {
    conn.closeSync();
    instance.closeSync();
    await rm(dir, { recursive: true, force: true });
  }
}
