/**
 * Job files (`sql/jobs/<name>.sql`, docs/tables.md): a header and one `select` over sources, other jobs and their
 * `_history` views. This file reads the header and finds what the select reads; the catalog (catalog.ts) learns the
 * output columns by binding the select against the declared inputs.
 */
import type { DuckDBConnection } from '../../core/duckdb.js';
import { tlError } from '../../core/errors.js';
import { sqlFileError } from '../../lake/sql-file-error.js';
import {
  allowKeys,
  headerError,
  nameList,
  readSqlFileParts,
  requireKey,
  type SqlFileParts,
} from '../../lake/sql-file-header.js';
import { sqlString } from '../../lake/sql-quote.js';
import { parseWindows, type WindowSpec } from '../time/windows.js';
import { readMysqlFlag, type TableDecl } from './source-file.js';

export const JOB_KINDS = ['table', 'window'] as const;
export type JobKind = (typeof JOB_KINDS)[number];

export interface JobDecl extends TableDecl {
  kind: 'job';
  jobKind: JobKind;
  /** The select, as written. */
  sql: string;
  /** Relations the select reads: source and job names, and `<name>_history`. */
  reads: string[];
  /** `table` jobs: columns such that an output row depends only on input rows with the same values of them. */
  partitionBy: string[];
  /** `window` jobs: the window size and the stream whose windows close. */
  window?: WindowSpec;
  source?: string;
  /** Publish the job's changes to this topic. */
  topic?: string;
  /** Parsed header, for errors found later (binding, references). */
  parts: SqlFileParts;
  /**
   * A `table` job whose select yields rows over empty inputs (a global aggregate: `select count(*) …`): its result
   * exists before any message arrives, so it starts with the engine (processors/tables/startup.ts). Set by the
   * catalog when it binds the job.
   */
  rowsWhenEmpty: boolean;
}

const JOB_KEYS = ['title', 'description', 'key', 'kind', 'partition_by', 'window', 'source', 'topic', 'mysql'];

/** Reads a job file's header and the relations its select reads. Columns are filled in by the catalog. */
export async function parseJobFile(conn: DuckDBConnection, file: string, name: string, text: string): Promise<JobDecl> {
  const p = readSqlFileParts(file, text, JOB_KEYS);
  allowKeys(p, JOB_KEYS);
  const title = requireKey(p, 'title').value;
  const key = nameList(requireKey(p, 'key').value);
  const jobKind = (p.fields.get('kind')?.value.toLowerCase() ?? 'table') as JobKind;
  if (!JOB_KINDS.includes(jobKind)) throw headerError(p, 'kind', `kind must be table or window, not "${jobKind}"`);
  if (!/^\s*(with|select|from|\()/i.test(p.body)) {
    throw tlError('TL_SQL_BAD_HEADER', {
      file,
      line: p.bodyLine,
      reason: 'a job file holds one select after its header',
    });
  }
  const job: JobDecl = {
    kind: 'job',
    name,
    file,
    line: p.bodyLine,
    title,
    description: p.fields.get('description')?.value ?? '',
    columns: [],
    key,
    mysql: readMysqlFlag(p),
    jobKind,
    sql: p.body,
    reads: await tablesRead(conn, p),
    partitionBy: nameList(p.fields.get('partition_by')?.value ?? ''),
    parts: p,
    rowsWhenEmpty: false,
  };
  const topic = p.fields.get('topic')?.value;
  if (topic !== undefined) {
    if (!/^[A-Za-z0-9._-]{1,249}$/.test(topic))
      throw headerError(p, 'topic', `"${topic}" is not a valid Kafka topic name`);
    job.topic = topic;
  }
  if (jobKind === 'window') {
    const w = p.fields.get('window')?.value;
    if (!w) throw headerError(p, 'kind', 'a window job needs "-- window: <size>" (e.g. 1h)');
    try {
      job.window = parseWindows(w)[0];
    } catch (e) {
      throw headerError(p, 'window', (e as Error).message.replace(/^.*?: /, ''));
    }
    job.source = p.fields.get('source')?.value;
    if (job.partitionBy.length > 0) throw headerError(p, 'partition_by', 'partition_by is for table jobs');
  } else {
    for (const k of ['window', 'source']) {
      if (p.fields.has(k)) throw headerError(p, k, `${k} is for window jobs (-- kind: window)`);
    }
  }
  if (key.length === 0) throw headerError(p, 'key', 'key names at least one column');
  return job;
}

/**
 * The tables a select reads, from DuckDB's own parse tree (json_serialize_sql): every base table reference that
 * is not one of the query's common table expressions.
 */
export async function tablesRead(conn: DuckDBConnection, p: SqlFileParts): Promise<string[]> {
  const r = await conn.runAndReadAll(`SELECT json_serialize_sql(${sqlString(p.body)})`);
  const tree = JSON.parse(String(r.getRowsJS()[0][0])) as Record<string, unknown>;
  if (tree.error) {
    throw sqlFileError({ file: p.file, line: p.bodyLine }, new Error(String(tree.error_message ?? 'cannot parse')));
  }
  const tables = new Set<string>();
  const ctes = new Set<string>();
  const walk = (node: unknown): void => {
    if (Array.isArray(node)) {
      for (const n of node) walk(n);
      return;
    }
    if (node === null || typeof node !== 'object') return;
    const o = node as Record<string, unknown>;
    if (o.type === 'BASE_TABLE' && typeof o.table_name === 'string' && !o.schema_name) tables.add(o.table_name);
    const map = (o.cte_map as { map?: { key: string }[] } | undefined)?.map;
    if (Array.isArray(map)) for (const m of map) ctes.add(m.key);
    for (const v of Object.values(o)) walk(v);
  };
  walk(tree.statements);
  if ((tree.statements as unknown[]).length !== 1) {
    throw tlError('TL_SQL_BAD_HEADER', {
      file: p.file,
      line: p.bodyLine,
      reason: 'a job file holds exactly one select',
    });
  }
  return [...tables].filter((t) => !ctes.has(t)).sort();
}
