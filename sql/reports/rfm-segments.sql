-- title: RFM segments
-- description: Clients scored by recency (days from their last purchase to $as_of), frequency (invoices) and
--   monetary value (revenue) over the invoice lines dated up to $as_of, each score a quintile from 1 to 5 (5 =
--   most recent, most frequent, highest revenue; ties by client_id), and a segment (docs/retail.md): champions
--   (r and f at least 4), loyal (f at least 4), new (r at least 4, f at most 2), at risk (r at most 2, f at least
--   3), hibernating (r at most 2), regular otherwise. $as_of defaults to the latest upload's day, else today.
-- param: as_of  date  optional  Reference day
with ref as (
  select coalesce($as_of, (select max(as_of) from retail_as_of), cast(make_timestamp(epoch_us(current_timestamp)) as date)) as as_of
),
c as (
  select client_id, max(invoice_date) as last_purchase, count(distinct invoice_id) as frequency,
         sum(revenue) as monetary
  from line_profit, ref
  where invoice_date <= ref.as_of
  group by client_id
),
s as (
  select c.*, ref.as_of - c.last_purchase as recency_days,
         ntile(5) over (order by ref.as_of - c.last_purchase desc, client_id) as r,
         ntile(5) over (order by frequency, client_id) as f,
         ntile(5) over (order by monetary nulls first, client_id) as m
  from c, ref
)
select client_id, last_purchase, recency_days, frequency, monetary, r, f, m,
       case when r >= 4 and f >= 4 then 'champions'
            when f >= 4 then 'loyal'
            when r >= 4 and f <= 2 then 'new'
            when r <= 2 and f >= 3 then 'at risk'
            when r <= 2 then 'hibernating'
            else 'regular' end as segment
from s
order by client_id;
