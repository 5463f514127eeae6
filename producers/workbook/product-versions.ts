/**
 * A product on several rows of the Products sheet, each with its own price_date, is its price history
 * (docs/retail.md): the rows are published oldest first, so that the latest is the product's current row and every
 * row is a version of `products_history` holding from its price_date.
 *
 * Re-sending an older version would make it current for a moment (it differs from the current row) and log two
 * changes for nothing, so an older version is left out when the lake's history already holds it: a version of the
 * product from the same time with the same buy and sell price. Re-uploading a workbook with a price history then
 * changes nothing, and correcting an old price publishes that version again.
 */
import { sqlString } from '../../lake/sql-quote.js';
import type { LakeConnector } from './lake-keys.js';
import type { FieldValue } from './sheet-rows.js';

type Row = Record<string, FieldValue>;

const versionId = (validFromMs: number, buy: FieldValue, sell: FieldValue) =>
  `${validFromMs}|${buy ?? 'null'}|${sell ?? 'null'}`;

/** Products with more than one row, by id. */
export function historyIds(rows: readonly Row[]): string[] {
  const n = new Map<string, number>();
  for (const r of rows) n.set(String(r.product_id), (n.get(String(r.product_id)) ?? 0) + 1);
  return [...n].filter(([, c]) => c > 1).map(([id]) => id);
}

/** The versions the lake holds of `ids`, as versionId strings per product. */
export async function readPriceHistory(lake: LakeConnector, ids: readonly string[]): Promise<Map<string, Set<string>>> {
  const out = new Map<string, Set<string>>();
  if (ids.length === 0) return out;
  const c = await lake.connect();
  try {
    const r = await c.runAndReadAll(
      `SELECT product_id, epoch_ms(_valid_from), buy_price::VARCHAR, sell_price::VARCHAR FROM products_history
       WHERE product_id IN (${ids.map(sqlString).join(', ')})`,
    );
    for (const [id, ms, buy, sell] of r.getRowsJS()) {
      const set = out.get(String(id)) ?? new Set<string>();
      set.add(versionId(Number(ms), buy as string | null, sell as string | null));
      out.set(String(id), set);
    }
  } finally {
    c.closeSync();
  }
  return out;
}

/**
 * The product rows to publish, in order: per product, oldest price_date first; older versions found in `history`
 * left out. The latest row of every product is always published (equal to the current row, it is no change).
 */
export function productVersions(rows: readonly Row[], history: Map<string, Set<string>> = new Map()): Row[] {
  const byId = new Map<string, Row[]>();
  for (const r of rows) byId.set(String(r.product_id), [...(byId.get(String(r.product_id)) ?? []), r]);
  const out: Row[] = [];
  for (const [id, versions] of byId) {
    if (versions.length === 1) {
      out.push(versions[0]);
      continue;
    }
    versions.sort((a, b) => String(a.price_date).localeCompare(String(b.price_date)));
    const held = history.get(id);
    versions.forEach((v, i) => {
      const latest = i === versions.length - 1;
      const known = held?.has(versionId(Date.parse(String(v.price_date)), v.buy_price, v.sell_price));
      if (latest || !known) out.push(v);
    });
  }
  return out;
}
