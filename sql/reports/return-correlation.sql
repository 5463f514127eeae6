-- title: Correlation of daily log returns
-- description: Pearson correlation matrix of daily log returns (view closes_daily), one row per ordered pair of
-- symbols (the diagonal is 1), over the days both symbols have a return, between $from and $to inclusive.
-- param: from  date  optional  First day included
-- param: to    date  optional  Last day included
with r as (
  select symbol, day, log_return
  from closes_daily
  where log_return is not null
    and ($from is null or day >= $from)
    and ($to is null or day <= $to)
)
select a.symbol as symbol_a, b.symbol as symbol_b, count(*) as days, corr(a.log_return, b.log_return) as correlation
from r a join r b on a.day = b.day
group by a.symbol, b.symbol
order by symbol_a, symbol_b;
