/**
 * sql/views/filing_standins.sql repeats the columns of the filing sources and job for sessions opened without the
 * declared tables; this keeps the two in step: a session without tables gets stand-ins whose columns and types are
 * those a session with the declared tables reads (DuckDB's own DESCRIBE of both).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { LakeSession } from '../../lake/session.js';
import { declaredLakeTables } from '../../processors/tables/lake-tables.js';

const dir = mkdtempSync(join(tmpdir(), 'ticklake-standins-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function describeAll(session: LakeSession, names: string[]) {
  const c = await session.connect();
  try {
    const out: Record<string, [string, string][]> = {};
    for (const n of names) {
      const r = await c.runAndReadAll(`describe ${n}`);
      out[n] = r.getRowObjectsJS().map((x) => [String(x.column_name), String(x.column_type)]);
    }
    return out;
  } finally {
    c.closeSync();
  }
}

describe('filing stand-ins', () => {
  it('have the declared columns and types, and the fundamentals macros run on them (no rows)', async () => {
    const names = ['filing_submissions', 'filing_facts', 'filing_concepts', 'stock_splits'];
    const bare = await LakeSession.open({ lakeDir: dir, confined: false });
    const full = await LakeSession.open({ lakeDir: dir, confined: false, tables: await declaredLakeTables() });
    try {
      expect(await describeAll(bare, names)).toEqual(await describeAll(full, names));
      const c = await bare.connect();
      try {
        const r = await c.runAndReadAll(
          `select count(*) as n from company_kpis_as_of(now()::timestamp, 'X', 0.04, 0.05, 365)`,
        );
        expect(Number(r.getRowObjectsJS()[0].n)).toBe(0);
      } finally {
        c.closeSync();
      }
    } finally {
      bare.close();
      full.close();
    }
  });
});
