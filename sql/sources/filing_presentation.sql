-- title: Filing presentation
-- description: Where each number appears in the filer's own statements (pre.txt): report, line, statement
-- (BS balance sheet, IS income, CF cash flow, EQ equity, CI comprehensive income, CP cover page, UN unclassified),
-- the tag and the filer's label.
-- topic: filings.presentation
-- format: plain
-- mysql: off
create table filing_presentation (
  adsh     varchar not null,
  report   integer not null,
  line     integer not null,
  stmt     varchar,
  inpth    boolean,
  rfile    varchar,
  tag      varchar not null,
  version  varchar not null,
  plabel   varchar,
  negating boolean,
  primary key (adsh, report, line)
);
