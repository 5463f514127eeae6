-- title: Filing numbers
-- description: Every number of every submission (num.txt), one row per natural key: accession number, tag,
-- taxonomy version, co-registrant, segments, end date, duration in quarters and unit (coreg and segments are ''
-- when absent; the 2009 layout has no segments). One Kafka message per number, keyed by that key.
-- topic: filings.numbers
-- format: plain
-- mysql: off
create table filing_numbers (
  adsh     varchar not null,
  tag      varchar not null,
  version  varchar not null,
  coreg    varchar not null,
  segments varchar not null,
  ddate    date not null,
  qtrs     integer not null,
  uom      varchar not null,
  value    decimal(28,4),
  footnote varchar,
  primary key (adsh, tag, version, coreg, segments, ddate, qtrs, uom)
);
