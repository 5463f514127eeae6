-- title: Products
-- description: The shop's products, one row per product_id, from uploaded sales workbooks (docs/retail.md).
--   A version's prices hold from its price_date when the sheet has one (a price_date or updated_at column),
--   else from the upload that brought it (the Kafka timestamp); products_history keeps every version.
-- topic: inventory.products
-- format: plain
-- valid_from: price_date
create table products (
  product_id    varchar primary key,
  name          varchar not null,
  category      varchar,
  stock_qty     decimal(12,3),
  buy_price     decimal(12,2),
  sell_price    decimal(12,2),
  expiry_date   date,
  last_movement date,
  price_date    timestamp
);
