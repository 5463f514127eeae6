/**
 * `ticklake generate retail`: a shop's sales workbook, deterministic by seed, with a case planted for every rule of
 * the analytics and checks (docs/retail.md, "Generated workbooks"):
 *
 * - PLANTED.expiring expires 3 days after the as-of day, PLANTED.expired 2 days before it (loss risk);
 * - PLANTED.dead has stock, no sale and no movement for 45 days (loss risk: no movement);
 * - PLANTED.priceChange is on two Products rows: its buy price rises by a quarter mid-period, with sales on both
 *   sides (profit at the price in effect on each sale);
 * - PLANTED.belowCost sells below its buy price, PLANTED.negative has negative stock (checks);
 * - PLANTED.bigClient buys more than 10,000 (loyalty promotion); most invoices have several lines;
 * - invoice PLANTED.unknownInvoice names an unknown product and client, PLANTED.futureInvoice is dated after the
 *   as-of day (checks).
 *
 * The workbook has a title above the Products header, a blank row, and an extra "Read me" sheet, as real ones do.
 */
import { Rng } from '../rng.js';
import type { WriteCell, WriteSheet } from './xlsx-writer.js';

export interface GenerateOptions {
  seed: string | number;
  /** Invoice lines in total (planted ones included). */
  lines: number;
  /** The workbook's "today", YYYY-MM-DD: invoices end on it, expiry dates count from it. */
  asOf: string;
  /** Days of sales history before the as-of day. */
  days?: number;
}

export const PLANTED = {
  expiring: 'P0001',
  expired: 'P0002',
  dead: 'P0003',
  priceChange: 'P0004',
  belowCost: 'P0005',
  negative: 'P0006',
  bigClient: 'C0001',
  unknownProduct: 'P9999',
  unknownClient: 'C9999',
  unknownInvoice: 'INV-900001',
  futureInvoice: 'INV-900002',
} as const;

const CATEGORIES: Record<string, { perishable: boolean; items: string[] }> = {
  Dairy: { perishable: true, items: ['Whole milk', 'Yoghurt', 'Butter', 'Cheddar', 'Cream', 'Feta'] },
  Bakery: { perishable: true, items: ['Sourdough', 'Baguette', 'Croissant', 'Rye bread', 'Bagel', 'Muffin'] },
  Produce: { perishable: true, items: ['Apples', 'Bananas', 'Tomatoes', 'Spinach', 'Carrots', 'Avocado'] },
  Beverages: { perishable: false, items: ['Orange juice', 'Sparkling water', 'Cola', 'Green tea', 'Coffee beans'] },
  Pantry: { perishable: false, items: ['Olive oil', 'Basmati rice', 'Pasta', 'Honey', 'Tomato sauce', 'Lentils'] },
  Household: { perishable: false, items: ['Dish soap', 'Paper towels', 'Laundry powder', 'Sponges', 'Bin bags'] },
  Snacks: { perishable: false, items: ['Crisps', 'Dark chocolate', 'Almonds', 'Oat biscuits', 'Popcorn'] },
};
const SIZES = ['250 g', '500 g', '1 kg', '1 L', '2 L', 'pack of 6', 'family size', 'organic'];
const CITIES = ['Lyon', 'Nantes', 'Lille', 'Bordeaux', 'Toulouse', 'Nice', 'Rennes', 'Grenoble', 'Dijon', 'Metz'];
const FIRST = ['Ana', 'Ben', 'Chloé', 'David', 'Élodie', 'Farid', 'Gina', 'Hugo', 'Inès', 'Jules', 'Katia', 'Léo'];
const LAST = ['Martin', 'Bernard', 'Dubois', 'Durand', 'Lefèvre', 'Moreau', 'Laurent', 'Simon', 'Michel', 'Garcia'];

interface Product {
  id: string;
  name: string;
  category: string;
  stock: number;
  buy: number;
  sell: number;
  expiry: Date | null;
  lastMovement: Date;
}

const DAY = 86_400_000;
const round2 = (x: number) => Math.round(x * 100) / 100;
const pad = (n: number, w: number) => String(n).padStart(w, '0');

export function generateRetail(o: GenerateOptions): WriteSheet[] {
  const rng = Rng.forSymbol(o.seed, 'retail');
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(rng.uniform() * xs.length)];
  const between = (lo: number, hi: number) => lo + rng.uniform() * (hi - lo);
  const asOf = Date.parse(`${o.asOf}T00:00:00Z`);
  const days = o.days ?? 90;
  const day = (offset: number) => new Date(asOf + offset * DAY);
  const periodStart = day(-days);
  const midPeriod = day(-Math.floor(days / 2));

  const nProducts = Math.max(30, Math.min(400, Math.round(o.lines / 25)));
  const products: Product[] = [];
  const cats = Object.keys(CATEGORIES);
  for (let i = 1; i <= nProducts; i++) {
    const category = cats[(i - 1) % cats.length];
    const c = CATEGORIES[category];
    const buy = round2(between(0.5, 30));
    products.push({
      id: `P${pad(i, 4)}`,
      name: `${pick(c.items)} ${pick(SIZES)}`,
      category,
      stock: Math.floor(between(5, 300)),
      buy,
      sell: round2(buy * between(1.15, 1.9)),
      expiry: c.perishable
        ? day(Math.floor(between(8, 60)))
        : rng.uniform() < 0.5
          ? day(Math.floor(between(180, 720)))
          : null,
      lastMovement: day(-Math.floor(between(0, 14))),
    });
  }
  const byId = new Map(products.map((p) => [p.id, p]));
  const planted = (id: string) => byId.get(id) as Product;
  Object.assign(planted(PLANTED.expiring), { category: 'Dairy', name: 'Yoghurt 500 g', expiry: day(3), stock: 40 });
  Object.assign(planted(PLANTED.expired), {
    category: 'Bakery',
    name: 'Croissant pack of 6',
    expiry: day(-2),
    stock: 12,
  });
  Object.assign(planted(PLANTED.dead), { category: 'Household', name: 'Sponges family size', expiry: null, stock: 30 });
  planted(PLANTED.dead).lastMovement = day(-45);
  const belowCost = planted(PLANTED.belowCost);
  belowCost.sell = round2(belowCost.buy * 0.9);
  planted(PLANTED.negative).stock = -4;
  const priceChange = planted(PLANTED.priceChange);
  const oldBuy = priceChange.buy;
  priceChange.buy = round2(oldBuy * 1.25);
  priceChange.sell = round2(Math.max(priceChange.sell, oldBuy * 1.6));

  const nClients = Math.max(20, Math.min(5000, Math.round(o.lines / 15)));
  const clients: WriteCell[][] = [];
  for (let i = 1; i <= nClients; i++) {
    const first = pick(FIRST);
    const last = pick(LAST);
    const email = `${first}.${last}${i}@example.com`.normalize('NFD').replace(/\p{M}/gu, '').toLowerCase();
    clients.push([`C${pad(i, 4)}`, `${first} ${last}`, pick(CITIES), email]);
  }

  // invoice lines: [invoice, line, date, client, product, qty, unit price (blank: list price)]
  const lines: WriteCell[][] = [];
  const sellable = products.filter((p) => p.id !== PLANTED.dead);
  let invoiceNo = 0;
  const invoice = (client: string, date: Date, items: { product: Product; qty: number; unit?: number }[]) => {
    invoiceNo++;
    const id = `INV-${pad(invoiceNo, 6)}`;
    items.forEach((it, k) => {
      lines.push([id, k + 1, date, client, it.product.id, it.qty, it.unit ?? null]);
    });
  };
  // the price change: one sale well before it and one after it
  invoice('C0002', day(-days + 5), [{ product: priceChange, qty: 3 }]);
  invoice('C0003', day(-5), [
    { product: priceChange, qty: 2 },
    { product: pick(sellable), qty: 1 },
  ]);
  // the big client: expensive baskets until its revenue passes 10,000
  const rich = [...sellable].sort((a, b) => b.sell - a.sell).slice(0, 5);
  let bigRevenue = 0;
  while (bigRevenue <= 10_500) {
    const items = rich.slice(0, 3).map((product) => ({ product, qty: 10 + Math.floor(between(0, 10)) }));
    for (const it of items) bigRevenue += it.qty * it.product.sell;
    invoice(PLANTED.bigClient, day(-Math.floor(between(1, days))), items);
  }
  const reserved = 2; // the unknown-reference and the future-dated invoices
  while (lines.length < o.lines - reserved) {
    const n = Math.min(1 + Math.floor(rng.uniform() * 6), o.lines - reserved - lines.length);
    const client = `C${pad(2 + Math.floor(rng.uniform() ** 2 * (nClients - 1)), 4)}`;
    const items = Array.from({ length: n }, () => {
      const product = pick(sellable);
      const discounted = rng.uniform() < 0.15;
      return {
        product,
        qty: 1 + Math.floor(between(0, 10)),
        unit: discounted ? round2(product.sell * 0.9) : undefined,
      };
    });
    invoice(client, day(-Math.floor(between(0, days))), items);
  }
  lines.push([PLANTED.unknownInvoice, 1, day(-3), PLANTED.unknownClient, PLANTED.unknownProduct, 2, 4.5]);
  lines.push([PLANTED.futureInvoice, 1, day(5), 'C0004', sellable[7].id, 1, null]);

  const header = [
    'Product ID',
    'Name',
    'Category',
    'Qty in stock',
    'Buy price',
    'Sell price',
    'Expiry date',
    'Last movement',
    'Price date',
  ];
  const productRows: WriteCell[][] = products.map((p) => [
    p.id,
    p.name,
    p.category,
    p.stock,
    p.buy,
    p.sell,
    p.expiry,
    p.lastMovement,
    p.id === PLANTED.priceChange ? midPeriod : periodStart,
  ]);
  // the price change's first version: the old buy price from the start of the period
  productRows.splice(3, 0, [
    priceChange.id,
    priceChange.name,
    priceChange.category,
    priceChange.stock,
    oldBuy,
    priceChange.sell,
    priceChange.expiry,
    priceChange.lastMovement,
    periodStart,
  ]);
  return [
    {
      name: 'Products',
      rows: [
        [`Products of the shop, generated by ticklake (seed ${o.seed}, as of ${o.asOf})`],
        [],
        header,
        ...productRows,
      ],
    },
    { name: 'Clients', rows: [['Client ID', 'Name', 'City', 'Email'], ...clients] },
    { name: 'Invoices', rows: [['Invoice', 'Line', 'Date', 'Client', 'Product', 'Qty', 'Unit price'], ...lines] },
    {
      name: 'Read me',
      rows: [['A generated sales workbook: upload it with ticklake upload or on the #/upload page (docs/retail.md).']],
    },
  ];
}
