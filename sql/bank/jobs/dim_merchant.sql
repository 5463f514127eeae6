-- title: Merchant dimension
-- description: Merchants with their category (MCC) and city.
-- key: merchant_id
select m.merchant_id, m.name, m.mcc, c.description as mcc_description, c.category, m.city, m.state
from merchants m
left join mcc_codes c on c.mcc = m.mcc
