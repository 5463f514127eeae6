/**
 * POST /api/uploads against a real broker: its own token (the query token does not open it, nor the other way
 * round); a dry run answers every error by Sheet!Cell and publishes nothing; rows with errors are refused with 422
 * and the report beside the error; a macro-enabled workbook, an oversized file and a zip bomb are refused with
 * their codes and statuses, nothing published; a good workbook uploaded over a real socket (fetch + FormData) is
 * published, read back with kcat.
 */

import { deflateRawSync } from 'node:zlib';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningBroker } from '../../broker/index.js';
import { declaredLakeTables } from '../../processors/tables/lake-tables.js';
import { writeZip } from '../../producers/workbook/zip-write.js';
import { useBroker } from '../../test/helpers/broker.js';
import { LakeFixture } from '../../test/helpers/lake-fixture.js';
import { n, pythonWorkbook, pythonWritersAvailable, rowsToCells, s } from '../../test/helpers/python-workbook.js';
import { SHOP, shopWorkbook } from '../../test/helpers/retail-shop.js';
import { kcatMessages, publishedCounts, RETAIL_TOPICS } from '../../test/helpers/retail-topics.js';
import { requireTool } from '../../test/helpers/tools.js';
import { buildApp } from '../app.js';

const ready = pythonWritersAvailable() && Boolean(requireTool('kcat'));
const MAX_BYTES = 256 * 1024;
const nothing = Object.fromEntries(RETAIL_TOPICS.map((t) => [t, 0]));

/** A multipart body the way a browser sends it: fields, then the files. */
async function multipart(files: { name: string; data: Buffer }[], fields: Record<string, string> = {}) {
  const fd = new FormData();
  for (const [k, v] of Object.entries(fields)) fd.append(k, v);
  for (const f of files) fd.append('file', new Blob([f.data]), f.name);
  const req = new Request('http://localhost/', { method: 'POST', body: fd });
  return { payload: Buffer.from(await req.arrayBuffer()), type: req.headers.get('content-type') as string };
}

describe.skipIf(!ready)('POST /api/uploads', () => {
  let broker: RunningBroker;
  let lake: LakeFixture;
  let app: FastifyInstance;
  let bad: Buffer;

  const embedded = useBroker('ticklake-api-uploads');
  beforeAll(async () => {
    broker = embedded.broker;
    lake = await LakeFixture.create();
    app = await buildApp({
      lakeDir: lake.dir,
      token: 'admin-secret',
      uploads: { brokers: [broker.address], token: 'accountant', maxBytes: MAX_BYTES, maxUnpacked: 8 * 2 ** 20 },
    });
    bad = pythonWorkbook({
      writer: 'xlsxwriter',
      sheets: [
        {
          name: 'Invoices',
          cells: rowsToCells([
            [s('invoice'), s('line'), s('date'), s('client'), s('product'), s('quantity')],
            [s('F1'), n(1), s('2026-02-01'), s('C1'), s('P1'), s('-3')],
            [s('F1'), n(2), s('2026-02-30'), s('C1'), s('P1'), n(1)],
          ]),
        },
      ],
    });
  }, 60_000);
  afterAll(async () => {
    await app?.close();
    lake?.close();
  });

  async function post(
    files: { name: string; data: Buffer }[],
    fields: Record<string, string> = {},
    token = 'accountant',
  ) {
    const { payload, type } = await multipart(files, fields);
    return app.inject({
      method: 'POST',
      url: '/api/uploads',
      payload,
      headers: { 'content-type': type, ...(token ? { authorization: `Bearer ${token}` } : {}) },
    });
  }

  it('GET /api/uploads says what the server takes, and whether its lake has the retail tables', async () => {
    // this app: brokers and an upload token, a lake session without the declared tables
    expect((await app.inject('/api/uploads')).json()).toEqual({
      publish: true,
      token: true,
      maxBytes: MAX_BYTES,
      retailTables: false,
    });
    // a server without Kafka and token, over the declared tables (the bundled sql/)
    const other = await buildApp({
      lakeDir: lake.dir,
      tables: await declaredLakeTables([]),
      uploads: { maxBytes: 1000, maxUnpacked: 2000 },
    });
    try {
      expect((await other.inject('/api/uploads')).json()).toEqual({
        publish: false,
        token: false,
        maxBytes: 1000,
        retailTables: true,
      });
    } finally {
      await other.close();
    }
  });

  it('needs the upload token: none, or the query token, is 401', async () => {
    for (const token of ['', 'admin-secret']) {
      const r = await post([{ name: 'x.xlsx', data: bad }], { dry_run: 'true' }, token);
      expect([r.statusCode, r.json().error.code]).toEqual([401, 'TL_API_UNAUTHORIZED']);
    }
    // and the upload token does not open the query route
    const q = await app.inject({
      method: 'POST',
      url: '/api/query',
      payload: { sql: 'select 1' },
      headers: { authorization: 'Bearer accountant' },
    });
    expect(q.statusCode).toBe(401);
  });

  it('a dry run answers every error with its cell, rule and value; nothing is published', async () => {
    const r = await post([{ name: 'bad.xlsx', data: bad }], { dry_run: 'true' });
    expect(r.statusCode).toBe(200);
    const report = r.json().report;
    expect(report.status).toBe('dry-run');
    expect(
      report.errors.map((e: { sheet: string; cell: string; rule: string; value: string }) => [
        e.sheet,
        e.cell,
        e.rule,
        e.value,
      ]),
    ).toEqual([
      ['Invoices', 'F2', 'positive', '-3'],
      ['Invoices', 'C3', 'date', '2026-02-30'],
    ]);
    expect(await publishedCounts([broker.address])).toEqual(nothing);
  });

  it('rows with errors: 422 TL_DATA_INVALID_ROWS with the report beside the error; nothing published', async () => {
    const r = await post([{ name: 'bad.xlsx', data: bad }]);
    expect(r.statusCode).toBe(422);
    const body = r.json();
    expect(body.error).toEqual({
      code: 'TL_DATA_INVALID_ROWS',
      message: '2 errors in 2 rows; nothing was published (fix them, or upload again skipping bad rows)',
    });
    expect(body.report.errors[0].message).toBe('Invoices!F2: quantity "-3" must be a positive number');
    expect(await publishedCounts([broker.address])).toEqual(nothing);
  });

  it('refusals: macros 415, oversized 413, zip bomb 413, bad flag 400, no file 400; nothing published', async () => {
    const macro = pythonWorkbook({
      writer: 'openpyxl',
      sheets: [{ name: 'Products', cells: rowsToCells([[s('product_id'), s('name')]]) }],
      extra_parts: { 'xl/vbaProject.bin': 'VBA' },
    });
    const size = 64 * 2 ** 20;
    const bomb = writeZip([
      {
        name: 'xl/worksheets/sheet1.xml',
        method: 8,
        crc32: 0,
        data: deflateRawSync(Buffer.alloc(size)),
        uncompressedSize: size,
      },
    ]);
    const cases: [string, Awaited<ReturnType<typeof post>>][] = [
      ['macro', await post([{ name: 'shop.xlsx', data: macro }])],
      ['oversized', await post([{ name: 'big.xlsx', data: Buffer.alloc(MAX_BYTES + 1) }])],
      ['bomb', await post([{ name: 'bomb.xlsx', data: bomb }])],
      ['flag', await post([{ name: 'bad.xlsx', data: bad }], { dry_run: 'maybe' })],
      ['none', await post([], { dry_run: 'true' })],
    ];
    expect(cases.map(([what, r]) => [what, r.statusCode, r.json().error.code])).toEqual([
      ['macro', 415, 'TL_DATA_MACROS'],
      ['oversized', 413, 'TL_DATA_FILE_TOO_LARGE'],
      ['bomb', 413, 'TL_DATA_UNPACKED_TOO_LARGE'],
      ['flag', 400, 'TL_API_BAD_PARAM'],
      ['none', 400, 'TL_API_BAD_PARAM'],
    ]);
    for (const [, r] of cases) expect(Object.keys(r.json())).toEqual(['error']);
    const notMultipart = await app.inject({
      method: 'POST',
      url: '/api/uploads',
      payload: { file: 'x' },
      headers: { authorization: 'Bearer accountant' },
    });
    expect([notMultipart.statusCode, notMultipart.json().error.code]).toEqual([400, 'TL_API_BAD_PARAM']);
    expect(await publishedCounts([broker.address])).toEqual(nothing);
  });

  it('a good workbook over a real socket (fetch, FormData) is published', async () => {
    const address = await app.listen({ host: '127.0.0.1', port: 0 });
    const fd = new FormData();
    fd.append('as_of', '2026-03-01');
    fd.append('file', new Blob([pythonWorkbook(shopWorkbook(SHOP, 'openpyxl'))]), 'shop.xlsx');
    const res = await fetch(`${address}/api/uploads`, {
      method: 'POST',
      body: fd,
      headers: { authorization: 'Bearer accountant' },
    });
    expect(res.status).toBe(200);
    const { report } = (await res.json()) as {
      report: { status: string; published: Record<string, number>; asOf: string };
    };
    expect(report.status).toBe('published');
    expect(report.asOf).toBe('2026-03-01');
    expect(report.published).toEqual({
      products: SHOP.products.length,
      clients: SHOP.clients.length,
      invoiceLines: SHOP.lines.length,
    });
    const lines = await kcatMessages(broker.address, 'sales.invoices');
    expect(lines.map((m) => JSON.parse(m.key as string).invoice_id).sort()).toEqual(
      SHOP.lines.map((l) => l.invoice).sort(),
    );
    expect(await kcatMessages(broker.address, 'retail.as_of')).toMatchObject([
      { value: '{"id":"shop","as_of":"2026-03-01"}' },
    ]);
  });
});
