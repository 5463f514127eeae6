-- title: Clients with loyalty
-- description: Every client (crm_clients) with cumulative revenue over all invoice lines, orders (distinct
--   invoices), last purchase, loyalty tier and eligible_promo. Tiers (docs/retail.md): bronze below 1,000;
--   silver from 1,000; gold from 5,000; platinum above 10,000, which makes the client eligible for the promotion.
-- key: client_id
-- partition_by: client_id
with sales as (
  select client_id, sum(revenue) as revenue, count(distinct invoice_id) as orders, max(invoice_date) as last_purchase
  from line_profit group by client_id
)
select c.client_id, c.name, c.city, c.email, coalesce(s.revenue, 0) as revenue, coalesce(s.orders, 0) as orders,
  s.last_purchase,
  case
    when coalesce(s.revenue, 0) > 10000 then 'platinum'
    when s.revenue >= 5000 then 'gold'
    when s.revenue >= 1000 then 'silver'
    else 'bronze'
  end as tier,
  coalesce(s.revenue, 0) > 10000 as eligible_promo
from crm_clients c
left join sales s on s.client_id = c.client_id
