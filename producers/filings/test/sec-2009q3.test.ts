/**
 * The real SEC Financial Statement Data Sets quarter 2009q3 (public-domain SEC data, read from the shared data
 * folder beside the project, never copied into it): loaded with `filings load`'s code through the embedded broker
 * and `ticklake process`, then the concept coverage report and several KPIs compared with an independent
 * computation over the raw sub.txt and num.txt rows, in plain SQL on a separate DuckDB over the extracted files.
 * Skipped, saying so, when the file is absent.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type JsonValue, jsonRow } from '../../../lake/json-value.js';
import { runSqlFile } from '../../../lake/run-sql-file.js';
import type { LakeSession } from '../../../lake/session.js';
import { SqlCatalog } from '../../../lake/sql-catalog.js';
import { type FilingsLake, startFilingsLake } from '../../../test/helpers/filings-lake.js';
import { DEBIAN_PYTHON } from '../../../test/helpers/tools.js';

const ROOT = resolve(import.meta.dirname, '..', '..', '..');
/** `../shared/…` beside the project (CI, the main checkout); a worktree sits one level deeper. */
const ZIP = [join(ROOT, '..', 'shared'), join(ROOT, '..', '..', 'shared')]
  .map((d) => join(d, 'data', 'sec-fsds', '2009q3.zip'))
  .find((p) => existsSync(p));
const ABSENT = 'SKIPPED: ../shared/data/sec-fsds/2009q3.zip is not present (public SEC data, never copied here)';
if (!ZIP) console.warn(`sec-2009q3.test.ts: ${ABSENT}`);

describe.skipIf(!ZIP)(ZIP ? 'the real SEC 2009q3 quarter' : `the real SEC 2009q3 quarter — ${ABSENT}`, () => {
  let dir: string;
  let raw: string;
  let lake: FilingsLake;
  let session: LakeSession;
  let indep: Awaited<ReturnType<DuckDBInstance['connect']>>;
  let published: Record<string, number>;

  const sql = async (q: string) => (await indep.runAndReadAll(q)).getRowObjectsJS();
  async function report(kind: 'report' | 'check', name: string, params: Record<string, string> = {}) {
    const q = await runSqlFile(session, SqlCatalog.load(kind).get(name), params);
    const names = q.columns.map((c) => c.name);
    return (await q.all()).map((r) => jsonRow(names, r));
  }

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ticklake-sec2009q3-'));
    raw = join(dir, 'raw');
    execFileSync(DEBIAN_PYTHON, [
      '-c',
      'import sys, zipfile; zipfile.ZipFile(sys.argv[1]).extractall(sys.argv[2])',
      ZIP!,
      raw,
    ]);
    lake = await startFilingsLake(dir);
    const [summary] = await lake.load([ZIP!]);
    expect(summary.bad).toEqual([]);
    published = summary.published;
    await lake.process();
    session = await lake.session();
    const inst = await DuckDBInstance.create(':memory:');
    indep = await inst.connect();
    const read = (f: string) =>
      `read_csv('${join(raw, f)}', delim = '\t', header = true, quote = '', all_varchar = true)`;
    // the submissions in effect: 10-K/10-Q, the latest accepted per company, period and form (amendments win)
    await indep.run(`create table subs as select * from (
        select *, replace(form, '/A', '') as base, row_number() over (partition by cik, period, replace(form, '/A', '')
          order by accepted desc, adsh desc) as rn,
          case fp when 'Q1' then '1' when 'Q2' then '2' when 'Q3' then '3' when 'FY' then '4' end as ytd
        from ${read('sub.txt')}
        where replace(form, '/A', '') in ('10-K', '10-Q') and fp in ('Q1', 'Q2', 'Q3', 'FY')) where rn = 1`);
    await indep.run(`create table nums as select n.adsh, n.tag, n.qtrs, n.value::double as value, s.ytd
        from ${read('num.txt')} n join subs s on s.adsh = n.adsh
        where n.coreg is null and n.ddate = s.period and n.value is not null and n.version <> n.adsh`);
  }, 300_000);
  afterAll(async () => {
    indep?.closeSync();
    session?.close();
    await lake?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('every row of the quarter is published: as many messages as data lines', () => {
    const lines = (f: string) =>
      readFileSync(join(raw, f), 'utf8')
        .split('\n')
        .filter((l) => l !== '').length - 1;
    expect(published).toMatchObject({
      'filings.submissions': lines('sub.txt'),
      'filings.numbers': lines('num.txt'),
      'filings.tags': lines('tag.txt'),
      'filings.presentation': lines('pre.txt'),
    });
    expect(published['filings.numbers']).toBe(116_671);
  });

  it('the concept coverage report equals counts over the raw num.txt rows', async () => {
    const cov = Object.fromEntries((await report('report', 'fundamentals-coverage')).map((r) => [r.concept, r]));
    const [{ periods }] = await sql('select count(*)::integer as periods from subs');
    const has = async (tags: string[], qtrs: string) =>
      Number(
        (
          await sql(`select count(distinct adsh)::integer as n from nums
                     where tag in (${tags.map((t) => `'${t}'`).join(',')}) and ${qtrs}`)
        )[0].n,
      );
    expect(cov.assets.periods).toBe(periods);
    expect(cov.assets.reported).toBe(await has(['Assets'], "qtrs = '0'"));
    expect(cov.liabilities.reported).toBe(await has(['Liabilities'], "qtrs = '0'"));
    expect(cov.gross_profit.reported).toBe(await has(['GrossProfit'], "(qtrs = '1' or qtrs = ytd)"));
    expect(cov.current_assets.reported).toBe(await has(['AssetsCurrent'], "qtrs = '0'"));
    // liabilities derived: no Liabilities, but liabilities-and-equity and an equity total
    const [{ n: derived }] = await sql(`select count(*)::integer as n from subs s
        where not exists (select 1 from nums where adsh = s.adsh and tag = 'Liabilities' and qtrs = '0')
          and exists (select 1 from nums where adsh = s.adsh and tag = 'LiabilitiesAndStockholdersEquity' and qtrs = '0')
          and exists (select 1 from nums where adsh = s.adsh and qtrs = '0' and tag in
                      ('StockholdersEquity', 'StockholdersEquityIncludingPortionAttributableToNoncontrollingInterest'))`);
    expect(cov.liabilities.derived).toBe(derived);
    expect(Number(derived)).toBeGreaterThan(100); // on 2009q3 the derivation matters
    expect(cov.liabilities.missing).toBe(Number(periods) - Number(cov.liabilities.reported) - Number(derived));
  });

  it('KPIs equal the same ratios computed from the raw rows', async () => {
    const kpis = await report('report', 'company-kpis');
    const byAdsh = new Map(kpis.map((r) => [r.adsh, r]));
    const check = async (kpi: string, q: string) => {
      const want = await sql(q);
      expect(want.length).toBeGreaterThan(100);
      for (const w of want) {
        const got = byAdsh.get(w.adsh as string)?.[kpi] as JsonValue;
        expect([kpi, w.adsh, got === null ? null : Number(got)]).toEqual([kpi, w.adsh, expect.closeTo(Number(w.v), 9)]);
      }
    };
    const pivot = (tags: string[], qtrs: string) =>
      `select adsh, ${tags.map((t) => `max(value) filter (where tag = '${t}' and ${qtrs}) as "${t}"`).join(', ')}
       from nums group by adsh`;
    await check(
      'current_ratio',
      `select adsh, "AssetsCurrent" / "LiabilitiesCurrent" as v from (${pivot(['AssetsCurrent', 'LiabilitiesCurrent'], "qtrs = '0'")})
       where "AssetsCurrent" is not null and "LiabilitiesCurrent" <> 0`,
    );
    await check(
      'working_capital',
      `select adsh, "AssetsCurrent" - "LiabilitiesCurrent" as v from (${pivot(['AssetsCurrent', 'LiabilitiesCurrent'], "qtrs = '0'")})
       where "AssetsCurrent" is not null and "LiabilitiesCurrent" is not null`,
    );
    // the period's own figure: three months in a 10-Q, the year in a 10-K; Revenues is the map's first revenue tag
    await check(
      'net_margin',
      `select adsh, "NetIncomeLoss" / "Revenues" as v from (
         select adsh, max(value) filter (where tag = 'NetIncomeLoss' and qtrs = case when ytd = '4' then '4' else '1' end) as "NetIncomeLoss",
                max(value) filter (where tag = 'Revenues' and qtrs = case when ytd = '4' then '4' else '1' end) as "Revenues"
         from nums group by adsh)
       where "NetIncomeLoss" is not null and "Revenues" <> 0`,
    );
    await check(
      'cash_ratio',
      `select adsh, "CashAndCashEquivalentsAtCarryingValue" / "LiabilitiesCurrent" as v from (
         ${pivot(['CashAndCashEquivalentsAtCarryingValue', 'LiabilitiesCurrent'], "qtrs = '0'")})
       where "CashAndCashEquivalentsAtCarryingValue" is not null and "LiabilitiesCurrent" <> 0`,
    );
  });
});
