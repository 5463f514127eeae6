/**
 * Finding a sheet's header row and what each column is (docs/retail.md, "Headers"):
 *
 * - names compare case-, space-, punctuation- and accent-insensitively: `Qty in stock`, `qty_in_stock` and
 *   `QTY-IN-STOCK` are one name, `Catégorie` is `categorie`;
 * - the header is the row among the first HEADER_SCAN_ROWS that names the most fields (a title, a date or blank
 *   rows may come first);
 * - when two columns name the same field, the one whose name comes first in the field's list wins; the other and
 *   columns that name no field are left out, and the upload says so once.
 */
import type { FieldSpec, SheetSpec } from './retail-schema.js';
import type { Cell, SheetGrid } from './sheet-grid.js';

export const HEADER_SCAN_ROWS = 20;

/** `Catégorie` → `categorie`, `Qty in stock` → `qtyinstock`, `product_id` → `productid`. */
export function normalizeName(name: string): string {
  return name
    .normalize('NFD')
    .replace(/\p{M}/gu, '')
    .toLowerCase()
    .replace(/[^a-z0-9]/g, '');
}

/** Normalized header name → the field and its rank (0: the field's own name, then its aliases in order). */
function aliasMap(spec: SheetSpec): Map<string, { field: FieldSpec; rank: number }> {
  const m = new Map<string, { field: FieldSpec; rank: number }>();
  for (const field of spec.fields) {
    [field.field, ...field.aliases].forEach((name, rank) => {
      const k = normalizeName(name);
      if (!m.has(k)) m.set(k, { field, rank });
    });
  }
  return m;
}

export interface HeaderMatch {
  /** 1-based row of the header. */
  row: number;
  /** Field → 0-based column. */
  columns: Map<string, number>;
  /** Header cells that name no field, or a field another column already gives. */
  unused: { column: number; name: string }[];
}

/** The header row of `grid` for `spec`; undefined when none of the first rows names any field. */
export function findHeader(grid: SheetGrid, spec: SheetSpec): HeaderMatch | undefined {
  const aliases = aliasMap(spec);
  let best: HeaderMatch | undefined;
  let bestScore = 0;
  const scan = Math.min(HEADER_SCAN_ROWS, grid.rows.length);
  for (let r = 0; r < scan; r++) {
    const row = grid.rows[r];
    const chosen = new Map<string, { column: number; rank: number }>();
    for (let c = 0; c < row.length; c++) {
      const hit = headerHit(row[c], aliases);
      if (!hit) continue;
      const prev = chosen.get(hit.field.field);
      if (!prev || hit.rank < prev.rank) chosen.set(hit.field.field, { column: c, rank: hit.rank });
    }
    if (chosen.size > bestScore) {
      bestScore = chosen.size;
      const columns = new Map([...chosen].map(([k, v]) => [k, v.column]));
      const used = new Set(columns.values());
      const unused: HeaderMatch['unused'] = [];
      row.forEach((cell, c) => {
        if (!used.has(c) && typeof cell === 'string' && cell.trim() !== '')
          unused.push({ column: c, name: cell.trim() });
      });
      best = { row: r + 1, columns, unused };
    }
  }
  return best;
}

function headerHit(cell: Cell, aliases: Map<string, { field: FieldSpec; rank: number }>) {
  if (typeof cell !== 'string') return undefined;
  return aliases.get(normalizeName(cell));
}

/** Whether a sheet (or CSV file) name is the sheet `spec` describes. */
export function isSheetNamed(name: string, spec: SheetSpec, loose: boolean): boolean {
  const n = normalizeName(name);
  const names = [spec.sheet, ...spec.aliases].map(normalizeName);
  if (names.includes(n)) return true;
  // a CSV file may carry more in its name: shop-products-2026.csv
  return loose && n.includes(normalizeName(spec.sheet));
}
