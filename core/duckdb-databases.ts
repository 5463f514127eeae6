/**
 * The DuckDB databases a ticklake process has open, by name, so that their memory can be read at scrape time
 * (`ticklake_duckdb_memory_bytes`, metrics/duckdb-metrics.ts). Opening code registers an instance once; a closed
 * instance is noticed at the next read (connecting to it fails) and dropped, so closing code need not unregister.
 *
 * DuckDB's own buffer manager holds most of a process's native memory: cached blocks of a database file, in-memory
 * tables, hash tables of running queries. `duckdb_memory()` reports it per tag; the process's RSS minus V8's heap
 * minus this is what the allocator holds beyond both (docs/metrics.md).
 */
import type { DuckDBInstance } from './duckdb.js';

const open = new Map<DuckDBInstance, string>();

export function trackDuckDb(name: string, instance: DuckDBInstance): void {
  open.set(instance, name);
}

export interface DuckDbMemory {
  database: string;
  tag: string;
  bytes: number;
  tempBytes: number;
}

/** Memory per database and tag (tags with nothing in memory or on disk left out); closed instances are dropped. */
export async function duckDbMemory(): Promise<DuckDbMemory[]> {
  const out: DuckDbMemory[] = [];
  for (const [instance, database] of [...open]) {
    let conn: Awaited<ReturnType<DuckDBInstance['connect']>>;
    try {
      conn = await instance.connect();
    } catch {
      open.delete(instance); // closed
      continue;
    }
    try {
      const r = await conn.runAndReadAll(
        'select tag, memory_usage_bytes, temporary_storage_bytes from duckdb_memory() where memory_usage_bytes > 0 or temporary_storage_bytes > 0',
      );
      for (const [tag, bytes, temp] of r.getRows())
        out.push({ database, tag: String(tag), bytes: Number(bytes), tempBytes: Number(temp) });
    } catch {
      /* closed between connect and query */
    } finally {
      conn.closeSync();
    }
  }
  return out;
}
