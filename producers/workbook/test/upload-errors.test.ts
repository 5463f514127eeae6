/**
 * A workbook with an error of every kind, written by xlsxwriter: the dry run names each one with its Sheet!Cell and
 * publishes nothing; a real upload of it is refused and publishes nothing; with skip bad rows exactly the good rows
 * are published (read back with kcat) and the skipped ones counted. A zip bomb, an oversized file and a
 * macro-enabled workbook are refused with their codes, nothing published. The retail topics are checked with
 * kafkajs' admin after every step.
 */
import { deflateRawSync } from 'node:zlib';
import { beforeAll, describe, expect, it } from 'vitest';
import type { RunningBroker } from '../../../broker/index.js';
import { isTicklakeError } from '../../../core/errors.js';
import { useBroker } from '../../../test/helpers/broker.js';
import { d, n, pythonWorkbook, pythonWritersAvailable, rowsToCells, s } from '../../../test/helpers/python-workbook.js';
import { kcatMessages, publishedCounts, RETAIL_TOPICS } from '../../../test/helpers/retail-topics.js';
import { requireTool } from '../../../test/helpers/tools.js';
import { runUpload } from '../upload.js';
import { writeZip } from '../zip-write.js';

const haveTools = pythonWritersAvailable() && Boolean(requireTool('kcat'));
const LIMITS = { maxBytes: 2 ** 20, maxUnpacked: 16 * 2 ** 20 };
const empty = Object.fromEntries(RETAIL_TOPICS.map((t) => [t, 0]));

/** Invoices F1 lines 1..12 on rows 2..13 are good; every later row has its planted error(s). */
function errorWorkbook(): Buffer {
  const good = Array.from({ length: 12 }, (_, i) => [s('F1'), n(i + 1), d('2026-02-01'), s('C1'), n(2), s('P1')]);
  return pythonWorkbook({
    writer: 'xlsxwriter',
    sheets: [
      {
        name: 'Products',
        cells: rowsToCells([
          [s('product_id'), s('name'), s('buy_price'), s('sell_price'), s('expiry_date')],
          [s('P1'), s('Milk'), n(1.1), n(2.2), d('2026-03-05')],
          [s('P2'), undefined, s('abc'), n(1.5)],
          [s('P3'), s('Soap'), n(-1), n(3.505), s('31/02/2026')],
          [s('P1'), s('Milk again'), n(1), n(2)],
        ]),
      },
      {
        name: 'Clients',
        cells: rowsToCells([
          [s('client_id'), s('name'), s('email')],
          [s('C1'), s('Ann'), s('ann@example.com')],
          [s('C2'), s('Bob'), s('bob-at-example')],
        ]),
      },
      {
        name: 'Invoices',
        cells: rowsToCells([
          [s('invoice'), s('line'), s('date'), s('client'), s('quantity'), s('product'), s('unit price')],
          ...good.map(([a, b, c, dd, e, f]) => [a, b, c, dd, e, f]),
          [s('F1'), n(13), d('2026-02-01'), s('C1'), s('-3'), s('P1')],
          [s('F1'), n(1), d('2026-02-01'), s('C1'), n(1), s('P1')],
          [s('F2'), n(1), s('2026-02-30'), s('C1'), n(1), s('P1')],
          [s('F3'), n(1), d('2026-02-03'), s('C1'), n(1), s('P1')],
          [s('F3'), n(2), d('2026-02-04'), s('C2'), n(1), s('P1')],
          [s('F4'), s('1.5'), d('2026-02-05'), s('C1'), n(1), s('P1')],
          [s('F5'), n(1), d('2026-02-05'), undefined, n(1), s('P1')],
        ]),
      },
    ],
  });
}

const PLANTED = [
  'Products!B3: name is required',
  'Products!C3: buy_price "abc" is not a number',
  'Products!C4: buy_price "-1" must not be negative',
  'Products!D4: sell_price "3.505" has more than 2 decimals',
  'Products!E4: expiry_date "31/02/2026" is not a date (write 2026-03-05 or 05/03/2026, day first)',
  'Products!A5: product_id "P1" appears twice (first at Products!A2)',
  'Clients!C3: email "bob-at-example" is not an e-mail address',
  'Invoices!E14: quantity "-3" must be a positive number',
  'Invoices!B15: line 1 of invoice "F1" appears twice (first at Invoices!B2)',
  'Invoices!C16: invoice_date "2026-02-30" is not a date (write 2026-03-05 or 05/03/2026, day first)',
  'Invoices!C18: invoice_date "2026-02-04" differs from 2026-02-03 on the first line of invoice "F3" (Invoices!C17)',
  'Invoices!D18: client_id "C2" differs from C1 on the first line of invoice "F3" (Invoices!D17)',
  'Invoices!B19: line "1.5" must be a whole number of at least 1',
  'Invoices!D20: client_id is required',
];

describe.skipIf(!haveTools)('uploads with errors publish nothing (unless bad rows are skipped)', () => {
  let broker: RunningBroker;
  let brokers: string[];
  let wb: Buffer;

  const embedded = useBroker('ticklake-upload-errors');
  beforeAll(async () => {
    broker = embedded.broker;
    brokers = [broker.address];
    wb = errorWorkbook();
  });

  it('the dry run reports every planted error with its cell address, and publishes nothing', async () => {
    const r = await runUpload([{ name: 'shop.xlsx', data: wb }], { limits: LIMITS, dryRun: true, brokers });
    expect(r.status).toBe('dry-run');
    expect(r.errors.map((e) => e.message)).toEqual(PLANTED);
    expect(r.errors.find((e) => e.cell === 'E14')).toMatchObject({
      sheet: 'Invoices',
      field: 'quantity',
      rule: 'positive',
      value: '-3',
    });
    expect(r.badRows).toBe(10);
    expect(await publishedCounts(brokers)).toEqual(empty);
  });

  it('uploading it for real is refused: the same errors, nothing published', async () => {
    const r = await runUpload([{ name: 'shop.xlsx', data: wb }], { limits: LIMITS, brokers });
    expect(r.status).toBe('refused');
    expect(r.errors.map((e) => e.message)).toEqual(PLANTED);
    expect(r.messages).toBe(0);
    expect(await publishedCounts(brokers)).toEqual(empty);
  });

  it('a zip bomb, an oversized file and a macro-enabled workbook are refused, nothing published', async () => {
    const size = 64 * 2 ** 20;
    const bomb = writeZip([
      {
        name: 'xl/worksheets/sheet1.xml',
        method: 8,
        crc32: 0,
        data: deflateRawSync(Buffer.alloc(size)),
        uncompressedSize: size,
      },
    ]);
    const macro = pythonWorkbook({
      writer: 'openpyxl',
      sheets: [
        {
          name: 'Products',
          cells: rowsToCells([
            [s('product_id'), s('name')],
            [s('P1'), s('x')],
          ]),
        },
      ],
      extra_parts: { 'xl/vbaProject.bin': 'VBA' },
    });
    const codes: string[] = [];
    for (const [name, data, limits] of [
      ['bomb.xlsx', bomb, LIMITS],
      ['big.xlsx', wb, { ...LIMITS, maxBytes: 1000 }],
      ['macro.xlsx', macro, LIMITS],
    ] as const) {
      try {
        await runUpload([{ name, data }], { limits, brokers });
        codes.push('published');
      } catch (e) {
        codes.push(isTicklakeError(e) ? e.code : String(e));
      }
    }
    expect(codes).toEqual(['TL_DATA_UNPACKED_TOO_LARGE', 'TL_DATA_FILE_TOO_LARGE', 'TL_DATA_MACROS']);
    expect(await publishedCounts(brokers)).toEqual(empty);
  });

  it('with skip bad rows exactly the good rows are published, and the skipped ones are counted', async () => {
    const r = await runUpload([{ name: 'shop.xlsx', data: wb }], {
      limits: LIMITS,
      brokers,
      skipBadRows: true,
      asOf: '2026-03-01',
    });
    expect(r.status).toBe('published');
    expect(r.skippedRows).toBe(10);
    expect(r.published).toEqual({ products: 1, clients: 1, invoiceLines: 13 });
    const lines = await kcatMessages(broker.address, 'sales.invoices');
    expect(
      lines
        .map((m) => JSON.parse(m.key as string))
        .sort((a, b) => a.invoice_id.localeCompare(b.invoice_id) || a.line - b.line),
    ).toEqual([
      ...Array.from({ length: 12 }, (_, i) => ({ invoice_id: 'F1', line: i + 1 })),
      { invoice_id: 'F3', line: 1 },
    ]);
    expect(JSON.parse(lines.find((m) => m.key === '{"invoice_id":"F3","line":1}')?.value as string)).toEqual({
      invoice_id: 'F3',
      line: 1,
      invoice_date: '2026-02-03',
      client_id: 'C1',
      product_id: 'P1',
      quantity: '1.000',
      unit_price: null,
    });
    const products = await kcatMessages(broker.address, 'inventory.products');
    expect(products.map((m) => [m.key, JSON.parse(m.value as string)])).toEqual([
      [
        '{"product_id":"P1"}',
        {
          product_id: 'P1',
          name: 'Milk',
          category: null,
          stock_qty: null,
          buy_price: '1.10',
          sell_price: '2.20',
          expiry_date: '2026-03-05',
          last_movement: null,
          price_date: null,
        },
      ],
    ]);
    expect(await publishedCounts(brokers)).toEqual({
      'inventory.products': 1,
      'crm.clients': 1,
      'sales.invoices': 13,
      'retail.as_of': 1,
    });
  });
});
