/**
 * sql/views/fundamentals.sql starts with stand-ins repeating the columns of the filing sources and job for sessions
 * opened without the declared tables; this keeps the two in step: a session without tables gets stand-ins whose
 * columns and types are those a session with the declared tables reads (DuckDB's own DESCRIBE of both). And every
 * view file makes a view of its own name, which GET /api/tables and the SQL page's schema browser describe (the
 * fundamentals files once made only macros, and /api/tables failed with "Table with name filing_standins does not
 * exist").
 */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
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
  it('every sql/views file makes a view of its own name, described in sessions with and without the tables', async () => {
    const files = readdirSync(join(import.meta.dirname, '..', 'views')).filter((f) => f.endsWith('.sql'));
    const names = files.map((f) => f.slice(0, -4));
    expect(names).toEqual(expect.arrayContaining(['fundamentals', 'fundamentals_kpis']));
    const bare = await LakeSession.open({ lakeDir: dir, confined: false });
    const full = await LakeSession.open({ lakeDir: dir, confined: false, tables: await declaredLakeTables() });
    try {
      for (const s of [bare, full]) {
        expect(s.viewNames()).toEqual(expect.arrayContaining(names));
        const described = await describeAll(s, names);
        expect(Object.keys(described).filter((n) => described[n].length === 0)).toEqual([]);
        expect(described.fundamentals_kpis.map(([c]) => c)).toEqual(expect.arrayContaining(['cik', 'roe', 'wacc']));
      }
    } finally {
      bare.close();
      full.close();
    }
  });

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
