-- title: Symbol risk and return
-- description: Per symbol from daily closes (view closes_daily), the same measures as portfolio-risk: maximum
-- drawdown, annualised return, annualised volatility of daily simple returns and the Sharpe ratio; without
-- $periods_per_year the observations per year are as observed (the returns per 365.25 days of the span).
-- param: risk_free         double  optional  default=0    Annual risk-free rate as a fraction (0.03 = 3%)
-- param: periods_per_year  double  optional  min=1     Observations per year; default: as observed
-- param: from              date    optional  First day included
-- param: to                date    optional  Last day included
with d as (
  select symbol, day, close,
         close / lag(close) over w - 1 as ret,
         close / max(close) over (w rows between unbounded preceding and current row) - 1 as drawdown,
         first_value(close) over w as first_close,
         last_value(close) over (w rows between unbounded preceding and unbounded following) as last_close
  from closes_daily
  where ($from is null or day >= $from) and ($to is null or day <= $to)
  window w as (partition by symbol order by day)
), s as (
  select symbol, count(*) as days, min(drawdown) as max_drawdown, any_value(first_close) as first_close,
         any_value(last_close) as last_close, count(ret) as returns, stddev_samp(ret) as ret_stddev,
         min(day) as first_day, max(day) as last_day
  from d group by symbol
), p as (
  select *, coalesce($periods_per_year, returns / nullif((last_day - first_day) / 365.25, 0)) as ppy from s
)
select symbol, days, first_close, last_close, max_drawdown,
       pow(last_close / first_close, ppy / nullif(returns, 0)) - 1 as annualized_return,
       ret_stddev * sqrt(ppy) as annualized_vol,
       (pow(last_close / first_close, ppy / nullif(returns, 0)) - 1 - $risk_free)
         / nullif(ret_stddev * sqrt(ppy), 0) as sharpe
from p
order by symbol;
