-- title: Filing tags
-- description: The taxonomy tags the numbers use (tag.txt), one row per tag and version: standard (us-gaap, dei)
-- and filer-defined (custom) tags, with their labels and documentation.
-- topic: filings.tags
-- format: plain
-- mysql: off
create table filing_tags (
  tag      varchar not null,
  version  varchar not null,
  custom   boolean,
  abstract boolean,
  datatype varchar,
  iord     varchar,
  crdr     varchar,
  tlabel   varchar,
  doc      varchar,
  primary key (tag, version)
);
