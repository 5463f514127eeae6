-- title: Sold below cost
-- description: Products whose list sell price is below their buy price, and invoice lines sold below the buy
--   price in effect on their date (a loss).
select 'product' as kind, product_id, null::varchar as invoice_id, null::integer as line, sell_price, buy_price
from products
where sell_price < buy_price
union all
select 'invoice line', product_id, invoice_id, line, sell_price, buy_price
from line_profit
where sell_price < buy_price
order by kind desc, product_id, invoice_id, line;
