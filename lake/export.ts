/**
 * `ticklake export`: a table or view of the lake written as Hive-partitioned files for other engines (the system
 * ticklake replaces exported JSONL partitioned to S3 for Glue and Redshift Spectrum):
 *
 *   <out>/<col>=<value>/[<col2>=<value2>/]part-0.jsonl[.gz]     --format jsonl (one JSON object per line)
 *   <out>/<col>=<value>/[...]/part-0.parquet                     --format parquet
 *
 * The partition columns are in the path, not in the files (Hive's convention). A value is written as DuckDB casts
 * it to text, with `/`, `=`, `%` and control characters percent-encoded as Hive does, and null as
 * `__HIVE_DEFAULT_PARTITION__`. The rows are read once into a temporary table, then each partition is copied out.
 * JSON follows DuckDB's to_json: numbers as numbers (64-bit integers and decimals exactly as digits), timestamps
 * as ISO text, lists and structs nested.
 */
import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { tlError } from '../core/errors.js';
import type { LakeSession } from './session.js';
import { sqlIdent, sqlString } from './sql-quote.js';

export interface ExportOptions {
  table: string;
  format: 'jsonl' | 'parquet';
  partitionBy: string[];
  out: string;
  gzip?: boolean;
}

export interface ExportResult {
  files: { path: string; rows: number }[];
  rows: number;
}

export const HIVE_NULL = '__HIVE_DEFAULT_PARTITION__';

/** Hive's escaping of a partition value in a path. */
export function hiveValue(v: string | null): string {
  if (v === null) return HIVE_NULL;
  return v.replace(
    /[\u0000-\u001f"#%'*/:=?\\\u007f{[\]^]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`,
  );
}

export async function exportTable(session: LakeSession, opts: ExportOptions): Promise<ExportResult> {
  const bad = (setting: string, value: string, reason: string) =>
    tlError('TL_CONFIG_BAD_VALUE', { setting, value, reason });
  if (opts.format !== 'jsonl' && opts.format !== 'parquet') throw bad('--format', opts.format, 'jsonl or parquet');
  if (opts.gzip && opts.format !== 'jsonl')
    throw bad('--gzip', 'true', 'only for --format jsonl (Parquet is compressed)');
  if (existsSync(opts.out) && readdirSync(opts.out).length > 0)
    throw bad('--out', opts.out, 'the directory is not empty');
  await session.refresh();
  const c = await session.connect();
  try {
    const tmp = `__export_${process.pid}_${Date.now()}`;
    try {
      await c.run(`create temp table ${sqlIdent(tmp)} as select * from ${sqlIdent(opts.table)}`);
    } catch (e) {
      throw bad('--table', opts.table, (e as Error).message.split('\n')[0]);
    }
    try {
      const cols = (await c.runAndReadAll(`select * from ${sqlIdent(tmp)} limit 0`)).columnNames();
      for (const p of opts.partitionBy)
        if (!cols.includes(p)) throw bad('--partition-by', p, `no column ${p} in ${opts.table}`);
      const rest = cols.filter((x) => !opts.partitionBy.includes(x));
      if (rest.length === 0)
        throw bad('--partition-by', opts.partitionBy.join(','), 'no column would be left in the files');
      const parts = opts.partitionBy.length
        ? (
            await c.runAndReadAll(
              `select ${opts.partitionBy.map((p) => `${sqlIdent(p)}::varchar as ${sqlIdent(p)}`).join(', ')}, count(*)::bigint as n
               from ${sqlIdent(tmp)} group by all order by all`,
            )
          ).getRowsJS()
        : [[Number((await c.runAndReadAll(`select count(*) from ${sqlIdent(tmp)}`)).getRowsJS()[0][0])]];
      const files: ExportResult['files'] = [];
      const ext = opts.format === 'parquet' ? 'parquet' : opts.gzip ? 'jsonl.gz' : 'jsonl';
      for (const part of parts) {
        const values = part.slice(0, opts.partitionBy.length) as (string | null)[];
        const rows = Number(part[opts.partitionBy.length]);
        const dir = join(opts.out, ...opts.partitionBy.map((p, i) => `${p}=${hiveValue(values[i])}`));
        mkdirSync(dir, { recursive: true });
        const path = join(dir, `part-0.${ext}`);
        const where = opts.partitionBy.length
          ? `where ${opts.partitionBy.map((p, i) => (values[i] === null ? `${sqlIdent(p)} is null` : `${sqlIdent(p)}::varchar = ${sqlString(values[i] as string)}`)).join(' and ')}`
          : '';
        const select = `select ${rest.map(sqlIdent).join(', ')} from ${sqlIdent(tmp)} ${where}`;
        const options =
          opts.format === 'parquet'
            ? `format parquet, compression zstd`
            : `format json${opts.gzip ? ', compression gzip' : ''}`;
        await c.run(`copy (${select}) to ${sqlString(path)} (${options})`);
        files.push({ path, rows });
      }
      return { files, rows: files.reduce((s, f) => s + f.rows, 0) };
    } finally {
      await c.run(`drop table if exists ${sqlIdent(tmp)}`);
    }
  } finally {
    c.closeSync();
  }
}
