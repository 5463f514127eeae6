/**
 * The exactly-once bar of `ticklake cdc`: the bank simulator writes inserts, updates and deletes while `ticklake
 * cdc` (a child process) is SIGKILLed and restarted again and again — in the initial snapshot (taken while the
 * simulator writes), while streaming, and twice exactly between the broker's acknowledgement and the offsets store.
 * Afterwards each captured topic, folded to its latest row per key, equals its MariaDB table row by row; no binlog
 * change appears twice; every update's and delete's `before` equals the key's previous `after` (nothing lost in
 * between, including across the snapshot-to-stream hand-over). Then `ticklake process` with sql/bank, SIGKILLed
 * once, builds the lake: every lake view equals its MariaDB table row by row.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { cp } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CdcEnv, cdcEnvAvailable, kcatRead, startCdcEnv } from '../../../test/helpers/cdc.js';
import { foldTopic } from '../../../test/helpers/debezium-fold.js';
import { createDatabase, queryMysql } from '../../../test/helpers/mysql.js';
import { runBank } from '../../bank/bank-run.js';
import { BANK_TABLES } from '../../bank/bank-schema.js';

const BIN = fileURLToPath(new URL('../../../cli/bin.js', import.meta.url));
const BANK_SQL = fileURLToPath(new URL('../../../sql/bank/', import.meta.url));

/** A query over the lake through `ticklake sql` (its views of the declared tables), as JSON rows. */
async function lakeQuery(lake: string, sqlDir: string, sql: string): Promise<Record<string, unknown>[]> {
  const { stdout } = await execFileP(
    process.execPath,
    [BIN, 'sql', sql, '--lake-dir', lake, '--sql-dir', sqlDir, '--format', 'json'],
    {
      maxBuffer: 256 * 1024 * 1024,
    },
  );
  return JSON.parse(stdout) as Record<string, unknown>[];
}
const execFileP = promisify(execFile);
const KEYS: Record<string, string[]> = {
  mcc_codes: ['mcc'],
  users: ['user_id'],
  cards: ['card_id'],
  merchants: ['merchant_id'],
  transactions: ['txn_id'],
  fraud_labels: ['txn_id'],
};

let env: CdcEnv;
let url: string;

function cdcArgs(offsetsDir: string, extra: string[] = []): string[] {
  return [
    BIN,
    'cdc',
    '--mysql-url',
    url,
    '--brokers',
    env.brokers.join(','),
    '--topic-prefix',
    'bank',
    '--offsets-dir',
    offsetsDir,
    '--log-level',
    'info',
    ...extra,
  ];
}

function run(
  args: string[],
  env: Record<string, string> = {},
): { child: ChildProcess; done: Promise<number | null>; stderr: () => string } {
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, ...env } });
  let err = '';
  child.stderr?.on('data', (d) => {
    err += d;
  });
  const done = new Promise<number | null>((res) => child.once('exit', (code) => res(code)));
  return { child, done, stderr: () => err };
}

describe.skipIf(!cdcEnvAvailable())('ticklake cdc across SIGKILLs', () => {
  beforeAll(async () => {
    env = await startCdcEnv('cdc-crash');
    url = await createDatabase(env.my.url, 'bank');
  }, 60_000);
  afterAll(async () => {
    await env?.close();
  });

  it('publishes every change exactly once while killed and restarted', async () => {
    const offsetsDir = join(env.dir, 'offsets');
    // a populated database first, so the first run has a real snapshot to do while writes go on
    await runBank({ url, seed: 'crash', rate: 0, count: 400, startMs: Date.UTC(2026, 0, 5, 9) });
    const stopWriting = new AbortController();
    const writer = runBank({
      url,
      seed: 'crash',
      rate: 150,
      startMs: Date.UTC(2026, 0, 5, 9),
      signal: stopWriting.signal,
    });
    let streamingKills = 0;
    let resumedPastOffsets = 0;
    // every third run is killed at a fixed time after its start (often in the snapshot, or in the start-up); the
    // others once they stream, 200–1400 ms later, so the kills land on a busy machine too
    for (let i = 0; i < 5; i++) {
      const r = run(cdcArgs(offsetsDir));
      const fail = (why: string) => new Error(`cdc ${why}: ${r.stderr()}`);
      if (i % 3 === 0) {
        await new Promise((res) => setTimeout(res, 600 + i * 150));
      } else {
        const deadline = Date.now() + 60_000;
        while (!r.stderr().includes('"msg":"streaming"')) {
          if (r.child.exitCode !== null) throw fail(`exited early (${r.child.exitCode})`);
          if (Date.now() > deadline) throw fail('did not start streaming within 60 s');
          await new Promise((res) => setTimeout(res, 20));
        }
        await new Promise((res) => setTimeout(res, 200 + ((i * 397) % 1200)));
      }
      if (r.child.exitCode !== null) throw fail(`exited early (${r.child.exitCode})`);
      r.child.kill('SIGKILL');
      await r.done;
      if (r.stderr().includes('"msg":"streaming"')) streamingKills++;
      if (r.stderr().includes('not publishing them again')) resumedPastOffsets++;
    }
    // and twice exactly between the broker's acknowledgement and the offsets store (TICKLAKE_CRASH_AT)
    let crashedAfterAck = 0;
    for (const n of [2, 5]) {
      const r = run(cdcArgs(offsetsDir), { TICKLAKE_CRASH_AT: `cdc-after-ack:${n}` });
      await r.done;
      if (r.stderr().includes(`killing myself at cdc-after-ack:${n}`)) crashedAfterAck++;
      if (r.stderr().includes('not publishing them again')) resumedPastOffsets++;
    }
    expect(crashedAfterAck).toBe(2);
    stopWriting.abort();
    await writer;
    // most kills hit the streaming phase; how often one landed between an acknowledgement and the stored offsets
    // depends on timing (it did in most runs here), so it is reported, not required
    expect(streamingKills).toBeGreaterThanOrEqual(3);
    const last = run(cdcArgs(offsetsDir, ['--stop-when-idle', '2s']));
    expect(await last.done, last.stderr()).toBe(0);
    if (last.stderr().includes('not publishing them again')) resumedPastOffsets++;
    // the restart after each crash at cdc-after-ack found what the killed run had published past its offsets
    expect(resumedPastOffsets).toBeGreaterThanOrEqual(2);

    let changes = 0;
    for (const table of BANK_TABLES) {
      const msgs = await kcatRead(env.brokers, `bank.bank.${table}`);
      const folded = foldTopic(msgs);
      expect(folded.broken, `${table}: changes lost or doubled`).toEqual([]);
      expect(new Set(folded.changeIds).size, `${table}: a binlog change published twice`).toBe(folded.changeIds.length);
      changes += folded.changeIds.length;
      const dbRows = await queryMysql<Record<string, unknown>>(url, `SELECT * FROM \`${table}\``);
      const expected = new Map(
        dbRows.map((r) => [
          JSON.stringify(Object.fromEntries(KEYS[table].map((k) => [k, Number(r[k])]))),
          Object.fromEntries(Object.entries(r).map(([k, v]) => [k, v === null ? null : String(v)])),
        ]),
      );
      expect(folded.rows.size, table).toBe(expected.size);
      for (const [key, row] of expected) expect(folded.rows.get(key), `${table} ${key}`).toEqual(row);
    }
    expect(changes).toBeGreaterThan(300);

    // the processor (the keyed-table engine with the bank's sources), SIGKILLed once, then to the end: every lake view equals
    // its MariaDB table row by row, and each table's change log holds each change once
    const lake = join(env.dir, 'lake');
    // the bank's sources only (its jobs run in api/test/fraud-page.test.ts): a SQL dir with sql/bank/sources
    const sqlDir = join(env.dir, 'sql');
    await cp(join(BANK_SQL, 'sources'), join(sqlDir, 'sources'), { recursive: true });
    const procArgs = [
      BIN,
      'process',
      '--brokers',
      env.brokers.join(','),
      '--lake-dir',
      lake,
      '--state-dir',
      join(env.dir, 'state'),
      '--sql-dir',
      sqlDir,
      '--sources',
      BANK_TABLES.join(','),
      '--until-idle',
      '--log-level',
      'warn',
    ];
    for (const ms of [2500]) {
      const p = run(procArgs);
      const exited = await Promise.race([p.done, new Promise((res) => setTimeout(() => res('timeout'), ms))]);
      if (exited === 'timeout') {
        p.child.kill('SIGKILL');
        await p.done;
      }
    }
    const proc = run(procArgs);
    expect(await proc.done, proc.stderr()).toBe(0);
    // one `ticklake sql` over every table (each process costs a start): per table its rows, each as a JSON list of
    // its columns as text, and its change log's row and distinct _lsn counts
    const columns = new Map<string, string[]>();
    const dbText = new Map<string, string[]>();
    const parts: string[] = [];
    // DuckDB prints 13:04:51.370 as 13:04:51.37: compare fractional seconds without trailing zeros on both sides
    const norm = (v: unknown) =>
      v === null
        ? null
        : String(v).replace(/^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d)\.(\d*?)0*$/, (_, a, f) => (f ? `${a}.${f}` : a));
    for (const table of BANK_TABLES) {
      const dbRows = await queryMysql<Record<string, unknown>>(url, `SELECT * FROM \`${table}\``);
      const cols = Object.keys(dbRows[0] ?? {});
      if (cols.length === 0) continue;
      columns.set(table, cols);
      dbText.set(table, dbRows.map((r) => JSON.stringify(cols.map((c) => norm(r[c])))).sort());
      const list = cols.map((c) => `cast("${c}" as varchar)`).join(', ');
      parts.push(`select '${table}' as t, cast(to_json([${list}]) as varchar) as r from ${table}`);
      parts.push(
        `select '${table}_changes', cast(to_json([count(*), count(distinct _lsn)]) as varchar) from ${table}_changes`,
      );
    }
    const lakeRows = await lakeQuery(lake, sqlDir, parts.join(' union all '));
    for (const [table, expected] of dbText) {
      const rows = lakeRows.filter((x) => x.t === table).map((x) => JSON.parse(String(x.r)) as unknown[]);
      expect(rows.map((r) => JSON.stringify(r.map(norm))).sort(), `lake view ${table}`).toEqual(expected);
      // the change log: one row per change of the topic (snapshot reads that changed nothing are not logged)
      const counts = lakeRows.filter((x) => x.t === `${table}_changes`).map((x) => JSON.parse(String(x.r)) as number[]);
      expect(counts.length, `${table}_changes`).toBe(1);
      expect(Number(counts[0][0]), `${table}_changes`).toBe(Number(counts[0][1]));
    }
    expect(columns.size).toBeGreaterThan(0);
  }, 480_000); // ~90 s on an idle 2-core machine; 240 s was exceeded at load average 25
});
