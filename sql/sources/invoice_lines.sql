-- title: Invoice lines
-- description: Every line of every invoice from uploaded sales workbooks, keyed by invoice and line
--   (docs/retail.md). unit_price is the price charged when it differs from the product's list price.
-- topic: sales.invoices
-- format: plain
create table invoice_lines (
  invoice_id   varchar,
  line         integer,
  invoice_date date          not null,
  client_id    varchar       not null,
  product_id   varchar       not null,
  quantity     decimal(12,3) not null,
  unit_price   decimal(12,2),
  primary key (invoice_id, line)
);
