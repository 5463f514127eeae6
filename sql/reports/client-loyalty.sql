-- title: Client loyalty
-- description: Every client with cumulative revenue over all invoice lines, orders (distinct invoices), last
--   purchase and loyalty tier: bronze below $silver, silver from $silver, gold from $gold, platinum above $promo,
--   which makes the client eligible for the promotion (eligible_promo). With the defaults the tiers are those of
--   the clients table (sql/jobs/clients.sql).
-- param: silver  double  optional  default=1000   Revenue from which a client is silver
-- param: gold    double  optional  default=5000   Revenue from which a client is gold
-- param: promo   double  optional  default=10000  Revenue above which a client is platinum and eligible
with sales as (
  select client_id, sum(revenue) as revenue, count(distinct invoice_id) as orders, max(invoice_date) as last_purchase
  from line_profit group by client_id
)
select c.client_id, c.name, c.city, coalesce(s.revenue, 0) as revenue, coalesce(s.orders, 0) as orders,
       s.last_purchase,
       case when coalesce(s.revenue, 0) > $promo then 'platinum'
            when s.revenue >= $gold then 'gold'
            when s.revenue >= $silver then 'silver'
            else 'bronze' end as tier,
       coalesce(s.revenue, 0) > $promo as eligible_promo
from crm_clients c
left join sales s on s.client_id = c.client_id
order by revenue desc, c.client_id;
