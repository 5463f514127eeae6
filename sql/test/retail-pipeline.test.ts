/**
 * The retail analytics end to end with real components: a shop written by Debian's xlsxwriter with every quirk
 * (test/helpers/retail-shop.ts) uploaded to the embedded broker, the keyed-table engine run until idle into the lake
 * and a MariaDB, then every report, job and check compared with figures computed in TypeScript from the shop's rows
 * (retail-shop.ts), and MySQL's hot tables with the lake's views. Then, in order: the same workbook again changes
 * no row anywhere; a corrected workbook changes exactly the corrected rows; a full replace deletes what it leaves
 * out, in the lake and in MySQL.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningBroker } from '../../broker/index.js';
import type { ChangelogTable } from '../../lake/changelog.js';
import { type JsonValue, jsonRow } from '../../lake/json-value.js';
import { queryAll } from '../../lake/query.js';
import { runChecks } from '../../lake/run-sql-file.js';
import { LakeSession } from '../../lake/session.js';
import { SqlCatalog } from '../../lake/sql-catalog.js';
import { bindParams } from '../../lake/sql-params.js';
import { declaredLakeTables } from '../../processors/tables/lake-tables.js';
import { startTablesProcessor, type TablesStats } from '../../processors/tables/processor.js';
import { runUpload, type UploadReport } from '../../producers/workbook/upload.js';
import { useBroker } from '../../test/helpers/broker.js';
import {
  createDatabase,
  queryMysql,
  startTestMysql,
  type TestMysql,
  testMysqlAvailable,
} from '../../test/helpers/mysql.js';
import { pythonWorkbook, pythonWritersAvailable } from '../../test/helpers/python-workbook.js';
import {
  AS_OF,
  expectedLines,
  expectedLossRisk,
  expectedLoyalty,
  expectedRevenueByMonth,
  expectedRfm,
  expectedTopProducts,
  SHOP,
  type Shop,
  shopWorkbook,
  UPLOADED_AT,
} from '../../test/helpers/retail-shop.js';

const RETAIL_SOURCES = ['products', 'crm_clients', 'invoice_lines', 'retail_as_of'];
const HOT = ['products', 'invoice_lines', 'clients', 'product_winners', 'loss_risk_products'];
const LIMITS = { maxBytes: 2 ** 20, maxUnpacked: 16 * 2 ** 20 };
const ready = testMysqlAvailable() && pythonWritersAvailable();

type Row = Record<string, JsonValue>;
const money = (cents: number | null) => (cents === null ? null : (cents / 100).toFixed(2));

describe.skipIf(!ready)('retail analytics: upload → engine → lake and MySQL', () => {
  let dir: string;
  let broker: RunningBroker;
  let my: TestMysql;
  let mysqlUrl: string;
  let session: LakeSession;
  let tables: ChangelogTable[];
  const reports = SqlCatalog.load('report');
  const checks = SqlCatalog.load('check');

  const embedded = useBroker('ticklake-retail');
  beforeAll(async () => {
    ({ dir, broker } = embedded);
    my = await startTestMysql();
    mysqlUrl = await createDatabase(my.url, 'retail_pipeline');
    tables = await declaredLakeTables([]);
  }, 60_000);
  afterAll(async () => {
    session?.close();
    await my?.close();
  });

  async function upload(shop: Shop, opts: { fullReplace?: boolean; now?: number } = {}): Promise<UploadReport> {
    const data = pythonWorkbook(shopWorkbook(shop, 'xlsxwriter'));
    return runUpload([{ name: 'shop.xlsx', data }], {
      limits: LIMITS,
      brokers: [broker.address],
      asOf: AS_OF,
      now: opts.now ?? UPLOADED_AT,
      fullReplace: opts.fullReplace,
      lake: session,
    });
  }

  /** The keyed-table engine over the retail sources until every message is processed and delivered. */
  async function processAll(): Promise<TablesStats> {
    const proc = await startTablesProcessor({
      brokers: [broker.address],
      lakeDir: join(dir, 'lake'),
      stateDir: join(dir, 'state'),
      mysqlUrl,
      sources: RETAIL_SOURCES,
      untilIdle: true,
      foldEveryMs: 0,
    });
    if (!proc) throw new Error('no retail sources declared');
    const stats = await proc.done;
    session ??= await LakeSession.open({ lakeDir: join(dir, 'lake'), confined: false, tables });
    return stats;
  }

  async function sql(text: string): Promise<Row[]> {
    const r = await queryAll(session, text, { stream: false });
    return r.rows.map(
      (row) =>
        jsonRow(
          r.columns.map((c) => c.name),
          row,
        ) as Row,
    );
  }

  async function report(name: string, params: Record<string, string> = {}): Promise<Row[]> {
    const f = reports.get(name);
    const { values, types } = bindParams(f, params);
    const r = await queryAll(session, f.sql, { params: values, types, stream: false });
    return r.rows.map(
      (row) =>
        jsonRow(
          r.columns.map((c) => c.name),
          row,
        ) as Row,
    );
  }

  /** Rows of a declared table, every column as text (booleans as 1/0), in key order: the lake view or MySQL. */
  async function dump(
    table: string,
    from: 'lake' | 'mysql',
    withLsn = false,
  ): Promise<Record<string, string | null>[]> {
    const t = tables.find((x) => x.name === table) as ChangelogTable;
    const cols = [
      ...t.columns.map((c) => ({ name: c.name, type: c.type })),
      ...(withLsn ? [{ name: '_lsn', type: 'BIGINT' }] : []),
    ];
    const order = t.key.map((k) => `\`${k}\``).join(', ');
    if (from === 'mysql') {
      const list = cols.map((c) => `CAST(\`${c.name}\` AS CHAR) AS \`${c.name}\``).join(', ');
      return queryMysql(mysqlUrl, `SELECT ${list} FROM \`${table}\` ORDER BY ${order}`);
    }
    // as MySQL prints them: booleans 1/0, DATETIME(6) with microseconds
    const text = (c: { name: string; type: string }) =>
      c.type === 'BOOLEAN'
        ? `CAST(CAST("${c.name}" AS INTEGER) AS VARCHAR)`
        : c.type === 'TIMESTAMP'
          ? `strftime("${c.name}", '%Y-%m-%d %H:%M:%S.%f')`
          : `CAST("${c.name}" AS VARCHAR)`;
    const list = cols.map((c) => `${text(c)} AS "${c.name}"`).join(', ');
    const src = withLsn
      ? `(SELECT * FROM ${table}_changes QUALIFY row_number() OVER (PARTITION BY ${t.key.map((k) => `"${k}"`).join(', ')} ORDER BY _lsn DESC) = 1 AND _op <> 'd')`
      : `"${table}"`;
    return (await sql(`SELECT ${list} FROM ${src} ORDER BY ${t.key.map((k) => `"${k}"`).join(', ')}`)) as Record<
      string,
      string | null
    >[];
  }

  async function changeCounts(): Promise<Record<string, number>> {
    const out: Record<string, number> = {};
    for (const t of tables) out[t.name] = Number((await sql(`SELECT count(*) AS n FROM "${t.name}_changes"`))[0].n);
    return out;
  }

  it('a quirky xlsxwriter workbook: every report equals the figures computed from its rows', async () => {
    const r = await upload(SHOP);
    expect(r.status).toBe('published');
    expect(r.errors).toEqual([]);
    const stats = await processAll();
    expect(stats.rejected).toBe(0);

    // every line, priced at the buy price in effect on its date
    const lines = expectedLines(SHOP);
    const lp = await sql(
      'SELECT invoice_id, line, category, sell_price::VARCHAR AS sell, buy_price::VARCHAR AS buy, revenue::VARCHAR AS revenue, cost::VARCHAR AS cost, profit::VARCHAR AS profit FROM line_profit ORDER BY invoice_id, line',
    );
    expect(lp).toEqual(
      lines.map((l) => ({
        invoice_id: l.invoice,
        line: l.line,
        category: l.category,
        sell: l.sell,
        buy: l.buy,
        revenue: money(l.revenue),
        cost: money(l.cost),
        profit: money(l.profit),
      })),
    );
    // by hand: F1 (15 Jan) at P4's January price 5.00, F2 (10 Feb) at February's 6.00; today's price (6.00)
    // would make F1 3,000.00; F5 (20 Dec) is before any price: the first one (5.00)
    const profit = (inv: string) => lp.find((x) => x.invoice_id === inv && x.line === 1)?.profit;
    expect([profit('F1'), profit('F2'), profit('F5')]).toEqual(['4000.00', '500.00', '8.00']);

    expect(await report('top-products')).toEqual(
      expectedTopProducts(lines, SHOP).map((p) => ({
        ...p,
        category: SHOP.products.find((x) => x.id === p.product_id)?.category,
      })),
    );
    const feb = lines.filter((l) => l.date >= '2026-02-01' && l.date <= '2026-02-28');
    expect(
      (await report('top-products', { from: '2026-02-01', to: '2026-02-28', limit: '2' })).map((x) => [
        x.product_id,
        x.profit,
      ]),
    ).toEqual(expectedTopProducts(feb, SHOP, 2).map((p) => [p.product_id, p.profit]));

    const risk = await report('loss-risk');
    expect(
      risk.map((x) => ({
        product_id: x.product_id,
        stock_value: x.stock_value,
        days_to_expiry: x.days_to_expiry,
        last_movement: x.last_movement,
        reason: x.reason,
      })),
    ).toEqual(expectedLossRisk(SHOP));
    expect(risk.map((x) => [x.product_id, x.reason])).toEqual([
      ['P3', 'no movement'],
      ['P1', 'expiring'],
      ['P2', 'expired'],
    ]);

    const loyalty = await report('client-loyalty');
    expect(
      loyalty.map(({ client_id, revenue, orders, last_purchase, tier, eligible_promo }) => ({
        client_id,
        revenue,
        orders,
        last_purchase,
        tier,
        eligible_promo,
      })),
    ).toEqual(expectedLoyalty(lines, SHOP));
    expect(loyalty[0]).toMatchObject({ client_id: 'C1', revenue: 10722, tier: 'platinum', eligible_promo: true });
    expect((await report('client-loyalty', { promo: '20000', gold: '10000' }))[0]).toMatchObject({
      tier: 'gold',
      eligible_promo: false,
    });

    expect(
      (await report('revenue-by-month')).map(({ month, category, revenue, profit, lines: n }) => ({
        month,
        category,
        revenue,
        profit,
        lines: n,
      })),
    ).toEqual(expectedRevenueByMonth(lines));
    expect(
      (await report('rfm-segments')).map(({ client_id, recency_days, frequency, r, f, m, segment }) => ({
        client_id,
        recency_days,
        frequency,
        r,
        f,
        m,
        segment,
      })),
    ).toEqual(expectedRfm(lines));

    const results = await runChecks(
      session,
      checks,
      ['sell-below-buy', 'negative-stock', 'unknown-references', 'future-invoices'],
      {
        'future-invoices': { today: AS_OF },
      },
    );
    const rows = Object.fromEntries(results.map((c) => [c.name, c.rows.map((row) => jsonRow(c.columns, row))]));
    expect(rows['sell-below-buy'].map((x) => [x.kind, x.product_id, x.invoice_id])).toEqual([
      ['product', 'P5', null],
      ['invoice line', 'P5', 'F3'],
    ]);
    expect(rows['negative-stock'].map((x) => [x.product_id, x.stock_qty])).toEqual([['P5', -3]]);
    expect(rows['unknown-references'].map((x) => [x.invoice_id, x.problem])).toEqual([
      ['F6', 'unknown product'],
      ['F8', 'unknown client'],
    ]);
    expect(rows['future-invoices'].map((x) => x.invoice_id)).toEqual(['F7']);
  }, 120_000);

  it('the hot tables in MySQL equal the lake views (and the loss-risk job its report)', async () => {
    for (const t of HOT) expect({ t, rows: await dump(t, 'mysql') }).toEqual({ t, rows: await dump(t, 'lake') });
    const job = await sql(
      'SELECT product_id, reason, stock_value AS v FROM loss_risk_products ORDER BY stock_value DESC, product_id',
    );
    expect(job).toEqual(
      (await report('loss-risk')).map((x) => ({ product_id: x.product_id, reason: x.reason, v: x.stock_value })),
    );
    const winners = await sql('SELECT place, product_id FROM product_winners ORDER BY place');
    expect(winners.map((w) => w.product_id)).toEqual(
      expectedTopProducts(expectedLines(SHOP), SHOP).map((p) => p.product_id),
    );
    const clients = await dump('clients', 'lake');
    expect(clients.map((c) => [c.client_id, c.tier, c.eligible_promo])).toEqual(
      expectedLoyalty(expectedLines(SHOP), SHOP)
        .map((c) => [c.client_id, c.tier, c.eligible_promo ? '1' : '0'])
        .sort((a, b) => String(a[0]).localeCompare(String(b[0]))),
    );
  }, 60_000);

  it('uploading the same workbook again changes no row in the lake or MySQL', async () => {
    const before = await changeCounts();
    const mysqlBefore = Object.fromEntries(await Promise.all(HOT.map(async (t) => [t, await dump(t, 'mysql', true)])));
    const r = await upload(SHOP, { now: UPLOADED_AT + 3_600_000 });
    expect(r.status).toBe('published');
    const stats = await processAll();
    expect(stats.consumed).toBeGreaterThan(0);
    expect(stats.changes).toBe(0);
    expect(await changeCounts()).toEqual(before);
    for (const t of HOT) expect({ t, rows: await dump(t, 'mysql', true) }).toEqual({ t, rows: mysqlBefore[t] });
  }, 120_000);

  it('a corrected workbook changes exactly the corrected rows', async () => {
    const corrected: Shop = {
      ...SHOP,
      products: SHOP.products.map((p) => (p.id === 'P3' ? { ...p, stock: 25 } : p)),
      lines: SHOP.lines.map((l) => (l.invoice === 'F4' && l.line === 2 ? { ...l, qty: 5 } : l)),
    };
    const before = await changeCounts();
    const productsBefore = await dump('products', 'mysql');
    const linesBefore = await dump('invoice_lines', 'mysql');
    await upload(corrected, { now: UPLOADED_AT + 7_200_000 });
    await processAll();
    const after = await changeCounts();
    const newChanges = async (t: string) =>
      sql(`SELECT * EXCLUDE (_lsn, _ts) FROM "${t}_changes" ORDER BY _lsn OFFSET ${before[t]}`);
    expect((await newChanges('products')).map((c) => [c.product_id, c._op, c.stock_qty])).toEqual([['P3', 'u', 25]]);
    expect((await newChanges('invoice_lines')).map((c) => [c.invoice_id, c.line, c._op, c.quantity])).toEqual([
      ['F4', 2, 'u', 5],
    ]);
    expect(after.crm_clients).toBe(before.crm_clients);
    // the results are updated, never wiped and rewritten: the hot tables log only the rows the correction moves
    // (C3's revenue; P3's value at risk; P6's profit, from F4/2, in its place among the winners)
    expect((await newChanges('clients')).map((c) => [c.client_id, c._op])).toEqual([['C3', 'u']]);
    expect((await newChanges('loss_risk_products')).map((c) => [c.product_id, c._op])).toEqual([['P3', 'u']]);
    expect((await newChanges('product_winners')).map((c) => [c.product_id, c._op])).toEqual([['P6', 'u']]);
    // MySQL: only those rows differ
    const diff = (a: Record<string, unknown>[], b: Record<string, unknown>[]) =>
      b.filter((row, i) => JSON.stringify(row) !== JSON.stringify(a[i]));
    expect(diff(productsBefore, await dump('products', 'mysql')).map((p) => [p.product_id, p.stock_qty])).toEqual([
      ['P3', '25.000'],
    ]);
    expect(diff(linesBefore, await dump('invoice_lines', 'mysql')).map((p) => [p.invoice_id, p.quantity])).toEqual([
      ['F4', '5.000'],
    ]);
    // and what follows from them: C3's revenue (F4/2 at its unit price 3.80 × 5), P3's value at risk (25 × 2.00)
    const c3 = (await report('client-loyalty')).find((c) => c.client_id === 'C3');
    expect(c3?.revenue).toBe(
      expectedLoyalty(expectedLines(corrected), corrected).find((c) => c.client_id === 'C3')?.revenue,
    );
    expect((await sql("SELECT stock_value::VARCHAR AS v FROM loss_risk_products WHERE product_id = 'P3'"))[0].v).toBe(
      '50.00',
    );
    for (const t of HOT) expect({ t, rows: await dump(t, 'mysql') }).toEqual({ t, rows: await dump(t, 'lake') });
  }, 120_000);

  it('a full replace deletes the products and clients it leaves out, in the lake and in MySQL', async () => {
    const replaced: Shop = {
      ...SHOP,
      products: SHOP.products.filter((p) => p.id !== 'P6').map((p) => (p.id === 'P3' ? { ...p, stock: 25 } : p)),
      clients: SHOP.clients.filter((c) => c.id !== 'C4'),
      lines: SHOP.lines.map((l) => (l.invoice === 'F4' && l.line === 2 ? { ...l, qty: 5 } : l)),
    };
    const r = await upload(replaced, { fullReplace: true, now: UPLOADED_AT + 10_800_000 });
    expect(r.deleted).toEqual({ products: ['P6'], clients: ['C4'] });
    await processAll();
    expect((await sql('SELECT product_id FROM products ORDER BY 1')).map((p) => p.product_id)).toEqual([
      'P1',
      'P2',
      'P3',
      'P4',
      'P5',
    ]);
    expect(
      (await sql("SELECT _op FROM products_changes WHERE product_id = 'P6' ORDER BY _lsn")).map((c) => c._op),
    ).toEqual(['c', 'd']);
    expect((await sql('SELECT client_id FROM crm_clients ORDER BY 1')).map((c) => c.client_id)).toEqual([
      'C1',
      'C2',
      'C3',
    ]);
    expect(
      (await queryMysql<{ id: string }>(mysqlUrl, 'SELECT product_id AS id FROM products ORDER BY 1')).map((x) => x.id),
    ).toEqual(['P1', 'P2', 'P3', 'P4', 'P5']);
    expect(
      (await queryMysql<{ id: string }>(mysqlUrl, 'SELECT client_id AS id FROM clients ORDER BY 1')).map((x) => x.id),
    ).toEqual(['C1', 'C2', 'C3']);
    // the lines of the deleted product stay (priced from its history) and are now lines of an unknown product
    expect((await sql("SELECT profit::VARCHAR AS p FROM line_profit WHERE invoice_id = 'F4' AND line = 2"))[0].p).toBe(
      '6.50',
    );
    const [unknown] = await runChecks(session, checks, ['unknown-references']);
    expect(
      unknown.rows.map((row) => jsonRow(unknown.columns, row)).map((x) => [x.invoice_id, x.line, x.problem]),
    ).toEqual([
      ['F4', 2, 'unknown product'],
      ['F6', 1, 'unknown product'],
      ['F8', 1, 'unknown client'],
    ]);
    for (const t of HOT) expect({ t, rows: await dump(t, 'mysql') }).toEqual({ t, rows: await dump(t, 'lake') });
  }, 120_000);
});
