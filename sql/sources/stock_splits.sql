-- title: Stock splits
-- description: Splits per symbol: from `ex_date` on, one old share is `ratio` new shares (2 for a 2-for-1 split,
-- 0.1 for a 1-for-10 reverse split). Used to put shares as filed and the lake's prices on one basis
-- (docs/fundamentals.md). `ticklake filings load` publishes a quarter folder's `splits.tsv` when it has one.
-- topic: reference.stock_splits
-- format: plain
create table stock_splits (
  symbol  varchar not null,
  ex_date date not null,
  ratio   double not null,
  primary key (symbol, ex_date)
);
