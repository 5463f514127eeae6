/**
 * Header rows: found below titles and blank rows, names matched whatever their case, spacing, punctuation and
 * accents, aliases, the preferred column when two name the same field, and unused columns reported.
 */
import { describe, expect, it } from 'vitest';
import { findHeader, isSheetNamed, normalizeName } from '../headers.js';
import { CLIENTS, INVOICES, PRODUCTS } from '../retail-schema.js';
import type { Cell, SheetGrid } from '../sheet-grid.js';

const grid = (rows: Cell[][]): SheetGrid => ({ name: 's', file: 'f.xlsx', rows, date1904: false });

describe('header names', () => {
  it('compare case-, space-, punctuation- and accent-insensitively', () => {
    expect(normalizeName('Qty in stock')).toBe('qtyinstock');
    expect(normalizeName(' QTY_IN-STOCK ')).toBe('qtyinstock');
    expect(normalizeName('Catégorie')).toBe('categorie');
    expect(normalizeName("Prix d'achat")).toBe('prixdachat');
  });

  it('finds the header on row 3 under a title and a blank row, by aliases', () => {
    const h = findHeader(
      grid([
        ['Inventory export 2026', null, null],
        [null, null, null],
        ['Product ID', 'Désignation', 'CATÉGORIE', 'Qty in stock', 'Cost', 'Sell Price', 'Updated at', 'Remarks'],
        ['P1', 'Milk', 'Dairy', '3', '1', '2', null, null],
      ]),
      PRODUCTS,
    );
    expect(h?.row).toBe(3);
    expect(Object.fromEntries(h?.columns ?? [])).toEqual({
      product_id: 0,
      name: 1,
      category: 2,
      stock_qty: 3,
      buy_price: 4,
      sell_price: 5,
      price_date: 6,
    });
    expect(h?.unused).toEqual([{ column: 7, name: 'Remarks' }]);
  });

  it('two columns naming one field: the earlier name of the field’s list wins, the other is unused', () => {
    const h = findHeader(grid([['Invoice', 'Date', 'Client', 'Product', 'Qty', 'Price', 'Unit price']]), INVOICES);
    expect(h?.columns.get('unit_price')).toBe(6);
    expect(h?.unused).toEqual([{ column: 5, name: 'Price' }]);
  });

  it('no header among the first rows: undefined', () => {
    expect(findHeader(grid([['a', 'b'], [1, 2].map(String)]), CLIENTS)).toBeUndefined();
  });

  it('sheet names: exact (normalized) for workbooks, contained for CSV files', () => {
    expect(isSheetNamed('products', PRODUCTS, false)).toBe(true);
    expect(isSheetNamed('Customers', CLIENTS, false)).toBe(true);
    expect(isSheetNamed('shop-invoices-2026', INVOICES, false)).toBe(false);
    expect(isSheetNamed('shop-invoices-2026', INVOICES, true)).toBe(true);
  });
});
