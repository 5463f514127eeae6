/**
 * `ticklake generate bank`: runs the bank model (bank-model.ts) against a MySQL/MariaDB database — the tables
 * created when missing, the MCC reference rows upserted, then one transaction per operation at `rate` operations
 * per second (0: as fast as the server takes them) until `count` operations or the signal.
 *
 * A database that already has bank rows is continued: users, cards, merchants and the clock are read back, and
 * the random stream is derived from the seed and that state, so a restart goes on deterministically from where the
 * database is (labels that were still pending are not re-planned).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import mysql from 'mysql2/promise';
import { logger } from '../../core/log.js';
import { BankModel, type BankOp, type BankState } from './bank-model.js';
import { BANK_DDL } from './bank-schema.js';

const log = logger('bank');

export interface BankRunOptions {
  url: string;
  seed: string;
  /** Operations per second; 0 = no limit. */
  rate: number;
  count?: number;
  /** Event time of the first operation on an empty database (default: now). */
  startMs?: number;
  stepMs?: number;
  signal?: AbortSignal;
  onOp?: (op: BankOp) => void;
}

async function loadState(conn: mysql.Connection, startMs: number): Promise<BankState | undefined> {
  const [[tx]] = (await conn.query(
    'SELECT COUNT(*) AS n, COALESCE(MAX(txn_id), 0) AS max_id, MAX(txn_time) AS last FROM transactions',
  )) as unknown as [{ n: number; max_id: string | number; last: string | null }[]];
  const [users] = (await conn.query('SELECT user_id AS id, city FROM users ORDER BY user_id')) as unknown as [
    { id: number; city: string }[],
  ];
  if (users.length === 0 && Number(tx.n) === 0) return undefined;
  const { CITIES } = await import('./mcc-codes.js');
  const cityIndex = (c: string) =>
    Math.max(
      0,
      CITIES.findIndex((x) => x.city === c),
    );
  const [cards] = (await conn.query(
    'SELECT card_id AS id, user_id, status, has_chip FROM cards ORDER BY card_id',
  )) as unknown as [{ id: number; user_id: number; status: 'active' | 'closed'; has_chip: number }[]];
  const [merchants] = (await conn.query(
    'SELECT merchant_id AS id, mcc, city FROM merchants ORDER BY merchant_id',
  )) as unknown as [{ id: number; mcc: number; city: string }[]];
  const [[maxes]] = (await conn.query(
    'SELECT (SELECT COALESCE(MAX(user_id),0) FROM users) AS u, (SELECT COALESCE(MAX(card_id),0) FROM cards) AS c, (SELECT COALESCE(MAX(merchant_id),0) FROM merchants) AS m, (SELECT GREATEST(COALESCE(MAX(updated_at), 0), COALESCE(MAX(created_at), 0)) FROM users) AS t',
  )) as unknown as [{ u: number; c: number; m: number; t: string | null }[]];
  const lastMs = [tx.last, maxes.t]
    .filter((x): x is string => !!x && !x.startsWith('0'))
    .map((x) => Date.parse(`${x.replace(' ', 'T')}Z`));
  return {
    users: users.map((u) => ({ id: u.id, city: cityIndex(u.city) })),
    cards: cards.map((c) => ({
      id: c.id,
      userId: c.user_id,
      status: c.status,
      hasChip: Boolean(Number(c.has_chip)),
      compromised: 0,
    })),
    merchants: merchants.map((m) => ({ id: m.id, mcc: Number(m.mcc), city: cityIndex(m.city) })),
    nextUser: Number(maxes.u) + 1,
    nextCard: Number(maxes.c) + 1,
    nextMerchant: Number(maxes.m) + 1,
    nextTxn: Number(tx.max_id) + 1,
    clockMs: lastMs.length > 0 ? Math.max(...lastMs) : startMs,
    step: Number(tx.n) + users.length,
    labels: [],
    recentTxns: [],
  };
}

/** Creates the URL's database when the server does not have it yet. */
async function ensureDatabase(url: string): Promise<void> {
  const u = new URL(url);
  const db = decodeURIComponent(u.pathname.slice(1));
  if (!db) return;
  u.pathname = '/';
  const conn = await mysql.createConnection({ uri: u.toString() });
  try {
    await conn.query(
      `CREATE DATABASE IF NOT EXISTS \`${db.replace(/`/g, '``')}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin`,
    );
  } finally {
    await conn.end();
  }
}

export async function runBank(o: BankRunOptions): Promise<{ ops: number }> {
  await ensureDatabase(o.url);
  const conn = await mysql.createConnection({
    uri: o.url,
    timezone: 'Z',
    dateStrings: true,
    supportBigNumbers: true,
    bigNumberStrings: true,
  });
  try {
    await conn.query("SET time_zone = '+00:00'");
    for (const ddl of BANK_DDL) await conn.query(ddl);
    const ref = BankModel.reference();
    for (const st of ref.statements) await conn.query(st.sql, st.params);
    const startMs = o.startMs ?? Date.now();
    const state = await loadState(conn, startMs);
    const model = new BankModel(o.seed, startMs, o.stepMs, state);
    log.info({ continuing: state !== undefined, nextTxn: model.state.nextTxn }, 'bank simulator running');
    const began = Date.now();
    let ops = 0;
    while (!o.signal?.aborted && (o.count === undefined || ops < o.count)) {
      if (o.rate > 0) {
        const wait = began + (ops / o.rate) * 1000 - Date.now();
        if (wait > 0) await sleep(wait);
        if (o.signal?.aborted) break;
      }
      const op = model.next();
      await conn.beginTransaction();
      try {
        for (const st of op.statements) await conn.query(st.sql, st.params);
        await conn.commit();
      } catch (e) {
        await conn.rollback().catch(() => {});
        throw e;
      }
      ops++;
      o.onOp?.(op);
    }
    return { ops };
  } finally {
    await conn.end().catch(() => {});
  }
}
