-- title: MCC dimension
-- description: Merchant category codes with their category and whether fraud favours them (resellable goods,
--   cash-like and online-only categories).
-- key: mcc
select
  mcc,
  description,
  category,
  mcc in (4511, 4829, 5045, 5732, 5944, 5967, 6011, 7995) as risky
from mcc_codes
