-- title: Filing submissions
-- description: One row per submission of the SEC's Financial Statement Data Sets (sub.txt), keyed by its
-- accession number; published by `ticklake filings load` (docs/fundamentals.md). `accepted` is the time the SEC
-- accepted the filing: the point-in-time views use only submissions accepted by the time asked for.
-- topic: filings.submissions
-- format: plain
create table filing_submissions (
  adsh      varchar primary key,
  cik       bigint not null,
  name      varchar not null,
  sic       integer,
  countryba varchar,
  stprba    varchar,
  cityba    varchar,
  countryinc varchar,
  ein       varchar,
  former    varchar,
  changed   date,
  afs       varchar,
  wksi      boolean,
  fye       varchar,
  form      varchar not null,
  period    date not null,
  fy        integer,
  fp        varchar,
  filed     date not null,
  accepted  timestamp not null,
  prevrpt   boolean,
  detail    boolean,
  instance  varchar,
  nciks     integer,
  aciks     varchar
);
