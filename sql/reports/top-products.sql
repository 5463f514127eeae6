-- title: Most profitable products
-- description: The $limit products with the highest profit over the invoice lines dated from $from to $to (all
--   lines when omitted), each line priced at the buy price in effect on its date (sql/jobs/line_profit.sql):
--   revenue, cost, profit, margin (profit / revenue), units and lines. Ties by product_id.
-- param: from   date     optional              First invoice date included
-- param: to     date     optional              Last invoice date included
-- param: limit  integer  optional  default=10  Number of products
select l.product_id, any_value(p.name) as name, any_value(l.category) as category,
       sum(l.revenue) as revenue, sum(l.cost) as cost, sum(l.profit) as profit,
       round(sum(l.profit) / nullif(sum(l.revenue), 0), 4) as margin,
       sum(l.quantity) as units, count(*) as lines
from line_profit l
left join products p on p.product_id = l.product_id
where ($from is null or l.invoice_date >= $from) and ($to is null or l.invoice_date <= $to)
group by l.product_id
having sum(l.profit) is not null
order by profit desc, l.product_id
limit $limit;
