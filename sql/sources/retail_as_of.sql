-- title: Retail reference day
-- description: The day of the latest workbook upload, one row (id "shop"). The loss-risk job measures expiry and
--   idle stock from it (docs/retail.md); uploading twice on one day changes nothing.
-- topic: retail.as_of
-- format: plain
-- mysql: off
create table retail_as_of (
  id    varchar primary key,
  as_of date    not null
);
