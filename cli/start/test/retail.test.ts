/**
 * `ticklake start --with retail`'s workload: on an empty lake a generated workbook is uploaded (its invoice lines
 * reach sales.invoices, counted by kafkajs' admin) and, once the keyed-table engine has put it in the lake, #/retail
 * has products to show; on the next start, with products in the lake, nothing is uploaded again.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningBroker } from '../../../broker/index.js';
import { logger } from '../../../core/log.js';
import { queryAll } from '../../../lake/query.js';
import { LakeSession } from '../../../lake/session.js';
import { declaredLakeTables } from '../../../processors/tables/lake-tables.js';
import { startTablesProcessor } from '../../../processors/tables/processor.js';
import { useBroker } from '../../../test/helpers/broker.js';
import { publishedCounts } from '../../../test/helpers/retail-topics.js';
import { loadRetailWorkbook } from '../retail.js';

describe('start --with retail', () => {
  let dir: string;
  let broker: RunningBroker;
  let lake: LakeSession;

  const embedded = useBroker('ticklake-start-retail');
  beforeAll(async () => {
    ({ dir, broker } = embedded);
    await mkdir(join(dir, 'lake'));
    lake = await LakeSession.open({
      lakeDir: join(dir, 'lake'),
      confined: false,
      tables: await declaredLakeTables([]),
    });
  }, 60_000);
  afterAll(async () => {
    lake?.close();
  });

  it('uploads a generated workbook on an empty lake, and not again once the lake has products', async () => {
    const o = { brokers: [broker.address], lake, seed: '4', log: logger('test'), lines: 120 };
    await loadRetailWorkbook(o);
    const first = await publishedCounts([broker.address]);
    expect(first['sales.invoices']).toBe(120);
    const proc = await startTablesProcessor({
      brokers: [broker.address],
      lakeDir: join(dir, 'lake'),
      stateDir: join(dir, 'state'),
      sources: ['products', 'crm_clients', 'invoice_lines', 'retail_as_of'],
      untilIdle: true,
      foldEveryMs: 0,
    });
    await proc?.done;
    await proc?.close();
    const r = await queryAll(lake, 'select count(*) as n from product_winners', { stream: false });
    expect(Number(r.rows[0][0])).toBe(10);
    await loadRetailWorkbook(o);
    expect(await publishedCounts([broker.address])).toEqual(first);
  }, 120_000);
});
