/**
 * GET /api/companies and /api/companies/:id/kpis over the hand-made filings (test/helpers/filings-fixture.ts,
 * loaded through the broker and `ticklake process`): search by name, ticker and CIK; the KPIs of a company by CIK
 * or ticker in every result format (JSON, CSV, NDJSON, Arrow, Parquet) with the hand-worked numbers of 2025 Q3;
 * as_of; an unknown company and a misplaced parameter in the one error shape.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { tableFromIPC } from 'apache-arrow';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { declaredLakeTables } from '../../processors/tables/lake-tables.js';
import { writeFixtureBars, writeNewQuarter, writeOldQuarter } from '../../test/helpers/filings-fixture.js';
import { type FilingsLake, startFilingsLake } from '../../test/helpers/filings-lake.js';
import { buildApp } from '../app.js';

let dir: string;
let lake: FilingsLake;
let app: FastifyInstance;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ticklake-companies-api-'));
  lake = await startFilingsLake(dir);
  await lake.load([writeOldQuarter(dir), writeNewQuarter(dir)]);
  await lake.process();
  await writeFixtureBars(lake.lakeDir);
  app = await buildApp({ lakeDir: lake.lakeDir, tables: await declaredLakeTables() });
}, 120_000);
afterAll(async () => {
  await app?.close();
  await lake?.close();
  await rm(dir, { recursive: true, force: true });
});

const Q3 = { revenue: 1300, net_income: 210, current_ratio: 2, gross_margin: 0.4, debt_to_equity: 0.48 };
const KPIS = '/api/companies/ACME/kpis?index_symbol=IDX';

describe('/api/companies', () => {
  it('searches by part of the name or ticker, by ticker and by CIK', async () => {
    const names = async (q: string) =>
      (await app.inject(`/api/companies?${q}`)).json().rows.map((r: { name: string }) => r.name);
    expect(await names('')).toEqual(['ACME CORP', 'GLOBEX INC']);
    expect(await names('q=glob')).toEqual(['GLOBEX INC']);
    expect(await names('q=acm')).toEqual(['ACME CORP']);
    expect(await names('ticker=gbx')).toEqual(['GLOBEX INC']);
    expect(await names('cik=1001')).toEqual(['ACME CORP']);
    const acme = (await app.inject('/api/companies?cik=1001')).json().rows[0];
    expect(acme).toMatchObject({ cik: 1001, ticker: 'ACME', periods: 5, latest_period: '2025-09-30' });
    expect((await app.inject('/api/companies?as_of=2025-03-01 00:00:00&cik=1001')).json().rows[0].periods).toBe(2);
  });
});

describe('/api/companies/:id/kpis', () => {
  it('JSON by CIK and by ticker: the hand-worked 2025 Q3 figures; as_of', async () => {
    const byTicker = (await app.inject(KPIS)).json().rows;
    const byCik = (await app.inject('/api/companies/1001/kpis?index_symbol=IDX')).json().rows;
    expect(byCik).toEqual(byTicker);
    expect(byTicker.map((r: { fy: number; fp: string }) => `${r.fy} ${r.fp}`)).toEqual([
      '2024 Q3',
      '2024 FY',
      '2025 Q1',
      '2025 Q2',
      '2025 Q3',
    ]);
    expect(byTicker[4]).toMatchObject(Q3);
    const before = (await app.inject(`${KPIS}&as_of=2025-08-01 00:00:00`)).json().rows;
    expect(before.map((r: { form: string }) => r.form)).toEqual(['10-Q', '10-K', '10-Q', '10-Q']);
  });

  it('CSV, NDJSON, Arrow and Parquet carry the same rows', async () => {
    const csv = (await app.inject(`${KPIS}&format=csv`)).body.trim().split('\r\n');
    const header = csv[0].split(',');
    const last = csv[csv.length - 1].split(',');
    expect(Object.fromEntries(Object.keys(Q3).map((k) => [k, Number(last[header.indexOf(k)])]))).toEqual(Q3);
    const nd = (await app.inject({ url: KPIS, headers: { accept: 'application/x-ndjson' } })).body.trim().split('\n');
    expect(nd).toHaveLength(5);
    expect(JSON.parse(nd[4])).toMatchObject(Q3);
    const arrow = tableFromIPC((await app.inject(`${KPIS}&format=arrow`)).rawPayload);
    expect(arrow.numRows).toBe(5);
    expect(Number(arrow.getChild('revenue')?.get(4))).toBe(1300);
    const pq = await app.inject(`${KPIS}&format=parquet`);
    const file = join(dir, 'kpis.parquet');
    await writeFile(file, pq.rawPayload);
    const c = await (await DuckDBInstance.create(':memory:')).connect();
    const r = (
      await c.runAndReadAll(`select revenue::double as r, fp from '${file}' order by period`)
    ).getRowObjectsJS();
    expect(r.map((x) => x.r)).toEqual([950, 4000, 1000, 1150, 1300]);
    c.closeSync();
  });

  it('an unknown company is 404 and cik/ticker in the query are refused, in the one error shape', async () => {
    const nf = await app.inject('/api/companies/NOPE/kpis');
    expect(nf.statusCode).toBe(404);
    expect(nf.json()).toEqual({ error: { code: 'TL_API_NOT_FOUND', message: 'company "NOPE" not found' } });
    const bad = await app.inject('/api/companies/ACME/kpis?cik=1');
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.code).toBe('TL_API_BAD_PARAM');
    const typo = await app.inject('/api/companies/ACME/kpis?risk_fre=0.1');
    expect(typo.statusCode).toBe(400);
    expect(typo.json().error.message).toContain('risk_fre');
  });
});
