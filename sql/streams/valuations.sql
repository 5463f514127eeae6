-- title: Portfolio valuations
-- description: NAV of every portfolio at each window close (as_of = window_end): sum of quantity x the latest close at or before as_of of that window size, null when none of its holdings has a close yet (a portfolio of symbols this feed does not carry has no NAV, not a NAV of 0); missing_prices counts the holdings left out; change and change_pct (%) against the portfolio's previous valuation of the same window; positions = holdings, missing_prices = holdings without a close yet.
-- stage: valuation
-- output: valuations
with px as (
  select e."window", e.as_of, c.symbol, arg_max(c.close, c.window_end) as close
  from val_ends e
  join val_closes c on c."window" = e."window" and c.window_end <= e.as_of
  group by e."window", e.as_of, c.symbol
),
nav as (
  select
    p.portfolio_id, p.investor_id, e."window", e.as_of,
    -- in a fixed order (see bars.sql): the same closes give the same bits
    case
      when count(h.symbol) > 0 and count(px.close) = 0 then null
      else coalesce(sum(h.quantity * px.close order by h.symbol, h.quantity), 0)
    end as nav,
    count(h.symbol)::integer as positions,
    (count(h.symbol) - count(px.close))::integer as missing_prices
  from portfolios p
  cross join val_ends e
  left join holdings h on h.portfolio_id = p.portfolio_id
  left join px on px."window" = e."window" and px.as_of = e.as_of and px.symbol = h.symbol
  group by p.portfolio_id, p.investor_id, e."window", e.as_of
),
chained as (
  select
    n.*,
    case when row_number() over (partition by n.portfolio_id, n."window" order by n.as_of) = 1 then l.nav
         else lag(n.nav) over (partition by n.portfolio_id, n."window" order by n.as_of) end as prev_nav
  from nav n
  left join val_last l on l.portfolio_id = n.portfolio_id and l."window" = n."window"
)
select
  portfolio_id, investor_id, "window", as_of, nav,
  nav - prev_nav as change,
  case when prev_nav <> 0 then (nav - prev_nav) / prev_nav * 100 end as change_pct,
  positions, missing_prices
from chained
