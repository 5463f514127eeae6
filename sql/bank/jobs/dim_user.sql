-- title: User dimension (SCD type 2)
-- description: Every version of every user: valid_from is when the version began (the row's updated_at),
--   valid_to when the next version began (null while current). An erased user leaves the dimension entirely.
-- key: user_id, valid_from
-- partition_by: user_id
select
  h.user_id,
  h._valid_from as valid_from,
  h._valid_to as valid_to,
  h._valid_to is null as is_current,
  h.name,
  h.city,
  h.state,
  h.birth_year,
  h.yearly_income
from users_history h
where h.user_id in (select user_id from users)
