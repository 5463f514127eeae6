/**
 * The product and client ids the lake holds now (the latest-row views `products` and `crm_clients`): what a full
 * replace deletes when an upload leaves them out, and what invoice lines are checked against. They are the keys as
 * of the last batch the processor delivered; an upload published moments ago and not yet processed is not in them.
 */
import type { DuckDBConnection } from '../../core/duckdb.js';
import { CLIENTS, PRODUCTS } from './retail-schema.js';

/** Anything that hands out a connection with the lake views (lake/session.ts LakeSession). */
export interface LakeConnector {
  connect(): Promise<DuckDBConnection>;
}

export interface LakeKeys {
  products: Set<string>;
  clients: Set<string>;
}

/** The keys, or undefined when the lake session does not declare the retail tables (no views to read). */
export async function readLakeKeys(lake: LakeConnector): Promise<LakeKeys | undefined> {
  const c = await lake.connect();
  try {
    const views = await c.runAndReadAll(
      `SELECT count(*) FROM duckdb_views() WHERE view_name IN ('${PRODUCTS.source}', '${CLIENTS.source}')`,
    );
    if (Number(views.getRowsJS()[0][0]) < 2) return undefined;
    const ids = async (source: string, key: string) => {
      const r = await c.runAndReadAll(`SELECT "${key}" FROM "${source}"`);
      return new Set(r.getRowsJS().map((row) => String(row[0])));
    };
    return {
      products: await ids(PRODUCTS.source, PRODUCTS.key[0]),
      clients: await ids(CLIENTS.source, CLIENTS.key[0]),
    };
  } finally {
    c.closeSync();
  }
}
