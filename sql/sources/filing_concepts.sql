-- title: Fundamental concepts
-- description: The standardisation map (sql/seeds/fundamental_concepts.csv), published by `ticklake filings
-- load` so that every reader, the confined API included, sees the map the numbers are read with: for each
-- concept, the tags to read in priority order (lowest first) or, when `source` starts with `=`, a derivation term
-- (the concept = the sum of sign × the named concepts of one priority, all present).
-- topic: filings.concepts
-- format: plain
-- mysql: off
create table filing_concepts (
  concept  varchar not null,
  priority integer not null,
  source   varchar not null,
  sign     integer not null,
  kind     varchar not null,
  label    varchar,
  primary key (concept, priority, source)
);
