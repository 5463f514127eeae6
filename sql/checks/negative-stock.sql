-- title: Stock is not negative
-- description: Products whose quantity in stock is below zero (sold more than was recorded in stock).
select product_id, name, stock_qty
from products
where stock_qty < 0
order by product_id;
