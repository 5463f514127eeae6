-- title: Portfolio risk and return
-- description: Per portfolio from the end-of-day NAV: maximum drawdown (as a fraction, -0.25 = 25% below the
-- running peak), annualised return (last / first) ^ ($periods_per_year / returns) - 1, annualised volatility of
-- daily simple returns (sample stddev times sqrt($periods_per_year)), and the Sharpe ratio
-- (annualised return - $risk_free) / annualised volatility. Without $periods_per_year it is as observed: the returns
-- per 365.25 days of the span (about 261 for weekday history, 365 for a market that trades every day).
-- param: risk_free         double  optional  default=0    Annual risk-free rate as a fraction (0.03 = 3%)
-- param: periods_per_year  double  optional  min=1     Observations per year; default: as observed
-- param: from              date    optional  First day included
-- param: to                date    optional  Last day included
with d as (
  select portfolio_id, day, nav,
         nav / lag(nav) over w - 1 as ret,
         nav / max(nav) over (w rows between unbounded preceding and current row) - 1 as drawdown,
         first_value(nav) over w as first_nav,
         last_value(nav) over (w rows between unbounded preceding and unbounded following) as last_nav
  from nav_daily
  where ($from is null or day >= $from) and ($to is null or day <= $to)
  window w as (partition by portfolio_id order by day)
), s as (
  select portfolio_id, count(*) as days, min(drawdown) as max_drawdown, any_value(first_nav) as first_nav,
         any_value(last_nav) as last_nav, count(ret) as returns, stddev_samp(ret) as ret_stddev,
         min(day) as first_day, max(day) as last_day
  from d group by portfolio_id
), p as (
  select *, coalesce($periods_per_year, returns / nullif((last_day - first_day) / 365.25, 0)) as ppy from s
)
select portfolio_id, days, first_nav, last_nav, max_drawdown,
       pow(last_nav / first_nav, ppy / nullif(returns, 0)) - 1 as annualized_return,
       ret_stddev * sqrt(ppy) as annualized_vol,
       (pow(last_nav / first_nav, ppy / nullif(returns, 0)) - 1 - $risk_free)
         / nullif(ret_stddev * sqrt(ppy), 0) as sharpe
from p
order by portfolio_id;
