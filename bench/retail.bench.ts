/**
 * `npm run bench:retail` (docs/retail.md): a generated sales workbook of LINES invoice lines (100k by default).
 *
 * 1. Parse rate, side by side: the whole upload path up to publishing (`runUpload` as a dry run: ZIP guard and
 *    repack, read-excel-file, every cell checked, cross-row rules, the messages built) against read-excel-file
 *    alone reading the same three sheets of the same file. Each run is its own child process (so each side's peak
 *    RSS is its own), alternating reader and upload, ROUNDS of each; medians. Rows/s = rows of the three sheets /
 *    wall seconds of the read (the file already in memory).
 * 2. Upload to analytics visible: the embedded broker and the keyed-table engine over the retail sources running in
 *    this process; the clock starts before `runUpload` (publishing, acks=all) and stops when the lake's views show
 *    every line in `line_profit`, the ten `product_winners` and every client in `clients`. Seconds to published and
 *    to visible, with this process's peak RSS (broker, engine and lake reader together).
 */
import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type BenchFigure, peakRssMiB, startBench } from './result.js';
import { median } from './stats.js';

const LINES = Number(process.env.BENCH_LINES ?? 100_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const SHEETS = ['Products', 'Clients', 'Invoices'];

interface ParseRun {
  seconds: number;
  rows: number;
  peakRssMiB: number;
}

/** Child mode: `retail.bench.ts --parse reader|upload FILE` prints one ParseRun as JSON. */
async function parseChild(side: string, file: string): Promise<void> {
  const data = await readFile(file);
  // modules loaded before the clock starts
  const { default: readXlsxFile } = await import('read-excel-file/node');
  const { runUpload } = await import('../producers/workbook/upload.js');
  const t0 = performance.now();
  let rows = 0;
  if (side === 'reader') {
    const opts = { sheets: SHEETS, trim: true };
    const sheets = (await readXlsxFile(data, opts as Parameters<typeof readXlsxFile>[1])) as unknown as {
      data: unknown[][];
    }[];
    for (const s of sheets) rows += s.data.length;
  } else {
    const r = await runUpload([{ name: 'bench.xlsx', data }], {
      limits: { maxBytes: 2 ** 30, maxUnpacked: 2 ** 31 },
      dryRun: true,
      asOf: '2026-03-01',
    });
    if (r.errors.length > 0) throw new Error(`the generated workbook has errors: ${r.errors[0].message}`);
    rows = r.sheets.reduce((a, s) => a + s.rows, 0);
  }
  const seconds = (performance.now() - t0) / 1000;
  process.stdout.write(JSON.stringify({ seconds, rows, peakRssMiB: peakRssMiB() } satisfies ParseRun));
}

function runChild(side: string, file: string): ParseRun {
  const out = execFileSync(
    process.execPath,
    ['--import', 'tsx', fileURLToPath(import.meta.url), '--parse', side, file],
    { encoding: 'utf8', env: { ...process.env, TICKLAKE_LOG_LEVEL: 'warn' }, maxBuffer: 1 << 20 },
  );
  return JSON.parse(out) as ParseRun;
}

async function main(): Promise<void> {
  const bench = startBench('retail');
  const root = await mkdtemp(join(tmpdir(), 'tl-bench-retail-'));
  try {
    const { generateRetail } = await import('../producers/workbook/retail-generator.js');
    const { writeXlsx } = await import('../producers/workbook/xlsx-writer.js');
    const asOf = '2026-03-01';
    const data = writeXlsx(generateRetail({ seed: 'bench', lines: LINES, asOf }));
    const file = join(root, 'bench.xlsx');
    await writeFile(file, data);

    // 1. parse rate, alternating sides
    const reader: ParseRun[] = [];
    const upload: ParseRun[] = [];
    for (let i = 0; i < ROUNDS; i++) {
      reader.push(runChild('reader', file));
      upload.push(runChild('upload', file));
      process.stderr.write(
        `round ${i + 1}: reader ${reader[i].seconds.toFixed(2)} s, upload path ${upload[i].seconds.toFixed(2)} s\n`,
      );
    }
    // the same rows for both sides: the data rows of the three sheets (the reader's count has headers and titles)
    const rows = upload[0].rows;
    const rate = (r: ParseRun) => rows / r.seconds;
    const readerRate = median(reader.map(rate));
    const uploadRate = median(upload.map(rate));

    // 2. upload to analytics visible
    const { startBroker } = await import('../broker/index.js');
    const { startTablesProcessor } = await import('../processors/tables/processor.js');
    const { declaredLakeTables } = await import('../processors/tables/lake-tables.js');
    const { LakeSession } = await import('../lake/session.js');
    const { runUpload } = await import('../producers/workbook/upload.js');
    const broker = await startBroker({ port: 0, dataDir: join(root, 'broker') });
    const lakeDir = join(root, 'lake');
    const proc = await startTablesProcessor({
      brokers: [broker.address],
      lakeDir,
      stateDir: join(root, 'state'),
      sources: ['products', 'crm_clients', 'invoice_lines', 'retail_as_of'],
      foldEveryMs: 0,
    });
    const t0 = performance.now();
    const r = await runUpload([{ name: 'bench.xlsx', data }], {
      limits: { maxBytes: 2 ** 30, maxUnpacked: 2 ** 31 },
      brokers: [broker.address],
      asOf,
    });
    const published = (performance.now() - t0) / 1000;
    const session = await LakeSession.open({ lakeDir, confined: false, tables: await declaredLakeTables([]) });
    const clients = r.published.clients;
    let visible = Number.NaN;
    const count = async (sql: string) => {
      const conn = await session.connect();
      try {
        return Number((await conn.runAndReadAll(sql)).getRows()[0][0]);
      } catch {
        return -1; // the table's first files are not there yet
      }
    };
    for (let tries = 0; tries < 1800; tries++) {
      const [lines, winners, known] = [
        await count('select count(*) from line_profit'),
        await count('select count(*) from product_winners'),
        await count('select count(*) from clients'),
      ];
      if (lines === r.published.invoiceLines && winners === 10 && known === clients) {
        visible = (performance.now() - t0) / 1000;
        break;
      }
      await new Promise((res) => setTimeout(res, 500));
    }
    session.close();
    await proc?.close();
    await broker.close();
    if (Number.isNaN(visible)) throw new Error('the analytics did not show the upload within 15 minutes');

    const figures: BenchFigure[] = [
      {
        metric: 'upload path parse (dry run: guard, read, check, messages)',
        value: Math.round(uploadRate),
        unit: 'rows/s',
        baseline: { metric: 'read-excel-file alone', value: Math.round(readerRate), unit: 'rows/s' },
        ratio: uploadRate / readerRate,
      },
      { metric: `upload of ${LINES} lines published (acks=all)`, value: published, unit: 's' },
      { metric: `upload of ${LINES} lines to analytics visible in the lake`, value: visible, unit: 's' },
    ];
    bench.finish(figures, {
      lines: LINES,
      workbookBytes: data.length,
      rows,
      messages: r.messages,
      parseRuns: { reader, upload },
      peakRssMiB: {
        reader: median(reader.map((x) => x.peakRssMiB)),
        uploadPath: median(upload.map((x) => x.peakRssMiB)),
        endToEnd: peakRssMiB(),
      },
      method:
        'parse: child process per run, alternating reader/upload, medians of ROUNDS; end to end: broker, engine and lake reader in this process',
    });
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

const i = process.argv.indexOf('--parse');
if (i >= 0) await parseChild(process.argv[i + 1], process.argv[i + 2]);
else await main();
