/**
 * What `ticklake cdc` is doing, for people and the #/cdc page: `<offsets-dir>/status.json`, rewritten about once a
 * second — the captured tables with their change counts by op, the snapshot's progress, the binlog position read,
 * how far behind the server's binlog end that is, and publication counters.
 */
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { BinlogPosition } from './binlog-position.js';
import type { CdcOffsets } from './offset-store.js';
import type { PublisherStats } from './publisher.js';
import type { SnapshotProgress } from './snapshot.js';

export interface TableStatus {
  name: string;
  topic: string;
  c: number;
  u: number;
  d: number;
  lastChangeAt?: number;
}

export interface CdcStatusFile {
  pid: number;
  startedAt: number;
  updatedAt: number;
  tables: TableStatus[];
  snapshot?: SnapshotProgress;
  /** Last binlog position read (a transaction end) and its commit time. */
  position?: BinlogPosition;
  positionTsMs?: number;
  /** The server's binlog end at the last check, and the bytes between it and `position`. */
  serverEnd?: BinlogPosition;
  behindBytes?: number;
  stored?: BinlogPosition;
  published: number;
  skipped: number;
  requests: number;
}

export class CdcStatus {
  private readonly file: string;
  private data: CdcStatusFile;
  private lastWrite = 0;
  snapshot?: SnapshotProgress;

  constructor(private readonly dir: string) {
    this.file = join(dir, 'status.json');
    const now = Date.now();
    this.data = { pid: process.pid, startedAt: now, updatedAt: now, tables: [], published: 0, skipped: 0, requests: 0 };
  }

  setTables(t: { name: string; topic: string }[]): void {
    this.data.tables = t.map((x) => ({ ...x, c: 0, u: 0, d: 0 }));
  }

  change(table: string, op: 'c' | 'u' | 'd', rows: number, tsMs: number): void {
    const t = this.data.tables.find((x) => x.name === table);
    if (!t) return;
    t[op] += rows;
    t.lastChangeAt = tsMs;
  }

  position(p: BinlogPosition, tsMs: number): void {
    this.data.position = p;
    this.data.positionTsMs = tsMs;
  }

  serverEnd(end: BinlogPosition): void {
    this.data.serverEnd = end;
    const p = this.data.position;
    this.data.behindBytes = p && p.file === end.file ? Math.max(0, end.pos - p.pos) : undefined;
  }

  checkpoint(o: CdcOffsets): void {
    this.data.stored = o.resume;
  }

  tick(stats: PublisherStats, force = false): void {
    this.data.published = stats.published;
    this.data.skipped = stats.skipped;
    this.data.requests = stats.requests;
    const now = Date.now();
    if (!force && now - this.lastWrite < 1000) return;
    this.lastWrite = now;
    void this.write();
  }

  private writing: Promise<void> | undefined;
  private async write(): Promise<void> {
    if (this.writing) return;
    this.data.updatedAt = Date.now();
    this.data.snapshot = this.snapshot;
    const text = JSON.stringify(this.data, null, 1);
    this.writing = (async () => {
      await mkdir(this.dir, { recursive: true });
      const tmp = `${this.file}.tmp`;
      await writeFile(tmp, text);
      await rename(tmp, this.file);
    })()
      .catch(() => {})
      .finally(() => {
        this.writing = undefined;
      });
    await this.writing;
  }

  async close(): Promise<void> {
    await this.writing;
    await this.write();
  }
}
