-- title: Price ticks
-- description: Trades from the simulated exchanges and replays (docs/messages.md). The tick engine turns them into
--   bars, anomalies and valuations (docs/processor.md); this file declares the topic and the columns of a tick.
-- topic: ticks
-- format: ticks
create table ticks (
  symbol      varchar   not null,
  exchange    varchar   not null,
  asset_class varchar   not null,
  ts          timestamp not null,
  price       double    not null,
  size        bigint    not null
);
