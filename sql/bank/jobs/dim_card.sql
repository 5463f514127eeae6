-- title: Card dimension (SCD type 2)
-- description: Every version of every card (limit changes, closing): valid_from is when the version began (the
--   row's updated_at), valid_to when the next began (null while current). Cards deleted with their user leave.
-- key: card_id, valid_from
-- partition_by: card_id
select
  h.card_id,
  h._valid_from as valid_from,
  h._valid_to as valid_to,
  h._valid_to is null as is_current,
  h.user_id,
  h.brand,
  h.card_type,
  h.credit_limit,
  h.has_chip = 1 as has_chip,
  h.status,
  h.opened_at,
  h.closed_at
from cards_history h
where h.card_id in (select card_id from cards)
