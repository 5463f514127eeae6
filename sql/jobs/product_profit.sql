-- title: Profit per product
-- description: Revenue, cost, profit and units of every product sold, over all invoice lines (line_profit).
-- key: product_id
-- partition_by: product_id
-- mysql: off
select product_id, sum(revenue) as revenue, sum(cost) as cost, sum(profit) as profit, sum(quantity) as units,
  count(*) as lines, max(invoice_date) as last_sold
from line_profit
group by product_id
