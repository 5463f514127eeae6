/**
 * Hand-made FSDS filings for the fundamentals tests: two companies, six filings of ACME (a 10-Q for 2024 Q3, the
 * 10-K for 2024, 10-Qs for 2025 Q1–Q3 and a 10-Q/A restating Q2) and one of GLOBEX (negative revenue, a balance
 * sheet that does not balance). The first quarter is written in the 2009 num.txt layout (footnote, no segments)
 * and zipped; the second in the newer layout (segments, other column order) as a folder with a splits.tsv (ACME
 * splits 2:1 on 2025-04-14). Daily closes of ACME and of an index IDX are written as 1m bars to a lake.
 *
 * The expected figures are worked out by hand in the tests that use this file; the numbers here are chosen so
 * that the arithmetic is easy to follow (fundamentals.test.ts has it line by line).
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';

export interface FixtureFiling {
  adsh: string;
  cik: number;
  name: string;
  form: string;
  period: string; // yyyymmdd
  fy: number;
  fp: string;
  accepted: string; // yyyy-mm-dd hh:mm:ss.0
  instance: string;
  /** [tag, ddate yyyymmdd, qtrs, value, coreg?, segments?, version?] */
  nums: [string, string, number, string, string?, string?, string?][];
}

const G = 'us-gaap/2024';
const ACME = { cik: 1001, name: 'ACME CORP' };

/** A filing's flows as [tag, qtrs, value] at its period, instants at its period, and the cover-page shares. */
function filing(
  f: Omit<FixtureFiling, 'nums' | 'cik' | 'name'> & { cik?: number; name?: string },
  flows: [string, number, string][],
  instants: [string, string][],
  shares?: [string, string],
  extra: FixtureFiling['nums'] = [],
): FixtureFiling {
  return {
    cik: ACME.cik,
    name: ACME.name,
    ...f,
    nums: [
      ...flows.map(([tag, q, v]) => [tag, f.period, q, v] as FixtureFiling['nums'][number]),
      ...instants.map(([tag, v]) => [tag, f.period, 0, v] as FixtureFiling['nums'][number]),
      ...(shares
        ? [['EntityCommonStockSharesOutstanding', shares[0], 0, shares[1]] as FixtureFiling['nums'][number]]
        : []),
      ...extra,
    ],
  };
}

const balance = (ca: string, cl: string, a: string, eq: string, cash: string, inv: string, ar: string, debt: string) =>
  [
    ['AssetsCurrent', ca],
    ['LiabilitiesCurrent', cl],
    ['Assets', a],
    ['LiabilitiesAndStockholdersEquity', a],
    ['StockholdersEquity', eq],
    ['CashAndCashEquivalentsAtCarryingValue', cash],
    ['InventoryNet', inv],
    ['AccountsReceivableNetCurrent', ar],
    ['LongTermDebt', debt],
  ] as [string, string][];

/** Quarter 1 (old layout, zipped): ACME 2024 Q3, FY 2024, 2025 Q1; GLOBEX 2025 Q1. */
export const OLD_QUARTER: FixtureFiling[] = [
  filing(
    {
      adsh: '0000001001-24-000003',
      form: '10-Q',
      period: '20240930',
      fy: 2024,
      fp: 'Q3',
      accepted: '2024-10-25 16:00:00.0',
      instance: 'acme-20240930.xml',
    },
    [
      ['Revenues', 1, '950'],
      ['Revenues', 3, '2900'],
      ['CostOfRevenue', 1, '570'],
      ['CostOfRevenue', 3, '1740'],
      ['OperatingIncomeLoss', 1, '200'],
      ['OperatingIncomeLoss', 3, '600'],
      ['NetIncomeLoss', 1, '140'],
      ['NetIncomeLoss', 3, '420'],
      ['InterestExpense', 1, '10'],
      ['InterestExpense', 3, '30'],
      ['IncomeLossFromContinuingOperationsBeforeIncomeTaxesExtraordinaryItemsNoncontrollingInterest', 1, '190'],
      ['IncomeLossFromContinuingOperationsBeforeIncomeTaxesExtraordinaryItemsNoncontrollingInterest', 3, '570'],
      ['IncomeTaxExpenseBenefit', 1, '50'],
      ['IncomeTaxExpenseBenefit', 3, '150'],
      ['NetCashProvidedByUsedInOperatingActivities', 3, '700'],
      ['PaymentsToAcquirePropertyPlantAndEquipment', 3, '200'],
    ],
    balance('1400', '650', '4800', '1900', '380', '320', '240', '980'),
    ['20241020', '100'],
  ),
  filing(
    {
      adsh: '0000001001-25-000001',
      form: '10-K',
      period: '20241231',
      fy: 2024,
      fp: 'FY',
      accepted: '2025-02-14 16:00:00.0',
      instance: 'acme-20241231.xml',
    },
    [
      ['SalesRevenueNet', 4, '4000'],
      ['CostOfRevenue', 4, '2400'],
      ['OperatingIncomeLoss', 4, '800'],
      ['NetIncomeLoss', 4, '570'],
      ['InterestExpense', 4, '40'],
      ['IncomeLossFromContinuingOperationsBeforeIncomeTaxesExtraordinaryItemsNoncontrollingInterest', 4, '760'],
      ['IncomeTaxExpenseBenefit', 4, '190'],
      ['NetCashProvidedByUsedInOperatingActivities', 4, '1000'],
      ['PaymentsToAcquirePropertyPlantAndEquipment', 4, '300'],
    ],
    balance('1500', '600', '5000', '2000', '400', '300', '250', '1000'),
    ['20250210', '100'],
  ),
  filing(
    {
      adsh: '0000001001-25-000002',
      form: '10-Q',
      period: '20250331',
      fy: 2025,
      fp: 'Q1',
      accepted: '2025-04-28 16:00:00.0',
      instance: 'acme-20250331.xml',
    },
    [
      ['Revenues', 1, '1000'],
      ['SalesRevenueNet', 1, '999'], // both: Revenues comes first in the map
      ['CostOfRevenue', 1, '600'],
      ['OperatingIncomeLoss', 1, '230'],
      ['NetIncomeLoss', 1, '160'],
      ['InterestExpense', 1, '11'],
      ['IncomeLossFromContinuingOperationsBeforeIncomeTaxesExtraordinaryItemsNoncontrollingInterest', 1, '219'],
      ['IncomeTaxExpenseBenefit', 1, '59'],
      ['NetCashProvidedByUsedInOperatingActivities', 1, '250'],
      ['DepreciationDepletionAndAmortization', 1, '48'],
      ['PaymentsToAcquirePropertyPlantAndEquipment', 1, '80'],
    ],
    balance('1600', '800', '5500', '2200', '420', '350', '270', '1050'),
    ['20250425', '200'], // after the 2:1 split of 2025-04-14
  ),
  filing(
    {
      adsh: '0000002002-25-000001',
      cik: 2002,
      name: 'GLOBEX INC',
      form: '10-Q',
      period: '20250331',
      fy: 2025,
      fp: 'Q1',
      accepted: '2025-05-02 09:30:00.0',
      instance: 'gbx-20250331.xml',
    },
    [
      ['RevenueFromContractWithCustomerExcludingAssessedTax', 1, '-5'],
      ['NetIncomeLoss', 1, '-20'],
    ],
    [
      ['Assets', '1000'],
      ['LiabilitiesAndStockholdersEquity', '990'],
      ['StockholdersEquity', '400'],
    ],
  ),
];

/** Quarter 2 (newer layout with segments, a folder): ACME 2025 Q2, its amendment, 2025 Q3. */
export const NEW_QUARTER: FixtureFiling[] = [
  filing(
    {
      adsh: '0000001001-25-000003',
      form: '10-Q',
      period: '20250630',
      fy: 2025,
      fp: 'Q2',
      accepted: '2025-07-28 16:00:00.0',
      instance: 'acme-20250630.xml',
    },
    [
      ['Revenues', 1, '1200'],
      ['Revenues', 2, '2200'],
      ['CostOfRevenue', 1, '700'],
      ['CostOfRevenue', 2, '1300'],
      ['OperatingIncomeLoss', 1, '270'],
      ['OperatingIncomeLoss', 2, '500'],
      ['NetIncomeLoss', 1, '190'],
      ['NetIncomeLoss', 2, '350'],
      ['InterestExpense', 1, '12'],
      ['InterestExpense', 2, '23'],
      ['IncomeLossFromContinuingOperationsBeforeIncomeTaxesExtraordinaryItemsNoncontrollingInterest', 1, '258'],
      ['IncomeLossFromContinuingOperationsBeforeIncomeTaxesExtraordinaryItemsNoncontrollingInterest', 2, '477'],
      ['IncomeTaxExpenseBenefit', 1, '68'],
      ['IncomeTaxExpenseBenefit', 2, '127'],
      ['NetCashProvidedByUsedInOperatingActivities', 2, '600'],
      ['DepreciationDepletionAndAmortization', 2, '100'],
      ['PaymentsToAcquirePropertyPlantAndEquipment', 2, '170'],
    ],
    balance('1700', '850', '5800', '2400', '450', '380', '290', '1100'),
    ['20250720', '205'],
  ),
  filing(
    {
      adsh: '0000001001-25-000004',
      form: '10-Q/A',
      period: '20250630',
      fy: 2025,
      fp: 'Q2',
      accepted: '2025-08-20 16:00:00.0',
      instance: 'acme-20250630.xml',
    },
    [
      ['Revenues', 1, '1150'],
      ['Revenues', 2, '2150'],
      ['CostOfRevenue', 1, '680'],
      ['CostOfRevenue', 2, '1280'],
      ['OperatingIncomeLoss', 1, '260'],
      ['OperatingIncomeLoss', 2, '490'],
      ['NetIncomeLoss', 1, '180'],
      ['NetIncomeLoss', 2, '340'],
      ['InterestExpense', 1, '12'],
      ['InterestExpense', 2, '23'],
      ['IncomeLossFromContinuingOperationsBeforeIncomeTaxesExtraordinaryItemsNoncontrollingInterest', 1, '248'],
      ['IncomeLossFromContinuingOperationsBeforeIncomeTaxesExtraordinaryItemsNoncontrollingInterest', 2, '467'],
      ['IncomeTaxExpenseBenefit', 1, '68'],
      ['IncomeTaxExpenseBenefit', 2, '127'],
      ['NetCashProvidedByUsedInOperatingActivities', 2, '600'],
      ['DepreciationDepletionAndAmortization', 2, '100'],
      ['PaymentsToAcquirePropertyPlantAndEquipment', 2, '170'],
    ],
    balance('1700', '850', '5800', '2400', '450', '380', '290', '1100'),
    ['20250720', '205'],
  ),
  filing(
    {
      adsh: '0000001001-25-000005',
      form: '10-Q',
      period: '20250930',
      fy: 2025,
      fp: 'Q3',
      accepted: '2025-10-27 16:00:00.0',
      instance: 'acme-20250930.xml',
    },
    [
      ['Revenues', 1, '1300'],
      ['Revenues', 3, '3450'],
      ['CostOfRevenue', 1, '780'],
      ['CostOfRevenue', 3, '2060'],
      ['GrossProfit', 1, '520'],
      ['GrossProfit', 3, '1390'],
      ['OperatingIncomeLoss', 1, '300'],
      ['OperatingIncomeLoss', 3, '790'],
      ['NetIncomeLoss', 1, '210'],
      ['NetIncomeLoss', 3, '550'],
      ['InterestExpense', 1, '12'],
      ['InterestExpense', 3, '35'],
      ['IncomeLossFromContinuingOperationsBeforeIncomeTaxesExtraordinaryItemsNoncontrollingInterest', 1, '288'],
      ['IncomeLossFromContinuingOperationsBeforeIncomeTaxesExtraordinaryItemsNoncontrollingInterest', 3, '755'],
      ['IncomeTaxExpenseBenefit', 1, '78'],
      ['IncomeTaxExpenseBenefit', 3, '205'],
      ['NetCashProvidedByUsedInOperatingActivities', 3, '900'],
      ['DepreciationDepletionAndAmortization', 3, '150'],
      ['PaymentsToAcquirePropertyPlantAndEquipment', 3, '260'],
    ],
    [...balance('1800', '900', '6000', '2500', '500', '400', '300', '1200'), ['Liabilities', '3500']],
    ['20251020', '210'],
    [
      // to be ignored: a segment, a co-registrant, a custom tag, last year's comparative
      ['Revenues', '20250930', 1, '999', '', 'ProductOrServiceAxis=Widgets;'],
      ['Revenues', '20250930', 1, '777', 'SUBCO', ''],
      ['Revenues', '20250930', 1, '555', '', '', '0000001001-25-000005'],
      ['Revenues', '20240930', 1, '950'],
    ],
  ),
];

export const SPLIT = { symbol: 'ACME', exDate: '2025-04-14', ratio: 2 };

const SUB_HEADER = [
  'adsh',
  'cik',
  'name',
  'sic',
  'countryba',
  'form',
  'period',
  'fy',
  'fp',
  'filed',
  'accepted',
  'prevrpt',
  'detail',
  'instance',
];

function subTxt(filings: FixtureFiling[]): string {
  const rows = filings.map((f) =>
    [
      f.adsh,
      f.cik,
      f.name,
      '3560',
      'US',
      f.form,
      f.period,
      f.fy,
      f.fp,
      f.accepted.slice(0, 10).replaceAll('-', ''),
      f.accepted,
      '0',
      '0',
      f.instance,
    ].join('\t'),
  );
  return `${[SUB_HEADER.join('\t'), ...rows].join('\n')}\n`;
}

function tags(filings: FixtureFiling[]): string[] {
  return [...new Set(filings.flatMap((f) => f.nums.map((n) => n[0])))].sort();
}

function tagTxt(filings: FixtureFiling[]): string {
  const rows = tags(filings).map((t) =>
    [t, t.startsWith('Entity') ? 'dei/2024' : G, '0', '0', 'monetary', 'D', 'C', t, `The ${t}.`].join('\t'),
  );
  return `${['tag\tversion\tcustom\tabstract\tdatatype\tiord\tcrdr\ttlabel\tdoc', ...rows].join('\n')}\n`;
}

function preTxt(filings: FixtureFiling[]): string {
  const rows = filings.flatMap((f) =>
    [...new Set(f.nums.map((n) => n[0]))].map((t, i) =>
      [f.adsh, '2', String(i + 1), 'IS', '0', 'H', t, G, t, '0'].join('\t'),
    ),
  );
  return `${['adsh\treport\tline\tstmt\tinpth\trfile\ttag\tversion\tplabel\tnegating', ...rows].join('\n')}\n`;
}

const versionOf = (n: FixtureFiling['nums'][number]) => n[6] ?? (n[0].startsWith('Entity') ? 'dei/2024' : G);

/** Writes the old-layout quarter as a zip (Debian's python3 zipfile) and returns its path. */
export function writeOldQuarter(dir: string): string {
  const folder = join(dir, 'old');
  mkdirSync(folder, { recursive: true });
  const num = OLD_QUARTER.flatMap((f) =>
    f.nums.map((n) =>
      [
        f.adsh,
        n[0],
        versionOf(n),
        n[4] ?? '',
        n[1],
        n[2],
        n[0].startsWith('Entity') ? 'shares' : 'USD',
        `${n[3]}.0000`,
        '',
      ].join('\t'),
    ),
  );
  writeFileSync(
    join(folder, 'num.txt'),
    `${['adsh\ttag\tversion\tcoreg\tddate\tqtrs\tuom\tvalue\tfootnote', ...num].join('\n')}\n`,
  );
  writeFileSync(join(folder, 'sub.txt'), subTxt(OLD_QUARTER));
  writeFileSync(join(folder, 'tag.txt'), tagTxt(OLD_QUARTER));
  writeFileSync(join(folder, 'pre.txt'), preTxt(OLD_QUARTER));
  const zip = join(dir, '2025q2-old-layout.zip');
  execFileSync('/usr/bin/python3', [
    '-c',
    'import sys, zipfile\nz = zipfile.ZipFile(sys.argv[1], "w", zipfile.ZIP_DEFLATED)\nfor f in sys.argv[3:]: z.write(sys.argv[2] + "/" + f, f)\nz.close()',
    zip,
    folder,
    'sub.txt',
    'num.txt',
    'tag.txt',
    'pre.txt',
  ]);
  return zip;
}

/** Writes the new-layout quarter (segments before coreg, value and footnote last) and splits.tsv as a folder. */
export function writeNewQuarter(dir: string): string {
  const folder = join(dir, 'new');
  mkdirSync(folder, { recursive: true });
  const num = NEW_QUARTER.flatMap((f) =>
    f.nums.map((n) =>
      [
        f.adsh,
        n[0],
        versionOf(n),
        n[1],
        n[2],
        n[0].startsWith('Entity') ? 'shares' : 'USD',
        n[5] ?? '',
        n[4] ?? '',
        n[3],
        '',
      ].join('\t'),
    ),
  );
  writeFileSync(
    join(folder, 'num.txt'),
    `${['adsh\ttag\tversion\tddate\tqtrs\tuom\tsegments\tcoreg\tvalue\tfootnote', ...num].join('\n')}\n`,
  );
  writeFileSync(join(folder, 'sub.txt'), subTxt(NEW_QUARTER));
  writeFileSync(join(folder, 'tag.txt'), tagTxt(NEW_QUARTER));
  writeFileSync(join(folder, 'pre.txt'), preTxt(NEW_QUARTER));
  writeFileSync(
    join(folder, 'splits.tsv'),
    `symbol\tex_date\tratio\n${SPLIT.symbol}\t${SPLIT.exDate.replaceAll('-', '')}\t${SPLIT.ratio}\n`,
  );
  return folder;
}

/** Weekdays from..to (ISO dates). */
export function weekdays(from: string, to: string): string[] {
  const out: string[] = [];
  for (let t = Date.parse(`${from}T00:00:00Z`); t <= Date.parse(`${to}T00:00:00Z`); t += 86_400_000) {
    const d = new Date(t).getUTCDay();
    if (d !== 0 && d !== 6) out.push(new Date(t).toISOString().slice(0, 10));
  }
  return out;
}

/**
 * Daily closes of IDX and ACME, 2024-09-02 … 2025-10-31 (weekdays). ACME's split-adjusted price follows 1.3 × the
 * index's log return plus its own noise; its traded close halves from the split's ex date on.
 */
export function fixturePrices(): { day: string; idx: number; acme: number }[] {
  let x = 12345;
  const rnd = () => {
    x = (x * 1103515245 + 12345) % 2 ** 31;
    return x / 2 ** 31 - 0.5;
  };
  let idx = 100;
  let adj = 40;
  return weekdays('2024-09-02', '2025-10-31').map((day, i) => {
    if (i > 0) {
      const m = rnd() * 0.04;
      idx *= Math.exp(m);
      adj *= Math.exp(1.3 * m + rnd() * 0.03);
    }
    const acme = day >= SPLIT.exDate ? adj / SPLIT.ratio : adj;
    return { day, idx: Math.round(idx * 10000) / 10000, acme: Math.round(acme * 10000) / 10000 };
  });
}

/** Writes the closes as one 1m bar per symbol and day (19:59 UTC) into `<lake>/bars/window=1m/date=…/`. */
export async function writeFixtureBars(lakeDir: string): Promise<void> {
  const prices = fixturePrices();
  mkdirSync(lakeDir, { recursive: true });
  const inst = await DuckDBInstance.create(':memory:');
  const c = await inst.connect();
  try {
    const values = prices
      .flatMap((p) => [`('IDX', DATE '${p.day}', ${p.idx})`, `('ACME', DATE '${p.day}', ${p.acme})`])
      .join(',');
    await c.run(`create table px(symbol varchar, day date, close double); insert into px values ${values}`);
    await c.run(`copy (
      select symbol, day + interval 19 hour + interval 59 minute as window_start,
             day + interval 20 hour as window_end, close as open, close as high, close as low, close,
             100::bigint as volume, close * 100 as notional, close as vwap, 1::bigint as trades,
             1.0 as trade_rate, 0.0 as volatility, null::double as log_return, '1m' as "window", day as date
      from px) to '${join(lakeDir, 'bars')}' (format parquet, partition_by ("window", date), overwrite_or_ignore true)`);
  } finally {
    c.closeSync();
  }
}
