/**
 * `npx tsx bench/tables-profile.ts`: where the keyed-table engine's time goes, per SQL statement, on the changes of
 * bench/tables.bench.ts (BENCH_CHANGES, BENCH_KEYS; batches of BENCH_BATCH). A development aid, not a benchmark:
 * it prints the statements' total wall time, heaviest first (`BENCH_EXPLAIN=1` also prints DuckDB's
 * EXPLAIN ANALYZE of the heaviest statement of the last batch).
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBConnection } from '@duckdb/node-api';
import { logger } from '../core/log.js';
import { ChangeDelivery } from '../processors/sinks/change-delivery.js';
import { loadTableCatalog } from '../processors/tables/catalog.js';
import { TablesEngine } from '../processors/tables/engine.js';
import { deliveredTables } from '../processors/tables/lake-tables.js';
import { openTablesState } from '../processors/tables/state.js';
import { benchChanges, STOCK_SOURCE } from './tables-changes.js';

const CHANGES = Number(process.env.BENCH_CHANGES ?? 1_000_000);
const KEYS = Number(process.env.BENCH_KEYS ?? 200_000);
const BATCH = Number(process.env.BENCH_BATCH ?? 50_000);
const readAll = DuckDBConnection.prototype.runAndReadAll;
const times = new Map<string, { ms: number; cpu: number; n: number }>();
const label = (sql: string) =>
  sql
    .replace(/\s+/g, ' ')
    .replace(/\b\d+\b/g, 'N')
    .trim()
    .slice(0, 90);
const EXPLAIN = process.env.BENCH_EXPLAIN;
let explainNow = false;
// runAndReadAll goes through run: wrapping run times every statement once
for (const fn of ['run'] as const) {
  const orig = DuckDBConnection.prototype[fn] as (...a: unknown[]) => Promise<unknown>;
  (DuckDBConnection.prototype as unknown as Record<string, unknown>)[fn] = async function (
    this: DuckDBConnection,
    ...args: unknown[]
  ) {
    const t0 = performance.now();
    const c0 = process.cpuUsage();
    try {
      const sql = String(args[0]);
      if (explainNow && !sql.startsWith('EXPLAIN') && EXPLAIN && label(sql).includes(EXPLAIN)) {
        const r = await readAll.apply(this, [`EXPLAIN ANALYZE ${sql}`, ...args.slice(1)] as Parameters<typeof readAll>);
        console.log(String(r.getRowsJS()[0][1]));
        return r;
      }
      return await orig.apply(this, args);
    } finally {
      const k = label(String(args[0]));
      const e = times.get(k) ?? { ms: 0, cpu: 0, n: 0 };
      e.ms += performance.now() - t0;
      const c = process.cpuUsage(c0);
      e.cpu += (c.user + c.system) / 1000;
      e.n++;
      times.set(k, e);
    }
  };
}
const root = await mkdtemp(join(tmpdir(), 'tl-prof-tables-'));
try {
  const sqlDir = join(root, 'sql');
  await mkdir(join(sqlDir, 'sources'), { recursive: true });
  await writeFile(join(sqlDir, 'sources', 'stock.sql'), STOCK_SOURCE);
  const catalog = await loadTableCatalog([sqlDir], { bundled: false });
  const msgs = benchChanges(CHANGES, KEYS);
  const state = await openTablesState(join(root, 'state'));
  const e = await TablesEngine.open({ state, catalog });
  const conn = await state.instance.connect();
  const delivery = new ChangeDelivery({
    conn,
    lakeDir: join(root, 'lake'),
    tables: deliveredTables(catalog),
    log: logger('prof'),
  });
  const tStage = { ms: 0 };
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  for (let i = 0; i < msgs.length; i += BATCH) {
    explainNow = i === BATCH * 10;
    const b0 = performance.now();
    await e.process(msgs.slice(i, i + BATCH));
    tStage.ms += performance.now() - b0;
    await delivery.deliverAll(true);
  }
  const total = performance.now() - t0;
  const cpuTotal = (process.cpuUsage(cpu0).user + process.cpuUsage(cpu0).system) / 1000;
  console.log(
    `CPU ${cpuTotal.toFixed(0)} ms; total ${total.toFixed(0)} ms = ${Math.round(CHANGES / (total / 1000))} changes/s; engine.process ${tStage.ms.toFixed(0)} ms`,
  );
  const rows = [...times].sort((a, b) => b[1].cpu - a[1].cpu).slice(0, 25);
  console.log('    CPU ms  CPU %   wall ms  count  statement');
  for (const [k, v] of rows)
    console.log(
      `${v.cpu.toFixed(0).padStart(9)} ${((100 * v.cpu) / cpuTotal).toFixed(1).padStart(6)} ${v.ms.toFixed(0).padStart(9)} ${String(v.n).padStart(6)}  ${k}`,
    );
  conn.closeSync();
  state.conn.closeSync();
} finally {
  await rm(root, { recursive: true, force: true });
}
