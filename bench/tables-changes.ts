/** The changes bench/tables.bench.ts (and tables-profile.ts) feed the keyed-table engine and its MERGE baselines. */
import type { RawMessage } from '../processors/tables/stage.js';

export const STOCK_SOURCE = `-- title: Stock
-- topic: bench.stock
-- format: plain
create table stock (sku varchar primary key, store varchar not null, qty bigint not null, price decimal(12,2));
`;

/**
 * Deterministic changes: `changes` messages over `keys` skus (each created once first), then updates of random skus
 * with 5 % deletes. The generator is a 32-bit LCG in exact integer arithmetic (`Math.imul`), its high bits used.
 * Before 2026-12-05 it computed `x * 1103515245` in doubles (beyond 2^53: rounded) and took `x % n`; it cycled, which
 * gave the 800k changes after the creates only 1,540 distinct skus and 1,611 distinct values, and 16 % deletes.
 */
export function benchChanges(changes: number, keys: number): RawMessage[] {
  const out: RawMessage[] = [];
  let x = 7;
  const rnd = (n: number) => {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    return Math.floor((x / 2 ** 32) * n);
  };
  for (let i = 0; i < changes; i++) {
    const sku = `S${i < keys ? i : rnd(keys)}`;
    const del = i >= keys && rnd(20) === 0;
    out.push({
      topic: 'bench.stock',
      partition: 0,
      offset: i,
      timestamp: 1_767_225_600_000 + i,
      key: sku,
      value: del
        ? null
        : JSON.stringify({ sku, store: `store${rnd(50)}`, qty: rnd(1000), price: `${rnd(100)}.${rnd(90) + 10}` }),
    });
  }
  return out;
}
