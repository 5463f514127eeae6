/**
 * The DuckDB databases a ticklake process has open, by name, so that their memory can be read at scrape time
 * (`ticklake_duckdb_memory_bytes`, metrics/duckdb-metrics.ts). Opening code registers an instance once, and closing
 * it (`closeSync`) drops it, so closing code need not unregister. Dropped at close, not at the next read: a process
 * nobody scrapes kept every instance it ever closed (`ticklake start` opens one per compaction and per lake session:
 * 26 more in 22 minutes of a heap snapshot's soak). One closed elsewhere is still noticed at a read and dropped.
 *
 * DuckDB's own buffer manager holds most of a process's native memory: cached blocks of a database file, in-memory
 * tables, hash tables of running queries. `duckdb_memory()` reports it per tag; the process's RSS minus V8's heap
 * minus this is what the allocator holds beyond both (docs/metrics.md).
 */
import type { DuckDBInstance } from './duckdb.js';

const open = new Map<DuckDBInstance, string>();

export function trackDuckDb(name: string, instance: DuckDBInstance): void {
  if (open.has(instance)) return;
  open.set(instance, name);
  const close = instance.closeSync;
  instance.closeSync = function closeSync(this: DuckDBInstance) {
    open.delete(instance);
    close.call(this);
  };
}

/** How many instances are registered (tests). */
export function trackedDuckDbCount(): number {
  return open.size;
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
