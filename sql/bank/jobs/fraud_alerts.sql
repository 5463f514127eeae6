-- title: Fraud alerts
-- description: Purchases whose score reaches 50, published to the Kafka topic fraud.alerts as they are scored
--   (and kept in the lake); the rules that fired are listed.
-- key: txn_id
-- partition_by: card_id
-- topic: fraud.alerts
select
  s.txn_id,
  s.card_id,
  f.merchant_id,
  f.mcc,
  s.txn_time,
  s.amount,
  s.score,
  concat_ws(',',
    case when s.r_velocity then 'velocity' end,
    case when s.r_amount_spike then 'amount_spike' end,
    case when s.r_new_risky_merchant then 'new_risky_merchant' end,
    case when s.r_swipe_on_chip then 'swipe_on_chip' end,
    case when s.r_error_burst then 'error_burst' end,
    case when s.r_away_from_home then 'away_from_home' end) as rules
from fraud_scores s
join fact_transactions f on f.txn_id = s.txn_id
where s.score >= 50
