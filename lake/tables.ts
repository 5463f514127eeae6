/**
 * The lake's tables in code: the same contract as docs/lake.md. The processor writes files with these columns;
 * views (sql/views), the API and the shell read them; a table with no files yet reads as an empty relation of
 * these columns.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface LakeColumn {
  name: string;
  /** DuckDB type. */
  type: string;
}

export interface LakeTable {
  name: string;
  /** Columns stored in the Parquet files, in order. */
  columns: LakeColumn[];
  /** Hive partition columns, in path order; they are in the path, not in the files. */
  partitions: LakeColumn[];
  /** Natural key; re-delivery overwrites rows with the same key (same file name). */
  key: string[];
  description: string;
}

const cols = (spec: string): LakeColumn[] =>
  spec
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map((s) => {
      const [name, ...type] = s.split(/\s+/);
      return { name, type: type.join(' ') };
    });

const TICK_COLUMNS =
  'symbol VARCHAR, exchange VARCHAR, asset_class VARCHAR, ts TIMESTAMP, price DOUBLE, size DOUBLE, kafka_partition INTEGER, kafka_offset BIGINT';
const DATE = cols('date DATE');

export const LAKE_TABLES: readonly LakeTable[] = [
  {
    name: 'ticks',
    columns: cols(TICK_COLUMNS),
    partitions: DATE,
    key: ['kafka_partition', 'kafka_offset'],
    description: 'Every valid tick, with the Kafka partition and offset it came from',
  },
  {
    name: 'bars',
    columns: cols(
      'symbol VARCHAR, window_start TIMESTAMP, window_end TIMESTAMP, open DOUBLE, high DOUBLE, low DOUBLE, close DOUBLE, volume DOUBLE, notional DOUBLE, vwap DOUBLE, trades BIGINT, trade_rate DOUBLE, volatility DOUBLE, log_return DOUBLE',
    ),
    partitions: cols('window VARCHAR, date DATE'),
    key: ['symbol', 'window', 'window_start'],
    description: 'OHLCV bars per symbol and window, with VWAP, trade rate, volatility and log return',
  },
  {
    name: 'anomalies',
    columns: cols(
      'symbol VARCHAR, ts TIMESTAMP, kind VARCHAR, severity VARCHAR, window VARCHAR, value DOUBLE, threshold DOUBLE, price DOUBLE, kafka_partition INTEGER, kafka_offset BIGINT',
    ),
    partitions: DATE,
    key: ['symbol', 'kind', 'window', 'ts'],
    description: 'Price spikes and crashes per tick, volume spikes per bar',
  },
  {
    name: 'valuations',
    columns: cols(
      'portfolio_id VARCHAR, investor_id VARCHAR, window VARCHAR, as_of TIMESTAMP, nav DOUBLE, change DOUBLE, change_pct DOUBLE, positions INTEGER, missing_prices INTEGER',
    ),
    partitions: DATE,
    key: ['portfolio_id', 'window', 'as_of'],
    description: 'Portfolio net asset value at each window close',
  },
  {
    name: 'late_ticks',
    columns: cols(`${TICK_COLUMNS}, window VARCHAR, watermark TIMESTAMP`),
    partitions: DATE,
    key: ['kafka_partition', 'kafka_offset', 'window'],
    description: 'Ticks that arrived after their window had closed',
  },
  {
    name: 'rejected',
    columns: cols(
      'kafka_topic VARCHAR, kafka_partition INTEGER, kafka_offset BIGINT, received_at TIMESTAMP, reason VARCHAR, key VARCHAR, value VARCHAR',
    ),
    partitions: DATE,
    key: ['kafka_topic', 'kafka_partition', 'kafka_offset'],
    description: 'Messages that are not valid ticks, with the reason',
  },
];

/**
 * Tables other components add at run time (the scheduler's `pipeline_runs` and each `-- materialize:` target,
 * scheduler/): the writer, the hive paths and the lake sessions opened afterwards treat them like the tables above
 * (a view over their files, an empty view while they have none). The processor's outbox and compaction keep to
 * LAKE_TABLES. Registering a name again replaces its definition (a model's columns changed); a built-in name
 * cannot be registered.
 */
const registered = new Map<string, LakeTable>();

export function registerLakeTable(table: LakeTable): void {
  if (LAKE_TABLES.some((t) => t.name === table.name)) {
    throw new Error(`"${table.name}" is a built-in lake table and cannot be registered again`);
  }
  registered.set(table.name, table);
}

/**
 * Definitions a component keeps in the lake (`<lake>/_scheduler/tables/<name>.json`, written by the scheduler), so
 * that every process reading the lake (`ticklake sql`, the API) has views of those tables too. Registers each.
 */
export function loadRegisteredTables(lakeDir: string): LakeTable[] {
  const dir = join(lakeDir, '_scheduler', 'tables');
  const out: LakeTable[] = [];
  let names: string[];
  try {
    names = readdirSync(dir).filter((n) => n.endsWith('.json') && !n.startsWith('.'));
  } catch {
    return out;
  }
  for (const n of names.sort()) {
    try {
      const t = JSON.parse(readFileSync(join(dir, n), 'utf8')) as LakeTable;
      if (!t.name || !Array.isArray(t.columns) || LAKE_TABLES.some((b) => b.name === t.name)) continue;
      registerLakeTable(t);
      out.push(t);
    } catch {
      // a definition being replaced (written by rename, so never partial) or not ours: skip it
    }
  }
  return out;
}

/** The built-in tables, then the registered ones in registration order. */
export function lakeTables(): LakeTable[] {
  return [...LAKE_TABLES, ...registered.values()];
}

export function lakeTable(name: string): LakeTable | undefined {
  return LAKE_TABLES.find((t) => t.name === name) ?? registered.get(name);
}
