/**
 * One upload, from files to Kafka (docs/retail.md): read and guard the files (upload-files.ts), read every sheet's
 * rows (sheet-rows.ts), run the cross-row rules (cross-checks.ts), then
 *
 * - dry run: report every error and warning, publish nothing;
 * - errors and no `skipBadRows`, or a sheet missing a required column: report them, publish nothing
 *   (`status: 'refused'`);
 * - otherwise publish the good rows (retail-publisher.ts) and say how many bad rows were skipped.
 *
 * A full replace also deletes the products and clients the lake holds (lake-keys.ts) that the upload's Products or
 * Clients sheet does not name — a sheet that is absent deletes nothing, and a key named on a bad row is kept.
 */
import { tlError } from '../../core/errors.js';
import { crossCheck, type KnownKeys } from './cross-checks.js';
import { type LakeConnector, readLakeKeys } from './lake-keys.js';
import { historyIds, productVersions, readPriceHistory } from './product-versions.js';
import { asOfMessage, deleteMessages, publishMessages, rowMessages, type TopicMessages } from './retail-publisher.js';
import { CLIENTS, INVOICES, PRODUCTS, type SheetName } from './retail-schema.js';
import { type Issue, readSheetRows, type SheetRows } from './sheet-rows.js';
import { readUploadFiles, type UploadFile } from './upload-files.js';
import type { WorkbookLimits } from './workbook-guard.js';

export interface UploadOptions {
  limits: WorkbookLimits;
  dryRun?: boolean;
  skipBadRows?: boolean;
  fullReplace?: boolean;
  /** Kafka bootstrap servers; needed unless dry run. */
  brokers?: readonly string[];
  /** The lake, for a full replace and for checking invoice lines against known products and clients. */
  lake?: LakeConnector;
  /** The upload's time (epoch ms): the Kafka timestamp of its messages. Default: now. */
  now?: number;
  /** The upload's day (YYYY-MM-DD), from which loss risk is measured. Default: the UTC day of `now`. */
  asOf?: string;
}

export interface SheetSummary {
  sheet: SheetName;
  label: string;
  file: string;
  headerRow: number | null;
  rows: number;
  bad: number;
}

export interface UploadReport {
  status: 'dry-run' | 'refused' | 'published';
  asOf: string;
  fullReplace: boolean;
  sheets: SheetSummary[];
  /** Said once: sheets and files that were not read, columns that were left out. */
  notices: string[];
  errors: Issue[];
  warnings: Issue[];
  /** Rows with at least one error. */
  badRows: number;
  /** Bad rows left out of what was published (with skipBadRows). */
  skippedRows: number;
  /**
   * Rows published (or that would be, in a dry run) per sheet — older price versions the lake already holds are not
   * sent again — and keys deleted by a full replace.
   */
  published: { products: number; clients: number; invoiceLines: number };
  deleted: { products: string[]; clients: string[] };
  /** Kafka messages acknowledged. */
  messages: number;
}

export interface PreparedUpload {
  /** The report; `status: 'published'` means the upload is to be published (runUpload then does). */
  report: UploadReport;
  /** The messages to publish, per topic, in order. */
  batches: TopicMessages[];
}

/** Reads, checks and (unless told otherwise) publishes one upload. */
export async function runUpload(files: readonly UploadFile[], opts: UploadOptions): Promise<UploadReport> {
  const now = opts.now ?? Date.now();
  const { report, batches } = await prepareUpload(files, { ...opts, now });
  if (report.status !== 'published') return report;
  if (!opts.brokers || opts.brokers.length === 0) {
    throw tlError('TL_CONFIG_MISSING', { setting: '--brokers (Kafka to publish the upload to)' });
  }
  report.messages = await publishMessages(opts.brokers, batches, now);
  return report;
}

/** Reads and checks one upload: its report and the messages that publishing it sends. */
export async function prepareUpload(files: readonly UploadFile[], opts: UploadOptions): Promise<PreparedUpload> {
  const now = opts.now ?? Date.now();
  const asOf = opts.asOf ?? new Date(now).toISOString().slice(0, 10);
  const input = await readUploadFiles(files, opts.limits);
  const issues: Issue[] = [];
  const notices = [...input.notices];
  const rowsOf = (name: SheetName, spec = [PRODUCTS, CLIENTS, INVOICES].find((s) => s.sheet === name)!) => {
    const s = input.sheets[name];
    if (!s) return undefined;
    const r = readSheetRows(s.grid, spec, s.label, issues);
    for (const u of r.header?.unused ?? []) notices.push(`column "${u.name}" of ${s.label} is not used`);
    return r;
  };
  const products = rowsOf('Products');
  const clients = rowsOf('Clients');
  const invoices = rowsOf('Invoices');
  const lakeKeys = opts.lake ? await readLakeKeys(opts.lake) : undefined;
  const known: KnownKeys = lakeKeys ?? {};
  crossCheck({ products, clients, invoices }, issues, { asOf, known });

  sortIssues(issues, [products, clients, invoices]);
  const all = [products, clients, invoices].filter((s): s is SheetRows => s !== undefined);
  const badRows = all.reduce((n, s) => n + s.rows.filter((r) => r.bad).length, 0);
  const errors = issues.filter((i) => i.severity === 'error');
  const good = (s: SheetRows | undefined) => (s?.rows ?? []).filter((r) => !r.bad).map((r) => r.record);
  const deleted = { products: [] as string[], clients: [] as string[] };
  if (opts.fullReplace && lakeKeys) {
    // every key the sheet names, bad rows included: a row with an error must not delete its product
    const named = (s: SheetRows | undefined, key: string) =>
      new Set((s?.rows ?? []).map((r) => r.record[key]).filter((v): v is string => typeof v === 'string'));
    if (products) {
      const keep = named(products, 'product_id');
      deleted.products = [...lakeKeys.products].filter((k) => !keep.has(k)).sort();
    }
    if (clients) {
      const keep = named(clients, 'client_id');
      deleted.clients = [...lakeKeys.clients].filter((k) => !keep.has(k)).sort();
    }
  } else if (opts.fullReplace && !opts.dryRun) {
    throw tlError('TL_CONFIG_MISSING', {
      setting: 'the lake (--lake-dir), which a full replace reads current keys from',
    });
  }
  // a sheet whose header lacks a required column is not a bad row to skip: the whole upload is refused
  const structural = errors.some((e) => e.rule === 'missing-column');
  const refused = structural || (errors.length > 0 && !opts.skipBadRows);
  const productRows = good(products);
  const history = lakeKeys && opts.lake ? await readPriceHistory(opts.lake, historyIds(productRows)) : undefined;
  const toPublish = {
    products: productVersions(productRows, history),
    clients: good(clients),
    invoiceLines: good(invoices),
  };
  const report: UploadReport = {
    status: opts.dryRun ? 'dry-run' : refused ? 'refused' : 'published',
    asOf,
    fullReplace: Boolean(opts.fullReplace),
    sheets: [
      [products, 'Products'],
      [clients, 'Clients'],
      [invoices, 'Invoices'],
    ].flatMap(([s, name]) => {
      const r = s as SheetRows | undefined;
      if (!r) return [];
      const src = input.sheets[name as SheetName]!;
      return [
        {
          sheet: name as SheetName,
          label: r.label,
          file: src.grid.file,
          headerRow: r.header?.row ?? null,
          rows: r.rows.length,
          bad: r.rows.filter((x) => x.bad).length,
        },
      ];
    }),
    notices,
    errors,
    warnings: issues.filter((i) => i.severity === 'warning'),
    badRows,
    skippedRows: refused ? 0 : badRows,
    published: {
      products: toPublish.products.length,
      clients: toPublish.clients.length,
      invoiceLines: toPublish.invoiceLines.length,
    },
    deleted,
    messages: 0,
  };
  const batches: TopicMessages[] = [
    rowMessages(PRODUCTS, toPublish.products),
    rowMessages(CLIENTS, toPublish.clients),
    rowMessages(INVOICES, toPublish.invoiceLines),
    deleteMessages(PRODUCTS, deleted.products),
    deleteMessages(CLIENTS, deleted.clients),
    asOfMessage(asOf),
  ];
  return { report, batches: report.status === 'published' ? batches : [] };
}

/** Issues in reading order: sheet by sheet (Products, Clients, Invoices), then row, then column. */
function sortIssues(issues: Issue[], sheets: (SheetRows | undefined)[]): void {
  const order = sheets.map((s) => s?.label);
  const pos = (i: Issue) => {
    const m = /^([A-Z]*)(\d+)/.exec(i.cell);
    const col = m?.[1] ? [...m[1]].reduce((n, ch) => n * 26 + ch.charCodeAt(0) - 64, 0) : 0;
    return [order.indexOf(i.sheet), Number(m?.[2] ?? 0), col];
  };
  issues.sort((a, b) => {
    const [x, y] = [pos(a), pos(b)];
    return x[0] - y[0] || x[1] - y[1] || x[2] - y[2];
  });
}

/** The error of a refused upload (the CLI exits with it; the API answers 422 with the report beside it). */
export function refusedError(r: UploadReport) {
  const plural = (n: number, w: string) => `${n} ${w}${n === 1 ? '' : 's'}`;
  return tlError('TL_DATA_INVALID_ROWS', { errors: plural(r.errors.length, 'error'), rows: plural(r.badRows, 'row') });
}
