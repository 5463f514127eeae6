-- title: Fraud features per transaction
-- description: Behaviour of the card around each purchase. Windows end at the purchase and include both ends:
--   the count and amount of the card's purchases in [txn_time − 1 h, txn_time] and [txn_time − 24 h, txn_time];
--   amount_z, the amount against the card's earlier purchases ((amount − mean) / sample stddev; null with fewer
--   than 3 earlier purchases or no spread); whether it is the card's first purchase at the merchant and in the
--   MCC; a chip card swiped; errors in the last hour (this purchase included); and whether the merchant is outside
--   the user's city at the time. Ties in time are ordered by txn_id.
-- key: txn_id
-- partition_by: card_id
with f as (
  select f.*, coalesce(c.has_chip, false) as card_has_chip, coalesce(d.risky, false) as risky_mcc
  from fact_transactions f
  left join dim_card c on c.card_id = f.card_id and c.is_current
  left join dim_mcc d on d.mcc = f.mcc
)
select
  txn_id,
  card_id,
  txn_time,
  amount,
  count(*) over w1h as txn_count_1h,
  sum(amount) over w1h as amount_1h,
  count(*) over w24h as txn_count_24h,
  sum(amount) over w24h as amount_24h,
  case
    when count(*) over earlier >= 3 and stddev_samp(amount) over earlier > 0
      then round((amount - avg(amount) over earlier) / stddev_samp(amount) over earlier, 4)
  end as amount_z,
  row_number() over (partition by card_id, merchant_id order by txn_time, txn_id) = 1 as first_merchant,
  row_number() over (partition by card_id, mcc order by txn_time, txn_id) = 1 as first_mcc,
  risky_mcc,
  use_chip = 'Swipe Transaction' and card_has_chip as swipe_on_chip_card,
  use_chip = 'Online Transaction' as online,
  count(errors) over w1h as errors_1h,
  merchant_city is distinct from user_city and user_city is not null as away_from_home,
  is_fraud
from f
window
  w1h as (partition by card_id order by txn_time range between interval 1 hour preceding and current row),
  w24h as (partition by card_id order by txn_time range between interval 24 hours preceding and current row),
  earlier as (partition by card_id order by txn_time, txn_id rows between unbounded preceding and 1 preceding)
