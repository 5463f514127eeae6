/**
 * Hive-style partition directories of the lake (docs/lake.md):
 * `<lake>/<table>/<col>=<value>/.../<file>.parquet`, the partition columns in the order of lake/tables.ts.
 *
 * Values end up in file paths, so they are checked: non-empty, no path separators, no `..`, no `=`, not starting
 * with `.` (readers ignore dot-names), and a `DATE` partition must be `YYYY-MM-DD`.
 */
import { join } from 'node:path';
import { tlError } from '../core/errors.js';
import { type LakeTable, lakeTable } from './tables.js';

export function requireLakeTable(table: string, file = table): LakeTable {
  const t = lakeTable(table);
  if (!t) throw tlError('TL_LAKE_WRITE', { file, reason: `unknown lake table "${table}"` });
  return t;
}

/** Reason a partition value or file name cannot be used in a path, or undefined when it is fine. */
export function badPathPart(value: string): string | undefined {
  if (value.length === 0) return 'is empty';
  if (value.length > 200) return 'is longer than 200 characters';
  if (/[/\\\0]/.test(value)) return 'contains a path separator or NUL';
  if (value.includes('..')) return 'contains ".."';
  if (value.startsWith('.')) return 'starts with "."';
  return undefined;
}

/** Directory of one partition: `<lakeDir>/<table>/window=1m/date=2026-01-01` (order from lake/tables.ts). */
export function hivePath(lakeDir: string, table: string, partition: Record<string, string>): string {
  const t = requireLakeTable(table, join(lakeDir, table));
  const where = () => join(lakeDir, table, ...Object.entries(partition).map(([k, v]) => `${k}=${v}`));
  const expected = t.partitions.map((p) => p.name);
  const given = Object.keys(partition);
  const extra = given.filter((k) => !expected.includes(k));
  if (extra.length > 0 || given.length !== expected.length) {
    throw tlError('TL_LAKE_WRITE', {
      file: where(),
      reason: `partition of ${table} must be exactly {${expected.join(', ')}}, got {${given.join(', ')}}`,
    });
  }
  const parts: string[] = [];
  for (const col of t.partitions) {
    const value = partition[col.name];
    const bad =
      typeof value !== 'string'
        ? 'is missing'
        : (badPathPart(value) ??
          (value.includes('=') ? 'contains "="' : undefined) ??
          (col.type === 'DATE' && !isIsoDate(value) ? 'is not a date YYYY-MM-DD' : undefined));
    if (bad) throw tlError('TL_LAKE_WRITE', { file: where(), reason: `partition value ${col.name}="${value}" ${bad}` });
    parts.push(`${col.name}=${value}`);
  }
  return join(lakeDir, table, ...parts);
}

/** Partition values of a directory relative to the table directory, e.g. `window=1m/date=2026-01-01`. */
export function parseHivePath(relative: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const seg of relative.split(/[/\\]/).filter(Boolean)) {
    const eq = seg.indexOf('=');
    if (eq <= 0) continue;
    out[seg.slice(0, eq)] = seg.slice(eq + 1);
  }
  return out;
}

function isIsoDate(v: string): boolean {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(v)) return false;
  const d = new Date(`${v}T00:00:00Z`);
  return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === v;
}

/** UTC calendar date `YYYY-MM-DD` of an epoch-millisecond instant: the `date` partition of a row. */
export function utcDate(epochMs: number): string {
  return new Date(epochMs).toISOString().slice(0, 10);
}
