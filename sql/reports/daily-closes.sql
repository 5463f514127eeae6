-- title: Daily closes
-- description: A symbol's daily close in the lake (view closes_daily: the close of the day's last 1m bar) and the
-- daily log return, oldest first; the fundamentals page draws it beside the company's valuation.
-- param: symbol  varchar  required  Symbol
-- param: from    date     optional  First day included
-- param: to      date     optional  Last day included
select day, close, log_return
from closes_daily
where symbol = $symbol and ($from is null or day >= $from) and ($to is null or day <= $to)
order by day;
