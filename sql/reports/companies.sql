-- title: Companies with filings
-- description: The companies of the filing sources, one row each: CIK, latest name, ticker (from the filing's
-- instance name), SIC, the number of 10-K/10-Q periods and the latest period, as known at as_of. Searched by a
-- part of the name or ticker (q, case-insensitive), a ticker or a CIK.
-- param: q       varchar   optional  Part of the name or ticker
-- param: ticker  varchar   optional  Exactly this ticker
-- param: cik     bigint    optional  Exactly this CIK
-- param: as_of   timestamp optional  As known at this time (default: now)
with p as (
  select * from filing_periods_as_of(coalesce($as_of, now()::timestamp))
)
select cik, arg_max(name, accepted) as name, arg_max(ticker, accepted) as ticker, arg_max(sic, accepted) as sic,
       count(*) as periods, max(period) as latest_period, max(accepted) as latest_accepted
from p
group by cik
having ($cik is null or cik = $cik)
   and ($ticker is null or arg_max(ticker, accepted) = upper($ticker))
   and ($q is null or arg_max(name, accepted) ilike '%' || $q || '%' or arg_max(ticker, accepted) ilike '%' || $q || '%')
order by name;
