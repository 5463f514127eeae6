/**
 * The memory of every DuckDB database the process has open (core/duckdb-databases.ts), per database and per
 * `duckdb_memory()` tag: what the buffer manager holds in memory, and what it spilled to its temp directory. With
 * ticklake_process_resident_memory_bytes and ticklake_nodejs_heap_size_total_bytes it splits a process's memory into
 * V8, DuckDB and the rest (docs/metrics.md). Both gauges come from one `duckDbMemory()` per scrape (a connection and
 * a query per database), shared through the registry's oncePerScrape.
 */
import { type DuckDbMemory, duckDbMemory } from '../core/duckdb-databases.js';
import type { MetricsRegistry } from './registry.js';

/** `read` is the memory reading (a test wraps the real one to count its calls). */
export function duckdbMetrics(m: MetricsRegistry, read: () => Promise<DuckDbMemory[]> = duckDbMemory): void {
  const memory = m.oncePerScrape(read);
  m.gaugeFrom(
    'ticklake_duckdb_memory_bytes',
    'Memory held by a DuckDB database’s buffer manager, per duckdb_memory() tag',
    ['database', 'tag'],
    async () => (await memory()).filter((x) => x.bytes > 0).map((x) => [{ database: x.database, tag: x.tag }, x.bytes]),
  );
  m.gaugeFrom(
    'ticklake_duckdb_temp_storage_bytes',
    'Bytes a DuckDB database spilled to its temp directory, per duckdb_memory() tag',
    ['database', 'tag'],
    async () =>
      (await memory()).filter((x) => x.tempBytes > 0).map((x) => [{ database: x.database, tag: x.tag }, x.tempBytes]),
  );
}
