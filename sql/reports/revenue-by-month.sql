-- title: Revenue and margin by month and category
-- description: Revenue, cost, profit, margin (profit / revenue), units and invoice lines per calendar month of
--   the invoice date and product category, from $from to $to, optionally one $category. Lines of unknown products
--   are in category "(unknown)" with revenue only when their unit price was given.
-- param: from      date     optional  First invoice date included
-- param: to        date     optional  Last invoice date included
-- param: category  varchar  optional  Only this category
select cast(date_trunc('month', invoice_date) as date) as month,
       coalesce(category, '(unknown)') as category,
       sum(revenue) as revenue, sum(cost) as cost, sum(profit) as profit,
       round(sum(profit) / nullif(sum(revenue), 0), 4) as margin,
       sum(quantity) as units, count(*) as lines
from line_profit
where ($from is null or invoice_date >= $from) and ($to is null or invoice_date <= $to)
  and ($category is null or category = $category)
group by all
order by month, category;
