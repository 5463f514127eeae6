/**
 * Reading recorded trades row by row from CSV, JSON Lines or Parquet, all as header names plus string values, with
 * the position to report problems at: the file line for CSV and JSONL, the row number for Parquet. Streams: memory
 * is bounded by one row (CSV, JSONL) or one DuckDB chunk (Parquet), never by the file size.
 */
import { createReadStream } from 'node:fs';
import { extname } from 'node:path';
import { createInterface } from 'node:readline';
import { tlError } from '../core/errors.js';
import { readCsv } from './csv.js';

export type FileFormat = 'csv' | 'jsonl' | 'parquet';

export interface SourceRow {
  /** Line (CSV, JSONL) or row number (Parquet), 1-based. */
  line: number;
  /** Values in header order; undefined means the row had no such field. */
  values: (string | null | undefined)[];
  /** Set when the row cannot even be split into values (bad JSON, field count). */
  error?: string;
}

export interface RowSource {
  format: FileFormat;
  /** Header names, known after the first row has been read (CSV, Parquet: before). */
  header(): string[];
  rows(): AsyncGenerator<SourceRow>;
}

export function formatOf(file: string): FileFormat {
  const ext = extname(file).toLowerCase();
  if (ext === '.csv' || ext === '.txt') return 'csv';
  if (ext === '.jsonl' || ext === '.ndjson' || ext === '.json') return 'jsonl';
  if (ext === '.parquet' || ext === '.pq') return 'parquet';
  throw tlError('TL_DATA_BAD_FILE', {
    file,
    reason: `unknown format ${ext || '(no extension)'}; use .csv, .jsonl or .parquet`,
  });
}

/** CSV: the first record is the header; rows with a different field count are reported, not guessed at. */
function csvSource(file: string): RowSource {
  let header: string[] = [];
  return {
    format: 'csv',
    header: () => header,
    async *rows() {
      let first = true;
      for await (const rec of readCsv(file)) {
        if (first) {
          header = rec.fields.map((f) => f.trim());
          first = false;
          continue;
        }
        if (rec.fields.length !== header.length) {
          yield {
            line: rec.line,
            values: [],
            error: `expected ${header.length} fields like the header, found ${rec.fields.length}`,
          };
          continue;
        }
        yield { line: rec.line, values: rec.fields };
      }
      if (first) throw tlError('TL_DATA_BAD_FILE', { file, reason: 'empty file, expected a header line' });
    },
  };
}

/**
 * JSON Lines: one object per line. The header is the union of keys seen in the first object; later objects are read
 * by those names (extra keys are ignored, as in the tick contract).
 */
function jsonlSource(file: string): RowSource {
  let header: string[] = [];
  return {
    format: 'jsonl',
    header: () => header,
    async *rows() {
      const rl = createInterface({
        input: createReadStream(file, { encoding: 'utf8' }),
        crlfDelay: Number.POSITIVE_INFINITY,
      });
      let line = 0;
      try {
        for await (const text of rl) {
          line++;
          if (text.trim() === '') continue;
          let obj: unknown;
          try {
            obj = JSON.parse(text);
          } catch (e) {
            yield { line, values: [], error: `not JSON (${(e as Error).message})` };
            continue;
          }
          if (obj === null || typeof obj !== 'object' || Array.isArray(obj)) {
            yield { line, values: [], error: 'not a JSON object' };
            continue;
          }
          const rec = obj as Record<string, unknown>;
          if (header.length === 0) header = Object.keys(rec);
          yield {
            line,
            values: header.map((k) => {
              const v = rec[k];
              if (v === undefined || v === null) return v as undefined | null;
              return typeof v === 'object' ? JSON.stringify(v) : String(v);
            }),
          };
        }
      } finally {
        rl.close();
      }
    },
  };
}

/** Parquet through DuckDB: every column cast to text, streamed chunk by chunk. */
function parquetSource(file: string): RowSource {
  let header: string[] = [];
  return {
    format: 'parquet',
    header: () => header,
    async *rows() {
      const { DuckDBInstance } = await import('../core/duckdb.js');
      const instance = await DuckDBInstance.create(':memory:', { threads: '1' });
      const conn = await instance.connect();
      try {
        let result: Awaited<ReturnType<typeof conn.stream>>;
        try {
          result = await conn.stream('SELECT COLUMNS(*)::VARCHAR FROM read_parquet($1)', [file]);
        } catch (e) {
          throw tlError('TL_DATA_BAD_FILE', { file, reason: `not readable as Parquet (${(e as Error).message})` }, e);
        }
        header = result.columnNames();
        let row = 0;
        for (;;) {
          const chunk = await result.fetchChunk();
          if (!chunk || chunk.rowCount === 0) break;
          for (const values of chunk.getRows()) {
            row++;
            yield { line: row, values: values as (string | null)[] };
          }
        }
      } finally {
        conn.closeSync();
        instance.closeSync();
      }
    },
  };
}

export function openSource(file: string, format: FileFormat = formatOf(file)): RowSource {
  return format === 'csv' ? csvSource(file) : format === 'jsonl' ? jsonlSource(file) : parquetSource(file);
}
