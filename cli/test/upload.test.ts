/**
 * `ticklake generate retail` and `ticklake upload`, as processes:
 *
 * - the generated workbook, read back by Debian's openpyxl and computed over in Python
 *   (test/helpers/retail_figures.py), has every planted case: the expiring, expired and dead products at risk, the
 *   client above 10,000, the product whose buy price changes mid-period on two rows;
 * - `upload --dry-run` of it exits 0 and publishes nothing; of a copy with a bad cell exits 1 naming Sheet!Cell;
 * - `upload --brokers` publishes it: kcat (librdkafka) reads one message per product row, client and invoice line.
 */
import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import type { RunningBroker } from '../../broker/index.js';
import { generateRetail, PLANTED } from '../../producers/workbook/retail-generator.js';
import { writeXlsx } from '../../producers/workbook/xlsx-writer.js';
import { useBroker } from '../../test/helpers/broker.js';
import { pythonWritersAvailable } from '../../test/helpers/python-workbook.js';
import { kcatMessages, publishedCounts } from '../../test/helpers/retail-topics.js';
import { requireTool } from '../../test/helpers/tools.js';

const run = promisify(execFile);
const BIN = new URL('../bin.js', import.meta.url).pathname;
const FIGURES = new URL('../../test/helpers/retail_figures.py', import.meta.url).pathname;
const AS_OF = '2026-03-01';
const KCAT = requireTool('kcat', ['/usr/bin/kcat']);

async function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const r = await run(process.execPath, [BIN, ...args], {
      env: { ...process.env, TICKLAKE_LOG_LEVEL: 'warn' },
      maxBuffer: 64 << 20,
    });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (e) {
    const x = e as { code: number; stdout: string; stderr: string };
    return { code: x.code, stdout: x.stdout, stderr: x.stderr };
  }
}

describe.skipIf(!pythonWritersAvailable() || !KCAT)('ticklake generate retail, ticklake upload', () => {
  let dir: string;
  let broker: RunningBroker;
  let shop: string;

  const embedded = useBroker('ticklake-cli-upload');
  beforeAll(async () => {
    ({ dir, broker } = embedded);
    shop = join(dir, 'shop.xlsx');
  }, 60_000);

  it('generate retail writes a workbook with every planted case', { timeout: 120_000 }, async () => {
    const r = await cli(['generate', 'retail', '--seed', '5', '--lines', '400', '--as-of', AS_OF, '--out', shop]);
    expect(r.code, r.stderr).toBe(0);
    const { stdout } = await run('/usr/bin/python3', ['-W', 'ignore', FIGURES, shop, AS_OF]);
    const f = JSON.parse(stdout);
    expect(f.rows.lines).toBe(400);
    expect(Object.fromEntries(f.risk.map((x: [string, string]) => [x[0], x[1]]))).toEqual({
      [PLANTED.expiring]: 'expiring',
      [PLANTED.expired]: 'expired',
      [PLANTED.dead]: 'no movement',
    });
    expect(f.eligible.map((x: [string, number]) => x[0])).toContain(PLANTED.bigClient);
    const { stdout: versions } = await run('/usr/bin/python3', [
      '-W',
      'ignore',
      '-c',
      `import openpyxl,sys; ws=openpyxl.load_workbook(sys.argv[1])['Products']
rows=[r for r in ws.iter_rows(values_only=True) if r[0]==sys.argv[2]]
print(len(rows), len(set(r[4] for r in rows)), len(set(r[8] for r in rows)))`,
      shop,
      PLANTED.priceChange,
    ]);
    expect(versions.trim()).toBe('2 2 2'); // two rows, two buy prices, two price dates
    // the same seed gives the same workbook
    const again = join(dir, 'again.xlsx');
    await cli(['generate', 'retail', '--seed', '5', '--lines', '400', '--as-of', AS_OF, '--out', again]);
    const { stdout: same } = await run('cmp', [shop, again]).catch((e) => e);
    expect(same).toBe('');
  });

  it('upload --dry-run: exit 0 for the good workbook, 1 with Sheet!Cell for a bad one; nothing published', {
    timeout: 120_000,
  }, async () => {
    const ok = await cli([
      'upload',
      shop,
      '--dry-run',
      '--as-of',
      AS_OF,
      '--format',
      'json',
      '--lake-dir',
      join(dir, 'none'),
    ]);
    expect(ok.code, ok.stderr).toBe(0);
    const report = JSON.parse(ok.stdout);
    expect(report.status).toBe('dry-run');
    expect(report.errors).toEqual([]);
    const sheets = generateRetail({ seed: 5, lines: 400, asOf: AS_OF });
    const invoices = sheets.find((s) => s.name === 'Invoices');
    if (!invoices) throw new Error('no Invoices sheet generated');
    invoices.rows[9][5] = 'many';
    const bad = join(dir, 'bad.xlsx');
    await writeFile(bad, writeXlsx(sheets));
    const no = await cli(['upload', bad, '--dry-run', '--as-of', AS_OF, '--lake-dir', join(dir, 'none')]);
    expect(no.code).toBe(1);
    expect(no.stdout).toContain('Invoices!F10: quantity "many" is not a number');
    expect(Object.values(await publishedCounts([broker.address])).every((n) => n === 0)).toBe(true);
  });

  it('upload --brokers publishes one message per row, read back by kcat', { timeout: 120_000 }, async () => {
    const r = await cli([
      'upload',
      shop,
      '--brokers',
      broker.address,
      '--as-of',
      AS_OF,
      '--format',
      'json',
      '--lake-dir',
      join(dir, 'none'),
    ]);
    expect(r.code, r.stderr).toBe(0);
    const { stdout } = await run('/usr/bin/python3', ['-W', 'ignore', FIGURES, shop, AS_OF]);
    const f = JSON.parse(stdout);
    const invoices = await kcatMessages(broker.address, 'sales.invoices');
    expect(invoices).toHaveLength(f.rows.lines);
    expect((await kcatMessages(broker.address, 'crm.clients')).length).toBe(f.rows.clients);
    expect((await kcatMessages(broker.address, 'inventory.products')).length).toBe(f.rows.products);
    const keys = new Set(invoices.map((m) => m.key));
    expect(keys.size).toBe(f.rows.lines); // keyed by invoice and line, no two alike
  });
});
