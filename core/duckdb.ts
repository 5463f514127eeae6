/**
 * DuckDB's Node API (`@duckdb/node-api`), loaded with `require`: every module of ticklake imports it from here.
 *
 * Why not `import … from '@duckdb/node-api'`: the package is CommonJS, and an ES module that imports CommonJS makes
 * Node 20 parse the package's every file again for its export names (cjs-module-lexer, following its ~40
 * `__exportStar` re-exports). Measured on this machine (2 cores): loading the package took 0.40-0.41 user CPU-s that
 * way against 0.20-0.22 through `require` (three alternating runs each), about a fifth of what a `ticklake sql`
 * process costs (bench/HISTORY.md, "Loading DuckDB's Node API"). Tests may import the package directly: a test
 * fork loads it once.
 *
 * The types are the package's own (`export type *`); a class or enum exported below as a value is re-declared as a
 * type of the same name, so `DuckDBInstance` still names both.
 */
import { createRequire } from 'node:module';
import type * as Api from '@duckdb/node-api';

export type * from '@duckdb/node-api';

const api = createRequire(import.meta.url)('@duckdb/node-api') as typeof Api;

export const {
  BIGINT,
  BOOLEAN,
  DATE,
  DOUBLE,
  INTEGER,
  INTERVAL,
  LIST,
  TIMESTAMP,
  VARCHAR,
  dateValue,
  intervalValue,
  listValue,
  timestampValue,
  DuckDBArrayValue,
  DuckDBConnection,
  DuckDBDataChunk,
  DuckDBDateValue,
  DuckDBDecimalValue,
  DuckDBDoubleType,
  DuckDBInstance,
  DuckDBListValue,
  DuckDBMapValue,
  DuckDBStructValue,
  DuckDBTimestampMillisecondsValue,
  DuckDBTimestampNanosecondsValue,
  DuckDBTimestampSecondsValue,
  DuckDBTimestampTZValue,
  DuckDBTimestampValue,
  DuckDBTypeId,
  DuckDBUnionValue,
  StatementType,
} = api;

export type DuckDBArrayValue = Api.DuckDBArrayValue;
export type DuckDBConnection = Api.DuckDBConnection;
export type DuckDBDataChunk = Api.DuckDBDataChunk;
export type DuckDBDateValue = Api.DuckDBDateValue;
export type DuckDBDecimalValue = Api.DuckDBDecimalValue;
export type DuckDBDoubleType = Api.DuckDBDoubleType;
export type DuckDBInstance = Api.DuckDBInstance;
export type DuckDBListValue = Api.DuckDBListValue;
export type DuckDBMapValue = Api.DuckDBMapValue;
export type DuckDBStructValue = Api.DuckDBStructValue;
export type DuckDBTimestampMillisecondsValue = Api.DuckDBTimestampMillisecondsValue;
export type DuckDBTimestampNanosecondsValue = Api.DuckDBTimestampNanosecondsValue;
export type DuckDBTimestampSecondsValue = Api.DuckDBTimestampSecondsValue;
export type DuckDBTimestampTZValue = Api.DuckDBTimestampTZValue;
export type DuckDBTimestampValue = Api.DuckDBTimestampValue;
export type DuckDBTypeId = Api.DuckDBTypeId;
export type DuckDBUnionValue = Api.DuckDBUnionValue;
export type StatementType = Api.StatementType;
