-- title: Daily anomaly counts
-- description: Number of anomalies per symbol and UTC day, by kind and severity, newest day first.
-- param: from    date     optional  First day included
-- param: to      date     optional  Last day included
-- param: symbol  varchar[]  optional  Symbols, comma-separated (AAPL,MSFT); all when omitted
select cast(ts as date) as day, symbol, kind, severity, count(*) as anomalies
from anomalies
where ($from is null or cast(ts as date) >= $from)
  and ($to is null or cast(ts as date) <= $to)
  and ($symbol is null or list_contains($symbol, symbol))
group by all
order by day desc, symbol, kind, severity;
