/**
 * Small fixed lakes for tests: Parquet files written by a plain DuckDB `COPY (select ...) TO` into a temp dir, in
 * the Hive layout of docs/lake.md (`<lake>/<table>/[window=..]/date=YYYY-MM-DD/<file>.parquet`). Shared by the
 * session, report, check, API and shell tests.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import { lakeTable } from '../../lake/tables.js';

export class LakeFixture {
  private constructor(
    readonly dir: string,
    private readonly instance: DuckDBInstance,
    readonly conn: DuckDBConnection,
  ) {}

  static async create(): Promise<LakeFixture> {
    const dir = mkdtempSync(join(tmpdir(), 'ticklake-lake-'));
    const instance = await DuckDBInstance.create(':memory:', { threads: '1' });
    return new LakeFixture(dir, instance, await instance.connect());
  }

  /** Writes one Parquet file; `partition` like `{ window: '1m', date: '2026-01-05' }`. Returns its path. */
  async write(table: string, partition: Record<string, string>, select: string, file = 'x.parquet'): Promise<string> {
    const dir = join(this.dir, table, ...Object.entries(partition).map(([k, v]) => `${k}=${v}`));
    mkdirSync(dir, { recursive: true });
    const path = join(dir, file);
    // cast every column the contract knows to its contract type (literals like 10.5 would be DECIMAL otherwise)
    const names = (await this.conn.runAndReadAll(`describe ${select}`)).getRows().map((r) => String(r[0]));
    const types = new Map(lakeTable(table)?.columns.map((c) => [c.name, c.type]));
    const list = names.map((n) => (types.has(n) ? `cast("${n}" as ${types.get(n)}) as "${n}"` : `"${n}"`));
    await this.conn.run(`copy (select ${list.join(', ')} from (${select})) to '${path}' (format parquet)`);
    return path;
  }

  /** Runs a plain query on the fixture's own DuckDB (independent of ticklake's session) and returns JSON rows. */
  async rows(sql: string): Promise<Record<string, unknown>[]> {
    return (await this.conn.runAndReadAll(sql)).getRowObjectsJS() as Record<string, unknown>[];
  }

  close(): void {
    this.conn.closeSync();
    this.instance.closeSync();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
