/**
 * What a job's select reads, inside the engine: each name it uses (`products`, `products_history`) becomes a common
 * table expression over the engine's state, so the job's SQL runs unchanged against the current state — or against
 * only the partitions a batch touched. `<t>_history` is the lake view's own SQL (lake/changelog.ts
 * `historyViewSql`) over the engine's copy of the log, so a job computes in the engine exactly what its SQL computes
 * over the lake.
 */
import { historyViewSql } from '../../lake/changelog.js';
import { sqlIdent } from '../../lake/sql-quote.js';
import { type Decl, relationOf } from './catalog.js';
import type { TableDecl } from './source-file.js';
import { rel } from './state.js';

const q = sqlIdent;

/** Whether a relation has every one of `cols`. */
export function hasColumns(t: TableDecl, cols: readonly string[]): boolean {
  return cols.every((c) => t.columns.some((x) => x.name === c));
}

/** A semi join of `alias` to the touched partitions `_touched` (NULL matches NULL). */
export function inTouched(alias: string, partitionBy: readonly string[]): string {
  const on = partitionBy.map((p) => `${alias}.${q(p)} IS NOT DISTINCT FROM _t.${q(p)}`).join(' AND ');
  return `SEMI JOIN _touched _t ON ${on}`;
}

/**
 * `WITH a AS (...), b AS (...)` defining every relation `reads` names over the engine's state. Relations that have
 * every `partitionBy` column are restricted to the partitions in the TEMP table `_touched` (when `restrict`).
 */
export function stateCtes(
  reads: readonly string[],
  byName: Map<string, Decl>,
  opts: { partitionBy?: readonly string[]; restrict?: boolean; override?: Map<string, string> } = {},
): string {
  const defs = reads.map((r) => {
    const override = opts.override?.get(r);
    if (override !== undefined) return `${q(r)} AS (${override})`;
    const found = relationOf(r, byName);
    if (!found) throw new Error(`${r} is not declared`); // the catalog checked this
    const d = found.decl;
    const cols = d.columns.map((c) => q(c.name)).join(', ');
    const restrict =
      opts.restrict && opts.partitionBy && opts.partitionBy.length > 0 && hasColumns(d, opts.partitionBy);
    const filter = restrict ? ` ${inTouched('_r', opts.partitionBy as string[])}` : '';
    const body = found.history
      ? `SELECT * FROM (${historyViewSql(d, rel('log', d.name))}) _r${filter}`
      : `SELECT ${cols} FROM ${rel('cur', d.name)} _r${filter}`;
    return `${q(r)} AS (${body})`;
  });
  return defs.length > 0 ? `WITH ${defs.join(',\n')}` : '';
}

/** The tables whose change log some job reads (`<t>_history`): the engine keeps a log of them. */
export function tablesWithHistory(jobs: readonly { reads: string[] }[], byName: Map<string, Decl>): Set<string> {
  const out = new Set<string>();
  for (const j of jobs) {
    for (const r of j.reads) {
      const found = relationOf(r, byName);
      if (found?.history) out.add(found.decl.name);
    }
  }
  return out;
}
