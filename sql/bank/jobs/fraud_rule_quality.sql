-- title: Precision and recall of each fraud rule
-- description: Over the purchases labelled so far (labels arrive later than purchases): per rule, and for the
--   alert (score ≥ 50), how many labelled purchases it flagged, how many of those were fraud (precision) and how
--   many of the frauds it flagged (recall). Null when undefined (nothing flagged, no fraud labelled).
-- key: rule
with labelled as (
  select * from fraud_scores where is_fraud is not null
),
fired as (
  select 'velocity' as rule, r_velocity as hit, is_fraud from labelled
  union all select 'amount_spike', r_amount_spike, is_fraud from labelled
  union all select 'new_risky_merchant', r_new_risky_merchant, is_fraud from labelled
  union all select 'swipe_on_chip', r_swipe_on_chip, is_fraud from labelled
  union all select 'error_burst', r_error_burst, is_fraud from labelled
  union all select 'away_from_home', r_away_from_home, is_fraud from labelled
  union all select 'alert', score >= 50, is_fraud from labelled
)
select
  rule,
  count(*) as labelled,
  count(*) filter (where hit) as flagged,
  count(*) filter (where hit and is_fraud) as true_positives,
  count(*) filter (where hit and not is_fraud) as false_positives,
  count(*) filter (where not hit and is_fraud) as false_negatives,
  round(count(*) filter (where hit and is_fraud) / nullif(count(*) filter (where hit), 0), 4) as precision,
  round(count(*) filter (where hit and is_fraud) / nullif(count(*) filter (where is_fraud), 0), 4) as recall
from fired
group by rule
