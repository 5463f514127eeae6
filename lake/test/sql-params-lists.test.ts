/**
 * List parameters of report and check headers (lake/sql-header.ts, lake/sql-params.ts): `-- param: symbol varchar[]`
 * takes comma-separated values (`symbol=AAPL,MSFT`), each converted as the element type, bound as a DuckDB list.
 * Before lists, `symbol=AAPL,MSFT` was one string and matched no symbol (issue 20 item 7).
 */
import { DuckDBInstance } from '@duckdb/node-api';
import { describe, expect, it } from 'vitest';
import { parseSqlFile } from '../sql-header.js';
import { bindParams } from '../sql-params.js';

const report = parseSqlFile(
  'sql/reports/x.sql',
  `-- title: T
-- description: D
-- param: symbol  varchar[]  optional  Symbols
-- param: days    date[]     optional  Days
-- param: n       integer[]  optional  default=1,2  Numbers
select s from (values ('AAPL'), ('MSFT'), ('SAP')) v(s)
where ($symbol is null or list_contains($symbol, s)) and ($days is null or true) and list_contains($n, 1)
order by s`,
);

async function run(given: Record<string, string>): Promise<string[]> {
  const db = await DuckDBInstance.create(':memory:');
  const conn = await db.connect();
  try {
    const { values, types } = bindParams(report, given);
    const stmt = await conn.prepare(report.sql);
    stmt.bind(values, types);
    return (await stmt.runAndReadAll()).getRows().map((r) => String(r[0]));
  } finally {
    conn.closeSync();
    db.closeSync();
  }
}

describe('list parameters', () => {
  it('declares list types and keeps the element type', () => {
    expect(report.params.map((p) => p.type)).toEqual(['varchar[]', 'date[]', 'integer[]']);
  });

  it('binds comma-separated values as a list; one value is a list of one; omitted is NULL', async () => {
    expect(await run({ symbol: 'AAPL,MSFT' })).toEqual(['AAPL', 'MSFT']);
    expect(await run({ symbol: ' SAP , AAPL ' })).toEqual(['AAPL', 'SAP']);
    expect(await run({ symbol: 'MSFT' })).toEqual(['MSFT']);
    expect(await run({})).toEqual(['AAPL', 'MSFT', 'SAP']);
  });

  it('refuses empty elements and elements of the wrong type, naming the parameter', () => {
    expect(() => bindParams(report, { symbol: 'AAPL,,MSFT' })).toThrow(/Parameter symbol: expected comma-separated/);
    expect(() => bindParams(report, { days: '2026-01-05,2026-13-01' })).toThrow(/Parameter days: expected a date/);
    expect(() => bindParams(report, { n: '1,x' })).toThrow(/Parameter n: expected an integer/);
  });
});
