-- title: Hourly market KPIs
-- description: Per symbol and hour (rolled up from 1m bars, view bars_1h): OHLC, volume, vwap = sum(notional) /
-- sum(volume), realised volatility of the 1m log returns, annualised, and a risk class: LOW below $low_vol,
-- HIGH at or above $high_vol, MEDIUM between (annualised volatility, 0.2 = 20%).
-- param: symbol    varchar[]  optional  Symbols, comma-separated (AAPL,MSFT); all when omitted
-- param: from      timestamp  optional  First hour included (UTC)
-- param: to        timestamp  optional  Hours starting before this are included (UTC)
-- param: low_vol   double     optional  default=0.2 min=0  Annualised volatility below which the class is LOW
-- param: high_vol  double     optional  default=0.5 min=0  Annualised volatility from which the class is HIGH
select symbol, window_start as hour, open, high, low, close, volume, vwap, trades,
       realized_vol, annualized_vol,
       case when annualized_vol is null then null
            when annualized_vol < $low_vol then 'LOW'
            when annualized_vol < $high_vol then 'MEDIUM'
            else 'HIGH' end as risk_class
from bars_1h
where ($symbol is null or list_contains($symbol, symbol))
  and ($from is null or window_start >= $from)
  and ($to is null or window_start < $to)
order by symbol, hour;
