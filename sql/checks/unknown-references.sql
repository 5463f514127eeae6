-- title: Invoice lines name known products and clients
-- description: Invoice lines whose product or client is not in the products or clients table (never uploaded,
--   or deleted by a full replace).
select l.invoice_id, l.line, l.product_id, l.client_id,
       concat_ws(' and ', case when p.product_id is null then 'unknown product' end,
                          case when c.client_id is null then 'unknown client' end) as problem
from invoice_lines l
left join products p on p.product_id = l.product_id
left join crm_clients c on c.client_id = l.client_id
where p.product_id is null or c.client_id is null
order by l.invoice_id, l.line;
