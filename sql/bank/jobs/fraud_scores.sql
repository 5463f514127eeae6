-- title: Fraud score per transaction
-- description: A rule-based score: each rule that fires adds its weight (docs/cdc.md has the rules). velocity:
--   4 or more purchases in the hour (25); amount_spike: amount_z ≥ 3 (25); new_risky_merchant: first purchase at a
--   merchant of a risky category (20); swipe_on_chip: a chip card swiped (10); error_burst: 2 or more errors in
--   the hour (20); away_from_home: outside the user's city (10). alert: score ≥ 50.
-- key: txn_id
-- partition_by: card_id
select
  txn_id,
  card_id,
  txn_time,
  amount,
  txn_count_1h >= 4 as r_velocity,
  coalesce(amount_z >= 3, false) as r_amount_spike,
  first_merchant and risky_mcc as r_new_risky_merchant,
  swipe_on_chip_card as r_swipe_on_chip,
  errors_1h >= 2 as r_error_burst,
  away_from_home as r_away_from_home,
  (case when txn_count_1h >= 4 then 25 else 0 end)
    + (case when coalesce(amount_z >= 3, false) then 25 else 0 end)
    + (case when first_merchant and risky_mcc then 20 else 0 end)
    + (case when swipe_on_chip_card then 10 else 0 end)
    + (case when errors_1h >= 2 then 20 else 0 end)
    + (case when away_from_home then 10 else 0 end) as score,
  is_fraud
from fraud_features
