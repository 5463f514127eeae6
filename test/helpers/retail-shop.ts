/**
 * A small shop for the retail tests: its products, clients and invoice lines as plain rows; the same rows as a
 * workbook spec for Debian's openpyxl or xlsxwriter with the quirks real workbooks have (python-workbook.ts); and
 * the figures every report should show, computed here from the rows in plain TypeScript — independently of the
 * upload code and of the SQL.
 *
 * Timeline (as of 2026-03-01, uploaded at 09:00 UTC): P4 costs 5.00 from 2026-01-01 and 6.00 from 2026-02-01;
 * P2 and P6 have no price date (their price holds from the upload); F5 is sold before any known price (the first
 * applies); F6 names an unknown product, F8 an unknown client, F7 is dated after the as-of day.
 */
import { d, dt, n, type PyCell, type PyWorkbookSpec, rowsToCells, s } from './python-workbook.js';

export interface ShopProduct {
  id: string;
  name: string;
  category: string;
  stock: number;
  buy: string;
  sell: string;
  expiry?: string;
  lastMovement?: string;
  priceDate?: string;
}
export interface ShopClient {
  id: string;
  name: string;
  city: string;
  email?: string;
}
export interface ShopLine {
  invoice: string;
  line: number;
  date: string;
  client: string;
  product: string;
  qty: number;
  unit?: string;
}
export interface Shop {
  products: ShopProduct[];
  clients: ShopClient[];
  lines: ShopLine[];
}

export const AS_OF = '2026-03-01';
export const UPLOADED_AT = Date.parse('2026-03-01T09:00:00Z');

export const SHOP: Shop = {
  products: [
    {
      id: 'P1',
      name: 'Milk',
      category: 'Dairy',
      stock: 12,
      buy: '1.10',
      sell: '2.20',
      expiry: '2026-03-05',
      lastMovement: '2026-02-27',
      priceDate: '2026-01-01',
    },
    {
      id: 'P2',
      name: 'Bread',
      category: 'Bakery',
      stock: 5,
      buy: '0.80',
      sell: '1.50',
      expiry: '2026-02-25',
      lastMovement: '2026-02-28',
    },
    {
      id: 'P3',
      name: 'Soap',
      category: 'Household',
      stock: 30,
      buy: '2.00',
      sell: '3.50',
      lastMovement: '2026-01-10',
      priceDate: '2026-01-01',
    },
    {
      id: 'P4',
      name: 'Coffee',
      category: 'Pantry',
      stock: 40,
      buy: '5.00',
      sell: '9.00',
      expiry: '2027-01-01',
      lastMovement: '2026-02-20',
      priceDate: '2026-01-01',
    },
    {
      id: 'P4',
      name: 'Coffee',
      category: 'Pantry',
      stock: 40,
      buy: '6.00',
      sell: '9.00',
      expiry: '2027-01-01',
      lastMovement: '2026-02-20',
      priceDate: '2026-02-01',
    },
    {
      id: 'P5',
      name: 'Chips',
      category: 'Snacks',
      stock: -3,
      buy: '1.50',
      sell: '1.20',
      lastMovement: '2026-02-01',
      priceDate: '2026-01-01',
    },
    {
      id: 'P6',
      name: 'Tea',
      category: 'Pantry',
      stock: 0,
      buy: '2.50',
      sell: '4.00',
      expiry: '2026-03-03',
      lastMovement: '2026-02-15',
    },
  ],
  clients: [
    { id: 'C1', name: 'Ann', city: 'Lyon', email: 'ann@example.com' },
    { id: 'C2', name: 'Bob', city: 'Nice', email: 'bob@example.com' },
    { id: 'C3', name: 'Cid', city: 'Lille' },
    { id: 'C4', name: 'Dee', city: 'Metz', email: 'dee@example.com' },
  ],
  lines: [
    { invoice: 'F1', line: 1, date: '2026-01-15', client: 'C1', product: 'P4', qty: 1000 },
    { invoice: 'F1', line: 2, date: '2026-01-15', client: 'C1', product: 'P1', qty: 10 },
    { invoice: 'F2', line: 1, date: '2026-02-10', client: 'C1', product: 'P4', qty: 200, unit: '8.50' },
    { invoice: 'F3', line: 1, date: '2026-02-20', client: 'C2', product: 'P2', qty: 3 },
    { invoice: 'F3', line: 2, date: '2026-02-20', client: 'C2', product: 'P5', qty: 2 },
    { invoice: 'F4', line: 1, date: '2026-02-26', client: 'C3', product: 'P1', qty: 1 },
    { invoice: 'F4', line: 2, date: '2026-02-26', client: 'C3', product: 'P6', qty: 4, unit: '3.80' },
    { invoice: 'F5', line: 1, date: '2025-12-20', client: 'C2', product: 'P4', qty: 2 },
    { invoice: 'F6', line: 1, date: '2026-02-27', client: 'C2', product: 'P9', qty: 1, unit: '5.00' },
    { invoice: 'F7', line: 1, date: '2026-03-04', client: 'C3', product: 'P2', qty: 1 },
    { invoice: 'F8', line: 1, date: '2026-02-28', client: 'C9', product: 'P1', qty: 2 },
  ],
};

/** `2026-01-15` → `15/01/2026` (day first, as text). */
const dayFirst = (iso: string) => iso.split('-').reverse().join('/');

/**
 * The shop as a workbook for `writer`, with quirks: a title and a blank row above the Products header (row 3),
 * stock as text, a blank row among the products and between invoices, header names that are aliases with accents
 * and odd case, an extra sheet; xlsxwriter: the 1904 date system, date cells, P1's sell price as a formula with its
 * cached value; openpyxl: 1900 dates, prices as text with a decimal comma, last movements as day-first text,
 * invoice dates as ISO text and the Invoices header on row 3 too.
 */
export function shopWorkbook(shop: Shop, writer: 'openpyxl' | 'xlsxwriter'): PyWorkbookSpec {
  const x = writer === 'xlsxwriter';
  const money = (v: string): PyCell => (x ? n(Number(v)) : s(v.replace('.', ',')));
  const products: (PyCell | undefined)[][] = [
    [s('Inventory export')],
    [],
    [
      s('Product ID'),
      s('Name'),
      s('Catégorie'),
      s('Qty in stock'),
      s('Buy price'),
      s('Sell Price'),
      s('Expiry date'),
      s('Last movement'),
      s('Updated at'),
    ],
  ];
  shop.products.forEach((p, i) => {
    if (i === 2) products.push([]);
    const row = products.length + 1;
    products.push([
      s(p.id),
      s(p.name),
      s(p.category),
      s(String(p.stock)),
      money(p.buy),
      x && p.id === 'P1' ? { t: 'formula', f: `=E${row}*2`, v: Number(p.sell) } : money(p.sell),
      p.expiry ? d(p.expiry) : undefined,
      p.lastMovement ? (x ? d(p.lastMovement) : s(dayFirst(p.lastMovement))) : undefined,
      p.priceDate ? dt(`${p.priceDate}T00:00:00`) : undefined,
    ]);
  });
  const clients: (PyCell | undefined)[][] = [
    [s('Customer ID'), s('Customer name'), s('CITY'), s('E-mail')],
    ...shop.clients.map((c) => [s(c.id), s(c.name), s(c.city), c.email ? s(c.email) : undefined]),
  ];
  const invoices: (PyCell | undefined)[][] = x ? [] : [[s('Sales ledger')], []];
  invoices.push([s('Invoice No'), s('Line'), s('Invoice date'), s('Client'), s('Product'), s('Qty'), s('Unit price')]);
  shop.lines.forEach((l, i) => {
    if (i > 0 && i % 3 === 0) invoices.push([]);
    invoices.push([
      s(l.invoice),
      n(l.line),
      x ? d(l.date) : s(l.date),
      s(l.client),
      s(l.product),
      n(l.qty),
      l.unit ? money(l.unit) : undefined,
    ]);
  });
  return {
    writer,
    epoch1904: x,
    sheets: [
      { name: 'Products', cells: rowsToCells(products) },
      { name: 'Clients', cells: rowsToCells(clients) },
      { name: 'Invoices', cells: rowsToCells(invoices) },
      { name: 'Notes', cells: rowsToCells([[s('Prices include VAT.')]]) },
    ],
  };
}

// ---- the expected figures, from the rows ----

const cents = (x: number) => Math.round(x * 100);
/** Cents as the number a report's decimal reads as in JSON (10722.00 → 10722). */
const money2 = (c: number) => Number((c / 100).toFixed(2));

export interface ExpectedLine {
  invoice: string;
  line: number;
  date: string;
  client: string;
  product: string;
  qty: number;
  category: string | null;
  sell: string | null;
  buy: string | null;
  /** In cents; null when unknown. */
  revenue: number | null;
  cost: number | null;
  profit: number | null;
}

/** Every line priced at the buy price in effect on its date (else the product's first known price). */
export function expectedLines(shop: Shop, uploadedAt = UPLOADED_AT): ExpectedLine[] {
  return shop.lines.map((l) => {
    const versions = shop.products
      .filter((p) => p.id === l.product)
      .map((p) => ({ p, from: p.priceDate ? Date.parse(`${p.priceDate}T00:00:00Z`) : uploadedAt }))
      .sort((a, b) => a.from - b.from);
    const endOfDay = Date.parse(`${l.date}T00:00:00Z`) + 86_400_000 - 1;
    const inEffect = versions.filter((v) => v.from <= endOfDay).pop() ?? versions[0];
    const sell = l.unit ?? inEffect?.p.sell ?? null;
    const buy = inEffect?.p.buy ?? null;
    const revenue = sell === null ? null : cents(l.qty * Number(sell));
    const cost = buy === null ? null : cents(l.qty * Number(buy));
    return {
      invoice: l.invoice,
      line: l.line,
      date: l.date,
      client: l.client,
      product: l.product,
      qty: l.qty,
      category: inEffect?.p.category ?? null,
      sell,
      buy,
      revenue,
      cost,
      profit: revenue === null || cost === null ? null : revenue - cost,
    };
  });
}

const sum = (xs: (number | null)[]) => {
  const v = xs.filter((x): x is number => x !== null);
  return v.length === 0 ? null : v.reduce((a, b) => a + b, 0);
};

/** top-products: by profit, descending, ties by id; money as text with 2 decimals. */
export function expectedTopProducts(lines: ExpectedLine[], shop: Shop, limit = 10) {
  const ids = [...new Set(lines.map((l) => l.product))];
  return ids
    .map((id) => {
      const ls = lines.filter((l) => l.product === id);
      const revenue = sum(ls.map((l) => l.revenue));
      const profit = sum(ls.map((l) => l.profit));
      return {
        product_id: id,
        name: shop.products.filter((p) => p.id === id).pop()?.name ?? null,
        revenue,
        cost: sum(ls.map((l) => l.cost)),
        profit,
        margin: revenue && profit !== null ? Math.round((profit / revenue) * 10_000) / 10_000 : null,
        units: ls.reduce((a, l) => a + l.qty, 0),
        lines: ls.length,
      };
    })
    .filter((p) => p.profit !== null)
    .sort((a, b) => (b.profit as number) - (a.profit as number) || a.product_id.localeCompare(b.product_id))
    .slice(0, limit)
    .map((p) => ({
      ...p,
      revenue: money2(p.revenue as number),
      cost: money2(p.cost as number),
      profit: money2(p.profit as number),
    }));
}

/** The latest row of every product (the last of its rows in price-date order). */
export function currentProducts(shop: Shop): ShopProduct[] {
  const m = new Map<string, ShopProduct>();
  for (const p of [...shop.products].sort((a, b) => (a.priceDate ?? '9').localeCompare(b.priceDate ?? '9')))
    m.set(p.id, p);
  return [...m.values()];
}

const days = (a: string, b: string) => Math.round((Date.parse(a) - Date.parse(b)) / 86_400_000);

/** loss-risk as of `asOf`: stock > 0 and expiring within `expiryDays` (or expired), or idle for `idleDays`. */
export function expectedLossRisk(shop: Shop, asOf = AS_OF, expiryDays = 7, idleDays = 30) {
  const out = [];
  for (const p of currentProducts(shop)) {
    if (!(p.stock > 0)) continue;
    const sales = shop.lines.filter((l) => l.product === p.id).map((l) => l.date);
    const moved =
      [p.lastMovement, ...sales]
        .filter((x): x is string => Boolean(x))
        .sort()
        .pop() ?? null;
    const expiry = p.expiry
      ? days(p.expiry, asOf) < 0
        ? 'expired'
        : days(p.expiry, asOf) <= expiryDays
          ? 'expiring'
          : null
      : null;
    const idle = moved !== null && days(asOf, moved) >= idleDays ? 'no movement' : null;
    if (!expiry && !idle) continue;
    out.push({
      product_id: p.id,
      stock_value: money2(cents(p.stock * Number(p.buy))),
      days_to_expiry: p.expiry ? days(p.expiry, asOf) : null,
      last_movement: moved,
      reason: [expiry, idle].filter(Boolean).join(', '),
    });
  }
  return out.sort((a, b) => Number(b.stock_value) - Number(a.stock_value) || a.product_id.localeCompare(b.product_id));
}

/** client-loyalty: every uploaded client, revenue, orders, last purchase, tier, eligible_promo. */
export function expectedLoyalty(lines: ExpectedLine[], shop: Shop, silver = 1000, gold = 5000, promo = 10000) {
  return shop.clients
    .map((c) => {
      const ls = lines.filter((l) => l.client === c.id);
      const revenue = sum(ls.map((l) => l.revenue)) ?? 0;
      const r = revenue / 100;
      return {
        client_id: c.id,
        revenue: money2(revenue),
        orders: new Set(ls.map((l) => l.invoice)).size,
        last_purchase:
          ls
            .map((l) => l.date)
            .sort()
            .pop() ?? null,
        tier: r > promo ? 'platinum' : r >= gold ? 'gold' : r >= silver ? 'silver' : 'bronze',
        eligible_promo: r > promo,
      };
    })
    .sort((a, b) => Number(b.revenue) - Number(a.revenue) || a.client_id.localeCompare(b.client_id));
}

/** revenue-by-month: per month of the invoice date and category ("(unknown)" for unknown products). */
export function expectedRevenueByMonth(lines: ExpectedLine[]) {
  const groups = new Map<string, ExpectedLine[]>();
  for (const l of lines) {
    const k = `${l.date.slice(0, 7)}-01|${l.category ?? '(unknown)'}`;
    groups.set(k, [...(groups.get(k) ?? []), l]);
  }
  return [...groups]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, ls]) => {
      const [month, category] = k.split('|');
      const revenue = sum(ls.map((l) => l.revenue));
      const profit = sum(ls.map((l) => l.profit));
      return {
        month,
        category,
        revenue: revenue === null ? null : money2(revenue),
        profit: profit === null ? null : money2(profit),
        lines: ls.length,
      };
    });
}

/** ntile(k) over n rows in order: the first n mod k buckets hold one more row. */
function ntile(n: number, k: number): number[] {
  const out: number[] = [];
  const base = Math.floor(n / k);
  const extra = n % k;
  for (let b = 1; b <= Math.min(k, n); b++) for (let i = 0; i < base + (b <= extra ? 1 : 0); i++) out.push(b);
  return out;
}

/** rfm-segments as of `asOf`: quintiles of recency, frequency and revenue, and the segment rules. */
export function expectedRfm(lines: ExpectedLine[], asOf = AS_OF) {
  const upTo = lines.filter((l) => l.date <= asOf);
  const clients = [...new Set(upTo.map((l) => l.client))].map((id) => {
    const ls = upTo.filter((l) => l.client === id);
    const last = ls
      .map((l) => l.date)
      .sort()
      .pop() as string;
    return {
      client_id: id,
      recency: days(asOf, last),
      frequency: new Set(ls.map((l) => l.invoice)).size,
      monetary: sum(ls.map((l) => l.revenue)),
    };
  });
  const score = (order: (a: (typeof clients)[0], b: (typeof clients)[0]) => number) => {
    const sorted = [...clients].sort(order);
    const tiles = ntile(sorted.length, 5);
    return new Map(sorted.map((c, i) => [c.client_id, tiles[i]]));
  };
  const byId = (a: { client_id: string }, b: { client_id: string }) => a.client_id.localeCompare(b.client_id);
  const r = score((a, b) => b.recency - a.recency || byId(a, b));
  const f = score((a, b) => a.frequency - b.frequency || byId(a, b));
  const m = score((a, b) => (a.monetary ?? -Infinity) - (b.monetary ?? -Infinity) || byId(a, b));
  return clients.sort(byId).map((c) => {
    const [R, F, M] = [r.get(c.client_id) as number, f.get(c.client_id) as number, m.get(c.client_id) as number];
    const segment =
      R >= 4 && F >= 4
        ? 'champions'
        : F >= 4
          ? 'loyal'
          : R >= 4 && F <= 2
            ? 'new'
            : R <= 2 && F >= 3
              ? 'at risk'
              : R <= 2
                ? 'hibernating'
                : 'regular';
    return { client_id: c.client_id, recency_days: c.recency, frequency: c.frequency, r: R, f: F, m: M, segment };
  });
}
