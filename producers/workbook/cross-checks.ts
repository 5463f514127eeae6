/**
 * The rules that look at more than one cell (docs/retail.md, "Rules"), after every sheet's rows are read
 * (sheet-rows.ts):
 *
 * errors (the row is bad):
 * - `duplicate`: a key given twice in a sheet (the later row is the error, naming the first); a product may be on
 *   several rows with different price dates (its price history), and `price-history`: then each needs one;
 * - `invoice-mismatch`: lines of one invoice with different dates or clients (named against the invoice's first line);
 *
 * warnings (published all the same; sql/checks/ reports them from the lake too):
 * - `sell-below-buy`, `negative-stock` on products;
 * - `unknown-product`, `unknown-client`: an invoice line naming a product or client found neither in the upload nor
 *   in the lake (only when the lake could be read);
 * - `future-date`: an invoice dated after the upload's day.
 *
 * Invoices without a line column are numbered here, 1, 2, … per invoice in sheet order.
 */

import { cellAddress } from './sheet-grid.js';
import { type Issue, issue, type SheetRow, type SheetRows } from './sheet-rows.js';

export interface KnownKeys {
  /** Product and client ids already in the lake; undefined when the lake could not be read. */
  products?: ReadonlySet<string>;
  clients?: ReadonlySet<string>;
}

const at = (s: SheetRows, field: string, row: number) => {
  const col = s.header?.columns.get(field);
  return col === undefined ? `${row}:${row}` : cellAddress(col, row);
};

/** Numbers invoice lines when the sheet has no line column. */
export function numberLines(inv: SheetRows): void {
  if (!inv.header || inv.header.columns.has('line')) return;
  const next = new Map<string, number>();
  for (const r of inv.rows) {
    const id = r.record.invoice_id;
    if (typeof id !== 'string') continue;
    const n = (next.get(id) ?? 0) + 1;
    next.set(id, n);
    r.record.line = n;
  }
}

/**
 * A key given twice. Products may repeat a product_id on rows with different price dates (its price history,
 * product-versions.ts); a repeated product needs a price_date on every one of its rows.
 */
function duplicates(s: SheetRows, issues: Issue[]): void {
  const versioned = s.spec.sheet === 'Products';
  const first = new Map<string, SheetRow>();
  const byKey = new Map<string, SheetRow[]>();
  for (const r of s.rows) {
    const parts = s.spec.key.map((k) => r.record[k]);
    if (parts.some((p) => p === null || p === undefined)) continue;
    const key = JSON.stringify(parts);
    if (versioned) byKey.set(key, [...(byKey.get(key) ?? []), r]);
    const k = versioned ? JSON.stringify([...parts, r.record.price_date]) : key;
    const seen = first.get(k);
    if (!seen) {
      first.set(k, r);
      continue;
    }
    r.bad = true;
    const field = s.spec.key[s.spec.key.length - 1];
    const what = s.spec.key.length === 1 ? `${field} "${parts[0]}"` : `line ${parts[1]} of invoice "${parts[0]}"`;
    const dated = versioned && r.record.price_date !== null ? ` with price_date ${r.text.price_date}` : '';
    issues.push({
      ...issue('error', s.label, at(s, field, r.row), field, 'duplicate', String(r.record[field]), ''),
      message: `${s.label}!${at(s, field, r.row)}: ${what}${dated} appears twice (first at ${s.label}!${at(s, field, seen.row)})`,
    });
  }
  for (const all of byKey.values()) {
    const rows = all.filter((r) => !r.bad); // a row already reported as a duplicate is not a version
    if (rows.length < 2) continue;
    for (const r of rows) {
      if (r.record.price_date !== null || r.bad) continue;
      r.bad = true;
      issues.push(
        issue(
          'error',
          s.label,
          at(s, 'price_date', r.row),
          'price_date',
          'price-history',
          null,
          `is required: product "${r.record.product_id}" is on ${rows.length} rows, a price history needs a price_date on each`,
        ),
      );
    }
  }
}

function invoiceConsistency(inv: SheetRows, issues: Issue[]): void {
  const firstLine = new Map<string, SheetRow>();
  for (const r of inv.rows) {
    const id = r.record.invoice_id;
    if (typeof id !== 'string') continue;
    const f = firstLine.get(id);
    if (!f) {
      firstLine.set(id, r);
      continue;
    }
    for (const field of ['invoice_date', 'client_id']) {
      const v = r.record[field];
      const w = f.record[field];
      if (v === null || w === null || v === w) continue;
      const shown = r.text[field] ?? String(v);
      const firstShown = f.text[field] ?? String(w);
      r.bad = true;
      issues.push(
        issue(
          'error',
          inv.label,
          at(inv, field, r.row),
          field,
          'invoice-mismatch',
          shown,
          `differs from ${firstShown} on the first line of invoice "${id}" (${inv.label}!${at(inv, field, f.row)})`,
        ),
      );
    }
  }
}

/** Runs every cross-row rule over the sheets present; `asOf` is the upload's day (YYYY-MM-DD). */
export function crossCheck(
  sheets: { products?: SheetRows; clients?: SheetRows; invoices?: SheetRows },
  issues: Issue[],
  opts: { asOf: string; known: KnownKeys },
): void {
  const { products, clients, invoices } = sheets;
  if (invoices) numberLines(invoices);
  for (const s of [products, clients, invoices]) if (s) duplicates(s, issues);
  if (invoices) invoiceConsistency(invoices, issues);
  for (const r of products?.rows ?? []) {
    const p = products as SheetRows;
    const { buy_price: buy, sell_price: sell, stock_qty: stock } = r.record;
    if (buy !== null && sell !== null && Number(sell) < Number(buy)) {
      issues.push(
        issue(
          'warning',
          p.label,
          at(p, 'sell_price', r.row),
          'sell_price',
          'sell-below-buy',
          r.text.sell_price,
          `is below buy_price ${r.text.buy_price}`,
        ),
      );
    }
    if (stock !== null && Number(stock) < 0) {
      issues.push(
        issue(
          'warning',
          p.label,
          at(p, 'stock_qty', r.row),
          'stock_qty',
          'negative-stock',
          r.text.stock_qty,
          'is negative',
        ),
      );
    }
  }
  if (!invoices) return;
  const idsOf = (s: SheetRows | undefined, field: string) =>
    new Set((s?.rows ?? []).map((r) => r.record[field]).filter((v): v is string => typeof v === 'string'));
  const knownProducts = opts.known.products
    ? new Set([...opts.known.products, ...idsOf(products, 'product_id')])
    : undefined;
  const knownClients = opts.known.clients
    ? new Set([...opts.known.clients, ...idsOf(clients, 'client_id')])
    : undefined;
  for (const r of invoices.rows) {
    const { product_id: pid, client_id: cid, invoice_date: date } = r.record;
    if (knownProducts && typeof pid === 'string' && !knownProducts.has(pid)) {
      issues.push(
        issue(
          'warning',
          invoices.label,
          at(invoices, 'product_id', r.row),
          'product_id',
          'unknown-product',
          pid,
          'is not a known product',
        ),
      );
    }
    if (knownClients && typeof cid === 'string' && !knownClients.has(cid)) {
      issues.push(
        issue(
          'warning',
          invoices.label,
          at(invoices, 'client_id', r.row),
          'client_id',
          'unknown-client',
          cid,
          'is not a known client',
        ),
      );
    }
    if (typeof date === 'string' && date > opts.asOf) {
      issues.push(
        issue(
          'warning',
          invoices.label,
          at(invoices, 'invoice_date', r.row),
          'invoice_date',
          'future-date',
          r.text.invoice_date,
          `is after the upload's day ${opts.asOf}`,
        ),
      );
    }
  }
}
