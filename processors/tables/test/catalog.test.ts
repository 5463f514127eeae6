/**
 * The catalog reads source and job files from --sql-dir overlays: DuckDB's own reading of the create table and of
 * each job's select (columns, types, key), errors naming file and line, and broken files left out with their
 * dependants while the others keep working.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadTableCatalog } from '../catalog.js';

const dirs: string[] = [];
async function sqlDir(files: Record<string, string>): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'ticklake-catalog-'));
  dirs.push(d);
  for (const [rel, text] of Object.entries(files)) {
    await mkdir(join(d, rel, '..'), { recursive: true });
    await writeFile(join(d, rel), text);
  }
  return d;
}
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

const PRODUCTS = `-- title: Products
-- topic: inventory.products
-- format: plain        -- plain: the value is the whole row
--                      -- debezium: a change event
-- valid_from: updated_at
create table products (
  product_id varchar primary key,
  name varchar not null,
  buy_price decimal(12,2),
  updated_at timestamp
);
`;
const LINES = `-- title: Invoice lines
-- topic: sales.invoices
-- format: debezium
create table invoice_lines (invoice_id varchar, line integer, product_id varchar, quantity bigint, unit_price decimal(12,2),
  sold_at timestamp, primary key (invoice_id, line));
`;
const SALES = `-- title: Sales
-- topic: sales.events
-- format: plain
-- event_time: sold_at
-- lateness: 2s
create table sales (product_id varchar, amount double, sold_at timestamp);
`;

describe('loadTableCatalog', () => {
  it('reads columns, types, keys and headers the way DuckDB reads the create table, and binds jobs in order', async () => {
    const d = await sqlDir({
      'sources/products.sql': PRODUCTS,
      'sources/invoice_lines.sql': LINES,
      'sources/sales.sql': SALES,
      'jobs/line_profit.sql': `-- title: Profit per line
-- key: invoice_id, line
-- partition_by: product_id
with priced as (
  select l.*, p.buy_price from invoice_lines l
  join products_history p on p.product_id = l.product_id and l.sold_at >= p._valid_from
    and (p._valid_to is null or l.sold_at < p._valid_to)
)
select invoice_id, line, product_id, (unit_price - buy_price) * quantity as profit from priced
`,
      'jobs/product_profit.sql': `-- title: Profit per product
-- key: product_id
select product_id, sum(profit) as profit from line_profit group by product_id
`,
      'jobs/sales_hourly.sql': `-- title: Sales per hour
-- kind: window
-- window: 1h
-- key: product_id, window_start
select product_id, window_start, window_end, sum(amount) as amount, count(*) as n from sales group by all
`,
    });
    const c = await loadTableCatalog([d], { bundled: false });
    expect(c.errors).toEqual([]);
    const products = c.byName.get('products');
    expect(products?.key).toEqual(['product_id']);
    expect(products?.columns).toEqual([
      { name: 'product_id', type: 'VARCHAR', notNull: true },
      { name: 'name', type: 'VARCHAR', notNull: true },
      { name: 'buy_price', type: 'DECIMAL(12,2)', notNull: false },
      { name: 'updated_at', type: 'TIMESTAMP', notNull: false },
    ]);
    expect(products).toMatchObject({ format: 'plain', topic: 'inventory.products', validFrom: 'updated_at', line: 6 });
    expect(c.byName.get('invoice_lines')?.key).toEqual(['invoice_id', 'line']);
    expect(c.byName.get('sales')).toMatchObject({ key: [], eventTime: 'sold_at', latenessMs: 2000 });
    expect(c.jobs.map((j) => j.name)).toEqual(['line_profit', 'product_profit', 'sales_hourly']);
    const lp = c.jobs[0];
    expect(lp.reads).toEqual(['invoice_lines', 'products_history']);
    expect(lp.columns.map((x) => `${x.name} ${x.type}`)).toEqual([
      'invoice_id VARCHAR',
      'line INTEGER',
      'product_id VARCHAR',
      'profit DECIMAL(32,2)',
    ]);
    expect(c.jobs[2]).toMatchObject({ jobKind: 'window', source: 'sales', window: { label: '1h', ms: 3_600_000 } });
  });

  it('names file and line for every kind of mistake, and keeps the good files', async () => {
    const d = await sqlDir({
      'sources/products.sql': PRODUCTS,
      'sources/bad_type.sql':
        '-- title: T\n-- topic: t\n-- format: plain\n\ncreate table bad_type (id varchar primary key,\n  price decimel(12,2));\n',
      'sources/misnamed.sql': '-- title: T\n-- topic: t\n-- format: plain\ncreate table other (id int);\n',
      'sources/no_format.sql': '-- title: T\n-- topic: t\ncreate table no_format (id int);\n',
      'sources/reserved.sql':
        '-- title: T\n-- topic: t\n-- format: plain\ncreate table reserved (id int,\n _lsn int);\n',
      'jobs/bad_column.sql': '-- title: J\n-- key: product_id\nselect product_id,\n  colour\nfrom products\n',
      'jobs/reads_broken.sql': '-- title: J\n-- key: id\nselect id from bad_type\n',
      'jobs/bad_key.sql': '-- title: J\n-- key: nope\nselect product_id from products\n',
      'jobs/ok.sql': '-- title: J\n-- key: product_id\nselect product_id, name from products\n',
    });
    const c = await loadTableCatalog([d], { bundled: false });
    const byFile = Object.fromEntries(c.errors.map((e) => [e.file.split('/').slice(-2).join('/'), e.message]));
    expect(byFile['sources/bad_type.sql']).toMatch(/bad_type\.sql:6: .*decimel[\s\S]*did you mean "decimal"/i);
    expect(byFile['sources/misnamed.sql']).toMatch(/misnamed\.sql:4: the table is named other/);
    expect(byFile['sources/no_format.sql']).toMatch(/no_format\.sql:1: missing "-- format: \.\.\."/);
    expect(byFile['sources/reserved.sql']).toMatch(/reserved\.sql:5: column _lsn/);
    expect(byFile['jobs/bad_column.sql']).toMatch(/bad_column\.sql:\d+: .*colour/);
    expect(byFile['jobs/reads_broken.sql']).toMatch(/reads bad_type, which no source or job declares/);
    expect(byFile['jobs/bad_key.sql']).toMatch(/bad_key\.sql:2: key names nope/);
    expect(Object.keys(byFile).length).toBe(7);
    expect(c.jobs.map((j) => j.name)).toEqual(['ok']);
    expect(c.sources.map((s) => s.name)).toEqual(['products']);
  });
});
