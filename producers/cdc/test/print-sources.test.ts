/**
 * `ticklake cdc --print-sources` (the CLI, as a child process) writes one declaration per bank table from the
 * MariaDB schema: the docs/tables.md header, the key, exact types (decimal(12,2), bigint, timestamp) and not null;
 * DuckDB accepts each `create table` as written.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createDatabase,
  queryMysql,
  startTestMysql,
  type TestMysql,
  testMysqlAvailable,
} from '../../../test/helpers/mysql.js';
import { BANK_DDL, BANK_TABLES } from '../../bank/bank-schema.js';

const BANK_SOURCES = fileURLToPath(new URL('../../../sql/bank/sources/', import.meta.url));

const BIN = fileURLToPath(new URL('../../../cli/bin.js', import.meta.url));
const execFileP = promisify(execFile);

describe.skipIf(!testMysqlAvailable() || process.env.TICKLAKE_TEST_MYSQL_URL)('cdc --print-sources', () => {
  let my: TestMysql;
  let dir: string;
  beforeAll(async () => {
    my = await startTestMysql({ binlog: true });
    dir = await mkdtemp(join(tmpdir(), 'tl-print-sources-'));
  }, 60_000);
  afterAll(async () => {
    await my?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('writes declarations DuckDB accepts, with exact types and keys', async () => {
    const url = await createDatabase(my.url, 'bank');
    for (const ddl of BANK_DDL) await queryMysql(url, ddl);
    await queryMysql(url, 'CREATE TABLE pairs (a INT, b VARCHAR(5), big DECIMAL(50,5), j JSON, PRIMARY KEY (a, b))');
    const out = join(dir, 'sources');
    const { stdout } = await execFileP(process.execPath, [
      BIN,
      'cdc',
      '--mysql-url',
      url,
      '--print-sources',
      '--sources-dir',
      out,
      '--topic-prefix',
      'core',
    ]);
    expect(stdout.trim().split('\n')).toHaveLength(7);
    expect((await readdir(out)).sort()).toEqual([
      'cards.sql',
      'fraud_labels.sql',
      'mcc_codes.sql',
      'merchants.sql',
      'pairs.sql',
      'transactions.sql',
      'users.sql',
    ]);
    const txn = await readFile(join(out, 'transactions.sql'), 'utf8');
    expect(txn).toContain('-- topic: core.bank.transactions\n-- format: debezium\n');
    expect(txn).toContain('  txn_id bigint primary key,\n');
    expect(txn).toContain('  amount decimal(12,2) not null,\n');
    expect(txn).toContain('  use_chip varchar not null,\n');
    expect(txn).toContain('  errors varchar,\n');
    expect(txn).toContain('  txn_time timestamp not null\n');
    const pairs = await readFile(join(out, 'pairs.sql'), 'utf8');
    expect(pairs).toContain('  big varchar,\n'); // DECIMAL(50,5) does not fit DuckDB's 38 digits: text, exact
    expect(pairs).toContain('  j json,\n');
    expect(pairs).toContain('  primary key (a, b)\n');

    const db = await (await DuckDBInstance.create(':memory:')).connect();
    for (const f of await readdir(out)) {
      const sql = (await readFile(join(out, f), 'utf8'))
        .split('\n')
        .filter((l) => !l.startsWith('--'))
        .join('\n');
      await db.run(sql);
    }
    const cols = await db.runAndReadAll(
      "select column_name, data_type from duckdb_columns() where table_name = 'cards' order by column_index",
    );
    expect(cols.getRows().map((r) => `${r[0]} ${r[1]}`)).toEqual([
      'card_id INTEGER',
      'user_id INTEGER',
      'brand VARCHAR',
      'card_type VARCHAR',
      'credit_limit DECIMAL(12,2)',
      'has_chip SMALLINT',
      'status VARCHAR',
      'opened_at TIMESTAMP',
      'closed_at TIMESTAMP',
      'updated_at TIMESTAMP',
    ]);
    expect(await readFile(join(out, 'users.sql'), 'utf8')).toContain('-- valid_from: updated_at\n');

    // sql/bank/sources is this command's output for the bank simulator's tables (generated — kept current here;
    // TICKLAKE_UPDATE_GENERATED=1 rewrites it)
    const bankOut = join(dir, 'bank');
    await execFileP(process.execPath, [
      BIN,
      'cdc',
      '--mysql-url',
      url,
      '--print-sources',
      '--sources-dir',
      process.env.TICKLAKE_UPDATE_GENERATED ? BANK_SOURCES : bankOut,
      '--topic-prefix',
      'bank',
      '--tables',
      BANK_TABLES.map((t) => `bank.${t}`).join(','),
    ]);
    for (const t of BANK_TABLES) {
      const committed = await readFile(join(BANK_SOURCES, `${t}.sql`), 'utf8');
      if (!process.env.TICKLAKE_UPDATE_GENERATED)
        expect(committed, `sql/bank/sources/${t}.sql is stale`).toBe(await readFile(join(bankOut, `${t}.sql`), 'utf8'));
    }
  }, 60_000);
});
