-- title: Transactions fact
-- description: One row per card purchase (reversed purchases are deleted), with the merchant's category and city,
--   the city the user lived in at the time of the purchase (as of its time, from the user's history), and the
--   fraud label once it has arrived (null before).
-- key: txn_id
-- partition_by: txn_id
select
  t.txn_id,
  t.txn_time,
  cast(t.txn_time as date) as date_key,
  hour(t.txn_time) as hour_of_day,
  t.card_id,
  t.user_id,
  t.merchant_id,
  m.mcc,
  t.amount,
  t.use_chip,
  t.errors,
  m.city as merchant_city,
  u.city as user_city,
  l.is_fraud = 1 as is_fraud
from transactions t
left join merchants m on m.merchant_id = t.merchant_id
left join (
  select user_id, city, _valid_from from users_history where user_id in (select user_id from users)
) u on u.user_id = t.user_id
  and u._valid_from <= t.txn_time
left join fraud_labels l on l.txn_id = t.txn_id
qualify row_number() over (partition by t.txn_id order by u._valid_from desc nulls last) = 1
