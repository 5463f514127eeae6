-- title: No invoice is dated in the future
-- description: Invoice lines dated after $today.
-- param: today  date  optional  Reference day, today (UTC) when omitted
select invoice_id, line, invoice_date, client_id, product_id
from invoice_lines
where invoice_date > coalesce($today, cast(make_timestamp(epoch_us(current_timestamp)) as date))
order by invoice_id, line;
