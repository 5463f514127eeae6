/**
 * Workbooks written by other writers, with the quirks real ones have (test/helpers/retail-shop.ts: 1904 dates, a
 * formula's cached value, numbers stored as text, decimal commas, headers on row 3 under a title, blank rows,
 * aliases with accents, day-first text dates, an extra sheet): Debian's xlsxwriter and openpyxl workbooks of the
 * same shop, and the same shop as three CSV files, all give exactly the messages built here from the shop's rows.
 */
import { describe, expect, it } from 'vitest';
import { pythonWorkbook, pythonWritersAvailable } from '../../../test/helpers/python-workbook.js';
import { AS_OF, SHOP, type Shop, shopWorkbook, UPLOADED_AT } from '../../../test/helpers/retail-shop.js';
import type { TopicMessages } from '../retail-publisher.js';
import { prepareUpload } from '../upload.js';

const LIMITS = { maxBytes: 2 ** 20, maxUnpacked: 16 * 2 ** 20 };
const haveWriters = pythonWritersAvailable();

/** The messages the shop's rows should become, written out from the rows here. */
function expectedMessages(shop: Shop): Record<string, [string, unknown][]> {
  const products = [...shop.products]
    .sort((a, b) => a.id.localeCompare(b.id) || (a.priceDate ?? '').localeCompare(b.priceDate ?? ''))
    .map((p): [string, unknown] => [
      JSON.stringify({ product_id: p.id }),
      {
        product_id: p.id,
        name: p.name,
        category: p.category,
        stock_qty: p.stock.toFixed(3),
        buy_price: p.buy,
        sell_price: p.sell,
        expiry_date: p.expiry ?? null,
        last_movement: p.lastMovement ?? null,
        price_date: p.priceDate ? `${p.priceDate}T00:00:00.000Z` : null,
      },
    ]);
  const clients = shop.clients.map((c): [string, unknown] => [
    JSON.stringify({ client_id: c.id }),
    { client_id: c.id, name: c.name, city: c.city, email: c.email ?? null },
  ]);
  const lines = shop.lines.map((l): [string, unknown] => [
    JSON.stringify({ invoice_id: l.invoice, line: l.line }),
    {
      invoice_id: l.invoice,
      line: l.line,
      invoice_date: l.date,
      client_id: l.client,
      product_id: l.product,
      quantity: l.qty.toFixed(3),
      unit_price: l.unit ?? null,
    },
  ]);
  return {
    'inventory.products': products,
    'crm.clients': clients,
    'sales.invoices': lines,
    'retail.as_of': [['{"id":"shop"}', { id: 'shop', as_of: AS_OF }]],
  };
}

function byTopic(batches: TopicMessages[]): Record<string, [string, unknown][]> {
  const out: Record<string, [string, unknown][]> = {};
  for (const b of batches) {
    const list = out[b.topic] ?? [];
    out[b.topic] = list;
    for (const m of b.messages) list.push([m.key, m.value === null ? null : JSON.parse(m.value)]);
  }
  // products: by id, each product's versions in the order published (oldest first)
  out['inventory.products']?.sort((a, b) => a[0].localeCompare(b[0]));
  return out;
}

async function prepare(files: { name: string; data: Buffer }[]) {
  return prepareUpload(files, { limits: LIMITS, asOf: AS_OF, now: UPLOADED_AT });
}

describe.skipIf(!haveWriters)('workbooks from other writers', () => {
  for (const writer of ['xlsxwriter', 'openpyxl'] as const) {
    it(`${writer}: every quirk read, the messages equal the shop's rows`, async () => {
      const { report, batches } = await prepare([
        { name: `shop-${writer}.xlsx`, data: pythonWorkbook(shopWorkbook(SHOP, writer)) },
      ]);
      expect(report.errors).toEqual([]);
      expect(report.status).toBe('published');
      expect(report.sheets.map((s) => [s.sheet, s.headerRow, s.rows, s.bad])).toEqual([
        ['Products', 3, SHOP.products.length, 0],
        ['Clients', 1, SHOP.clients.length, 0],
        ['Invoices', writer === 'openpyxl' ? 3 : 1, SHOP.lines.length, 0],
      ]);
      expect(report.notices).toEqual([
        `sheet "Notes" of shop-${writer}.xlsx is not Products, Clients or Invoices: ignored`,
      ]);
      expect(byTopic(batches)).toEqual(expectedMessages(SHOP));
      // the warnings the shop plants: negative stock and sell below buy (P5), F7 after the as-of day
      const f7 = writer === 'openpyxl' ? 'C16' : 'C14';
      expect(report.warnings.map((w) => [w.rule, `${w.sheet}!${w.cell}`])).toEqual([
        ['negative-stock', 'Products!D10'],
        ['sell-below-buy', 'Products!F10'],
        ['future-date', `Invoices!${f7}`],
      ]);
    });
  }

  it('the same shop as three CSV files (one with ; and decimal commas) gives the same messages', async () => {
    const csv = (rows: (string | number | undefined)[][], sep = ',') =>
      Buffer.from(`${rows.map((r) => r.map((v) => (v === undefined ? '' : String(v))).join(sep)).join('\r\n')}\r\n`);
    const products = csv(
      [
        [
          'Product ID',
          'Name',
          'Catégorie',
          'Qty in stock',
          'Buy price',
          'Sell Price',
          'Expiry date',
          'Last movement',
          'Price date',
        ],
        ...SHOP.products.map((p) => [
          p.id,
          p.name,
          p.category,
          p.stock,
          p.buy.replace('.', ','),
          p.sell.replace('.', ','),
          p.expiry,
          p.lastMovement?.split('-').reverse().join('/'),
          p.priceDate,
        ]),
      ],
      ';',
    );
    const clients = csv([
      ['client_id', 'name', 'city', 'email'],
      ...SHOP.clients.map((c) => [c.id, `"${c.name}"`, c.city, c.email]),
    ]);
    const invoices = csv([
      ['invoice', 'line', 'date', 'client', 'product', 'qty', 'unit price'],
      ...SHOP.lines.map((l) => [l.invoice, l.line, l.date, l.client, l.product, l.qty, l.unit]),
    ]);
    const { report, batches } = await prepare([
      { name: 'shop-products.csv', data: products },
      { name: 'clients.csv', data: clients },
      { name: 'invoices.csv', data: invoices },
    ]);
    expect(report.errors).toEqual([]);
    expect(report.sheets.map((s) => s.label)).toEqual(['shop-products.csv', 'clients.csv', 'invoices.csv']);
    expect(byTopic(batches)).toEqual(expectedMessages(SHOP));
  });
});
