import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UserSqlDir } from '../../../test/helpers/user-sql-dir.js';
import { loadTableCatalog, type TableCatalog } from '../catalog.js';
import { TablesEngine } from '../engine.js';
import type { RawMessage } from '../stage.js';
import { openTablesState } from '../state.js';

let sql: UserSqlDir | undefined;
let dir: string;
let catalog: TableCatalog;

const FILES: Record<string, string> = {
  'sources/products.sql': `-- title: Products
-- topic: products
-- format: plain
-- valid_from: price_date
create table products (product_id varchar primary key, name varchar not null, buy_price decimal(10,2), price_date timestamp);
`,
  'sources/lines.sql': `-- title: Invoice lines
-- topic: lines
-- format: plain
create table lines (invoice_id varchar, line integer, client_id varchar, product_id varchar, quantity integer,
  unit_price decimal(10,2), sold_at timestamp, primary key (invoice_id, line));
`,
  'sources/sales.sql': `-- title: Sales events
-- topic: sales
-- format: plain
-- event_time: sold_at
-- lateness: 1m
create table sales (product_id varchar, amount decimal(10,2), sold_at timestamp);
`,
  // profit at the buy price in effect when the line was sold (the product's history as of sold_at)
  'jobs/line_profit.sql': `-- title: Line profit
-- key: invoice_id, line
-- partition_by: product_id
select l.invoice_id, l.line, l.client_id, l.product_id, l.quantity,
  (l.unit_price - p.buy_price) * l.quantity as profit
from lines l
left join products_history p on p.product_id = l.product_id
  and l.sold_at >= p._valid_from and (p._valid_to is null or l.sold_at < p._valid_to)
`,
  // a running aggregate per client
  'jobs/client_revenue.sql': `-- title: Client revenue
-- key: client_id
-- partition_by: client_id
select client_id, sum(quantity * unit_price) as revenue, count(distinct invoice_id) as orders
from lines group by client_id
`,
  'jobs/sales_hourly.sql': `-- title: Sales per hour
-- kind: window
-- window: 1h
-- key: product_id, window_start
select product_id, window_start, window_end, sum(amount) as amount, count(*) as n from sales group by all
`,
};

beforeAll(async () => {
  sql = UserSqlDir.withFiles('ticklake-engine-', FILES);
  dir = sql.dir;
  catalog = await loadTableCatalog([dir], { bundled: false });
  expect(catalog.errors).toEqual([]);
});
afterAll(() => {
  sql?.remove();
});

const E = Date.UTC(2026, 0, 5); // Monday 2026-01-05 00:00 UTC
const iso = (ms: number) => new Date(ms).toISOString();

async function openEngine() {
  const state = await openTablesState(undefined);
  const engine = await TablesEngine.open({ state, catalog, clock: () => E });
  return { state, engine };
}

const rows = async (state: Awaited<ReturnType<typeof openTablesState>>, sql: string) =>
  (await state.conn.runAndReadAll(sql)).getRowObjectsJS();

/** A random history of products: creates, updates, no-op re-sends, deletes, tombstones for absent keys. */
function productMessages(seed: number, n: number): RawMessage[] {
  let x = seed;
  const rnd = () => {
    x = (x * 1103515245 + 12345) % 2 ** 31;
    return x / 2 ** 31;
  };
  const out: RawMessage[] = [];
  const offsets = [0, 0];
  for (let i = 0; i < n; i++) {
    const id = `P${Math.floor(rnd() * 12)}`;
    const partition = Number(id.slice(1)) % 2; // a key stays in its partition
    const del = rnd() < 0.15;
    const price = (Math.floor(rnd() * 4) + 10).toFixed(2); // few prices: many re-sends are no change
    out.push({
      topic: 'products',
      partition,
      offset: offsets[partition]++,
      timestamp: E + i * 1000,
      key: id,
      value: del ? null : JSON.stringify({ product_id: id, name: `product ${id}`, buy_price: price }),
    });
  }
  return out;
}

/** The expected state and change log, by replaying the messages into a Map in (partition, offset) order per key. */
function replay(messages: RawMessage[]) {
  const state = new Map<string, string>();
  const log: { id: string; op: string; price: string | null }[] = [];
  const byKeyOrder = [...messages].sort((a, b) => a.offset * 4096 + a.partition - (b.offset * 4096 + b.partition));
  for (const m of byKeyOrder) {
    const id = String(m.key);
    const before = state.get(id);
    if (m.value === null) {
      if (before !== undefined) {
        state.delete(id);
        log.push({ id, op: 'd', price: null });
      }
      continue;
    }
    const price = JSON.parse(String(m.value)).buy_price as string;
    if (before === price) continue;
    log.push({ id, op: before === undefined ? 'c' : 'u', price });
    state.set(id, price);
  }
  return { state, log };
}

describe('keyed source: state and change log', () => {
  it('equals an independent replay, for every batch cut, and logs each change once', async () => {
    const messages = productMessages(7, 400);
    const expected = replay(messages);
    for (const cut of [400, 37, 9]) {
      const { state, engine } = await openEngine();
      for (let i = 0; i < messages.length; i += cut) await engine.process(messages.slice(i, i + cut));
      // re-delivering everything changes nothing
      expect(await engine.process(messages)).toBeNull();
      const cur = await rows(state, 'SELECT product_id, buy_price::VARCHAR AS p FROM cur.products ORDER BY product_id');
      expect(cur.map((r) => [r.product_id, r.p])).toEqual([...expected.state].sort((a, b) => a[0].localeCompare(b[0])));
      const log = await rows(state, 'SELECT product_id, _op, buy_price::VARCHAR AS p FROM ob.products ORDER BY _lsn');
      expect(log.map((r) => ({ id: r.product_id, op: r._op, price: r.p }))).toEqual(expected.log);
      state.conn.closeSync();
    }
  });

  it('drops and counts a change older than its key current row (a key moved to another partition)', async () => {
    const { state, engine } = await openEngine();
    const msg = (partition: number, offset: number, id: string, price: string | null): RawMessage => ({
      topic: 'products',
      partition,
      offset,
      timestamp: E + offset * 1000,
      key: id,
      value: price === null ? null : JSON.stringify({ product_id: id, name: `product ${id}`, buy_price: price }),
    });
    // _lsn = offset × 4096 + partition: partition 0's offset 10 is after partition 1's offset 5
    const first = await engine.process([msg(0, 10, 'A', '1.00'), msg(0, 11, 'C', '7.00')]);
    expect(first?.stale).toBe(0);
    const second = await engine.process([
      msg(1, 5, 'A', '2.00'), // before A's current row (offset 10 of partition 0): stale
      msg(1, 6, 'C', null), // a stale delete: C stays
      msg(0, 12, 'A', '3.00'), // after it: an update of 1.00
      msg(0, 13, 'B', '5.00'), // B: created in partition 0 …
      msg(1, 7, 'B', '4.00'), // … and, earlier by _lsn, in partition 1 (no current row: not stale)
    ]);
    expect(second?.stale).toBe(2);
    const cur = await rows(state, 'SELECT product_id, buy_price::VARCHAR AS p FROM cur.products ORDER BY product_id');
    expect(cur.map((r) => [r.product_id, r.p])).toEqual([
      ['A', '3.00'],
      ['B', '5.00'],
      ['C', '7.00'],
    ]);
    const log = await rows(
      state,
      'SELECT product_id, _op, buy_price::VARCHAR AS p, _lsn::BIGINT AS lsn FROM ob.products WHERE batch_id = 2 ORDER BY _lsn',
    );
    expect(log.map((r) => [r.product_id, r._op, r.p, Number(r.lsn)])).toEqual([
      ['B', 'c', '4.00', 7 * 4096 + 1],
      ['A', 'u', '3.00', 12 * 4096],
      ['B', 'u', '5.00', 13 * 4096],
    ]);
    state.conn.closeSync();
  });
});

describe('jobs', () => {
  const lineMsg = (i: number, v: Record<string, unknown> | null, key?: string): RawMessage => ({
    topic: 'lines',
    partition: 0,
    offset: i,
    timestamp: E + i,
    key: key ?? (v ? JSON.stringify({ invoice_id: v.invoice_id, line: v.line }) : null),
    value: v ? JSON.stringify(v) : null,
  });
  const prodMsg = (i: number, id: string, price: string, date: number): RawMessage => ({
    topic: 'products',
    partition: 0,
    offset: i,
    timestamp: E + 10 * 86_400_000 + i, // uploaded later than every price date below
    key: id,
    value: JSON.stringify({ product_id: id, name: id, buy_price: price, price_date: iso(date) }),
  });
  const day = (d: number) => E + d * 86_400_000;

  it('joins each line with the buy price in effect when it was sold, and keeps revenue per client as upserts', async () => {
    const { state, engine } = await openEngine();
    // P1 costs 10.00 from day 0 and 12.00 from day 3 (both known from the start)
    await engine.process([prodMsg(0, 'P1', '10.00', day(0)), prodMsg(1, 'P1', '12.00', day(3))]);
    await engine.process([
      lineMsg(0, {
        invoice_id: 'I1',
        line: 1,
        client_id: 'C1',
        product_id: 'P1',
        quantity: 2,
        unit_price: '15.00',
        sold_at: iso(day(1)),
      }),
      lineMsg(1, {
        invoice_id: 'I1',
        line: 2,
        client_id: 'C1',
        product_id: 'P1',
        quantity: 1,
        unit_price: '15.00',
        sold_at: iso(day(4)),
      }),
      lineMsg(2, {
        invoice_id: 'I2',
        line: 1,
        client_id: 'C2',
        product_id: 'P1',
        quantity: 3,
        unit_price: '20.00',
        sold_at: iso(day(5)),
      }),
    ]);
    // by hand: I1/1 (15−10)×2 = 10, I1/2 (15−12)×1 = 3, I2/1 (20−12)×3 = 24
    const profit = async () =>
      (await rows(state, 'SELECT invoice_id, line, profit::VARCHAR AS p FROM cur.line_profit ORDER BY 1, 2')).map(
        (r) => [r.invoice_id, r.line, r.p],
      );
    expect(await profit()).toEqual([
      ['I1', 1, '10.00'],
      ['I1', 2, '3.00'],
      ['I2', 1, '24.00'],
    ]);
    const revenue = async () =>
      (await rows(state, 'SELECT client_id, revenue::VARCHAR AS r, orders FROM cur.client_revenue ORDER BY 1')).map(
        (r) => [r.client_id, r.r, Number(r.orders)],
      );
    expect(await revenue()).toEqual([
      ['C1', '45.00', 1],
      ['C2', '60.00', 1],
    ]);
    // a corrected price for day 3 (same valid_from: a correction) changes exactly the lines sold from day 3 on
    await engine.process([prodMsg(2, 'P1', '11.00', day(3))]);
    expect(await profit()).toEqual([
      ['I1', 1, '10.00'],
      ['I1', 2, '4.00'],
      ['I2', 1, '27.00'],
    ]);
    const lastBatch = await rows(
      state,
      'SELECT invoice_id, line, _op FROM ob.line_profit WHERE batch_id = (SELECT max(batch_id) FROM ob.line_profit) ORDER BY 1, 2',
    );
    expect(lastBatch.map((r) => [r.invoice_id, r.line, r._op])).toEqual([
      ['I1', 2, 'u'],
      ['I2', 1, 'u'],
    ]);
    // a line moves from client C2 to C1, then I1/1 is deleted: both clients' revenue follow; C2 has no more rows
    await engine.process([
      lineMsg(3, {
        invoice_id: 'I2',
        line: 1,
        client_id: 'C1',
        product_id: 'P1',
        quantity: 3,
        unit_price: '20.00',
        sold_at: iso(day(5)),
      }),
    ]);
    await engine.process([lineMsg(4, null, JSON.stringify({ invoice_id: 'I1', line: 1 }))]);
    expect(await revenue()).toEqual([['C1', '75.00', 2]]);
    const clientLog = await rows(
      state,
      'SELECT client_id, _op, revenue::VARCHAR AS r FROM ob.client_revenue ORDER BY _lsn',
    );
    expect(clientLog.map((r) => [r.client_id, r._op, r.r])).toEqual([
      ['C1', 'c', '45.00'],
      ['C2', 'c', '60.00'],
      ['C1', 'u', '105.00'],
      ['C2', 'd', null],
      ['C1', 'u', '75.00'],
    ]);
    state.conn.closeSync();
  });

  it('a window job emits each closed hour once, by the watermark, and sends late rows to <job>_late', async () => {
    const { state, engine } = await openEngine();
    engine.setPartitionCount('sales', 1);
    const h = (hour: number, min: number) => E + hour * 3_600_000 + min * 60_000;
    let off = 0;
    const sale = (t: number, amount: string, product = 'P1'): RawMessage => ({
      topic: 'sales',
      partition: 0,
      offset: off++,
      timestamp: t,
      key: null,
      value: JSON.stringify({ product_id: product, amount, sold_at: iso(t) }),
    });
    // timeline (lateness 1 m): 00:10 5, 00:50 7, 01:00:30 (watermark 00:59:30: hour 0 still open),
    // 00:59 2 (on time), 01:02 (watermark 01:01 closes hour 0), 00:30 1 (late), 01:20 4
    await engine.process([sale(h(0, 10), '5.00'), sale(h(0, 50), '7.00'), sale(h(1, 0) + 30_000, '1.00')]);
    expect(await rows(state, 'SELECT * FROM ob.sales_hourly')).toEqual([]);
    await engine.process([
      sale(h(0, 59), '2.00'),
      sale(h(1, 2), '3.00'),
      sale(h(0, 30), '1.00'),
      sale(h(1, 20), '4.00'),
    ]);
    const hourly = await rows(
      state,
      'SELECT product_id, window_start, amount::VARCHAR AS a, n FROM ob.sales_hourly ORDER BY window_start',
    );
    expect(
      hourly.map((r) => [r.product_id, iso(new Date(r.window_start as string).getTime()), r.a, Number(r.n)]),
    ).toEqual([['P1', iso(h(0, 0)), '14.00', 3]]);
    const late = await rows(state, 'SELECT amount::VARCHAR AS a, window_start, watermark FROM ob.sales_hourly_late');
    expect(
      late.map((r) => [
        r.a,
        iso(new Date(r.window_start as string).getTime()),
        iso(new Date(r.watermark as string).getTime()),
      ]),
    ).toEqual([['1.00', iso(h(0, 0)), iso(h(1, 1))]]);
    await engine.flush();
    const all = await rows(
      state,
      'SELECT window_start, amount::VARCHAR AS a, n FROM ob.sales_hourly ORDER BY window_start',
    );
    expect(all.map((r) => [iso(new Date(r.window_start as string).getTime()), r.a, Number(r.n)])).toEqual([
      [iso(h(0, 0)), '14.00', 3],
      [iso(h(1, 0)), '8.00', 3],
    ]);
    state.conn.closeSync();
  });
});

describe('a new windowed metric over ticks is a new SQL file', () => {
  it('a stream source over the ticks topic and a window job with new columns give the hand-checked rows', async () => {
    const sqlDir = UserSqlDir.withFiles('ticklake-ticks-window-', {
      // the tick messages as they are (docs/messages.md): only the members used are declared, the others ignored
      'sources/trades.sql': `-- title: Trades\n-- topic: ticks\n-- format: plain\n-- undeclared: ignore\n-- event_time: ts\n-- lateness: 0s\ncreate table trades (symbol varchar not null, ts timestamp not null, price double not null, size double not null);\n`,
      'jobs/ranges_5m.sql': `-- title: Price range per 5 minutes\n-- kind: window\n-- window: 5m\n-- key: symbol, window_start\nselect symbol, window_start, max(price) - min(price) as price_range, sum(size) as volume from trades group by all\n`,
    });
    const d = sqlDir.dir;
    try {
      const c = await loadTableCatalog([d], { bundled: false });
      expect(c.errors).toEqual([]);
      const state = await openTablesState(undefined);
      const engine = await TablesEngine.open({ state, catalog: c });
      engine.setPartitionCount('ticks', 1);
      // X: 10.0 at 00:01, 12.5 at 00:03, 11.0 at 00:06; Y: 5.0 at 00:02 — by hand: X [0,5) range 2.5 volume 3,
      // Y [0,5) range 0 volume 4, X [5,10) range 0 volume 1 (closed by the flush)
      const t = (min: number) => E + min * 60_000;
      const tick = (i: number, symbol: string, ts: number, price: number, size: number): RawMessage => ({
        topic: 'ticks',
        partition: 0,
        offset: i,
        timestamp: ts,
        key: symbol,
        value: `{"v":1,"symbol":"${symbol}","exchange":"EX","assetClass":"equity","ts":${ts},"price":${price},"size":${size}}`,
      });
      await engine.process([
        tick(0, 'X', t(1), 10, 1),
        tick(1, 'Y', t(2), 5, 4),
        tick(2, 'X', t(3), 12.5, 2),
        tick(3, 'X', t(6), 11, 1),
      ]);
      await engine.flush();
      const r = await rows(
        state,
        'SELECT symbol, window_start, price_range, volume FROM ob.ranges_5m ORDER BY window_start, symbol',
      );
      expect(
        r.map((x) => [x.symbol, iso(new Date(x.window_start as string).getTime()), x.price_range, x.volume]),
      ).toEqual([
        ['X', iso(t(0)), 2.5, 3],
        ['Y', iso(t(0)), 0, 4],
        ['X', iso(t(5)), 0, 1],
      ]);
      state.conn.closeSync();
    } finally {
      sqlDir.remove();
    }
  });
});

describe('a job row whose key is null', () => {
  it('is left out and counted, not fatal, and appears once its key is whole', async () => {
    const sqlDir = UserSqlDir.withFiles('ticklake-null-key-', {
      'sources/cards.sql':
        '-- title: C\n-- topic: cards\n-- format: plain\ncreate table cards (card_id varchar primary key, user_id varchar);\n',
      'sources/users.sql':
        '-- title: U\n-- topic: users\n-- format: plain\ncreate table users (user_id varchar primary key, name varchar);\n',
      // the card's user may not have arrived yet: the left join gives a null key column
      'jobs/card_owner.sql':
        '-- title: Card owner\n-- description: one row per card and its user. note: a continuation line with a colon\n-- key: card_id, user_id\nselect c.card_id, u.user_id, u.name from cards c left join users u using (user_id)\n',
    });
    const d = sqlDir.dir;
    try {
      const c = await loadTableCatalog([d], { bundled: false });
      expect(c.errors).toEqual([]);
      expect(c.jobs[0].description).toBe('one row per card and its user. note: a continuation line with a colon');
      const state = await openTablesState(undefined);
      const engine = await TablesEngine.open({ state, catalog: c });
      const m = (topic: string, i: number, v: object): RawMessage => ({
        topic,
        partition: 0,
        offset: i,
        timestamp: E,
        key: null,
        value: JSON.stringify(v),
      });
      const r = await engine.process([m('cards', 0, { card_id: 'K1', user_id: 'U1' })]);
      expect(r?.nullKeys.get('card_owner')).toBe(1);
      expect(await rows(state, 'SELECT * FROM cur.card_owner')).toEqual([]);
      await engine.process([m('users', 0, { user_id: 'U1', name: 'Ann' })]);
      const owners = await rows(state, 'SELECT card_id, user_id, name FROM cur.card_owner');
      expect(owners).toEqual([{ card_id: 'K1', user_id: 'U1', name: 'Ann' }]);
      state.conn.closeSync();
    } finally {
      sqlDir.remove();
    }
  });
});
