-- Derived views over the filing sources (docs/fundamentals.md), every one a table macro taking the time `t` it is
-- "as known at": only submissions the SEC accepted by `t` count, so a restatement never leaks into the past.
--
-- filing_periods_as_of(t): the submission in effect per company, period and form (10-K, 10-Q; an amendment
--   10-K/A, 10-Q/A supersedes what it amends from its acceptance on), with its fiscal quarter index and ticker.
-- fundamentals_long_as_of(t): per such submission and concept, the concept's value for the filing's own period
--   (instant: at the period end; shares: the latest date the filing gives; duration: year to date `ytd` and three
--   months `q3m`), derivations applied where no tag was reported, the discrete quarter `q` and the trailing twelve
--   months `ttm` (a 10-K's year, else the sum of four consecutive discrete quarters).
-- fundamentals_as_of(t): one row per company and fiscal period, a column per concept.
-- fundamentals: the view of fundamentals_as_of(now()), the figures as known now (every sql/views file makes a
--   view of its own name: the API's table list and the SQL page's schema browser describe it).
--
-- Stand-ins first: for a session opened without the declared tables (a LakeSession given no `tables`, as some tools
-- and tests open it), empty views of the filing tables' declared columns, so that the macros below can be created.
-- Where the declared tables are present (every ticklake command, the API) their change-log views already exist and
-- these change nothing. sql/test/filing-standins.test.ts keeps their columns equal to sql/sources and sql/jobs.
create view if not exists filing_submissions as
select cast(null as varchar) as adsh, cast(null as bigint) as cik, cast(null as varchar) as name,
       cast(null as integer) as sic, cast(null as varchar) as countryba, cast(null as varchar) as stprba,
       cast(null as varchar) as cityba, cast(null as varchar) as countryinc, cast(null as varchar) as ein,
       cast(null as varchar) as former, cast(null as date) as changed, cast(null as varchar) as afs,
       cast(null as boolean) as wksi, cast(null as varchar) as fye, cast(null as varchar) as form,
       cast(null as date) as period, cast(null as integer) as fy, cast(null as varchar) as fp,
       cast(null as date) as filed, cast(null as timestamp) as accepted, cast(null as boolean) as prevrpt,
       cast(null as boolean) as detail, cast(null as varchar) as instance, cast(null as integer) as nciks,
       cast(null as varchar) as aciks
where false;

create view if not exists filing_facts as
select cast(null as varchar) as adsh, cast(null as varchar) as concept, cast(null as date) as ddate,
       cast(null as integer) as qtrs, cast(null as decimal(28,4)) as value, cast(null as varchar) as uom,
       cast(null as varchar) as tag, cast(null as integer) as priority
where false;

create view if not exists filing_concepts as
select cast(null as varchar) as concept, cast(null as integer) as priority, cast(null as varchar) as source,
       cast(null as integer) as sign, cast(null as varchar) as kind, cast(null as varchar) as label
where false;

create view if not exists stock_splits as
select cast(null as varchar) as symbol, cast(null as date) as ex_date, cast(null as double) as ratio
where false;

create or replace macro filing_periods_as_of(t) as table
select * exclude (_rn) from (
  select s.*, replace(s.form, '/A', '') as base_form,
         s.form like '%/A' as amended,
         upper(nullif(regexp_extract(s.instance, '^([A-Za-z0-9.]+)-[0-9]{8}', 1), '')) as ticker,
         case s.fp when 'Q1' then 1 when 'Q2' then 2 when 'Q3' then 3 when 'FY' then 4 end as ytd_qtrs,
         s.fy * 4 + case s.fp when 'Q1' then 1 when 'Q2' then 2 when 'Q3' then 3 when 'FY' then 4 end as fq,
         row_number() over (
           partition by s.cik, s.period, replace(s.form, '/A', '') order by s.accepted desc, s.adsh desc
         ) as _rn
  from filing_submissions s
  where s.accepted <= t and replace(s.form, '/A', '') in ('10-K', '10-Q') and s.fp in ('Q1', 'Q2', 'Q3', 'FY')
)
where _rn = 1;

create or replace macro fundamentals_long_as_of(t) as table
with p as (
  select * from filing_periods_as_of(t)
),
kinds as (
  select concept, any_value(kind) as kind, min(priority) filter (where not source like '=%') as first_tag
  from filing_concepts group by concept
),
direct as (
  -- the filing's own period: instants at the period end, durations ending at it, shares at their latest date
  select p.adsh, f.concept, k.kind, min(f.priority) as priority, any_value(f.uom) as uom,
         max(f.value) filter (where k.kind = 'instant' and f.qtrs = 0 and f.ddate = p.period) as val,
         arg_max(f.value, f.ddate) filter (where k.kind = 'shares' and f.qtrs = 0) as shares,
         max(f.ddate) filter (where k.kind = 'shares' and f.qtrs = 0) as shares_date,
         max(f.value) filter (where k.kind = 'duration' and f.ddate = p.period and f.qtrs = p.ytd_qtrs) as ytd,
         max(f.value) filter (where k.kind = 'duration' and f.ddate = p.period and f.qtrs = 1) as q3m
  from p
  join filing_facts f on f.adsh = p.adsh
  join kinds k on k.concept = f.concept
  group by all
),
terms as (
  select concept, priority, list(struct_pack(term := substr(source, 2), sign := sign)) as terms, count(*) as n
  from filing_concepts where source like '=%' group by concept, priority
),
derived as (
  -- a derivation of one priority counts, per value column, only when every term has that value
  select d.adsh, t.concept, t.priority, any_value(d.kind) as kind, any_value(d.uom) as uom,
         case when count(d.val) = any_value(t.n) then sum(u.sign * d.val) end as val,
         case when count(d.ytd) = any_value(t.n) then sum(u.sign * d.ytd) end as ytd,
         case when count(d.q3m) = any_value(t.n) then sum(u.sign * d.q3m) end as q3m
  from terms t, unnest(t.terms) as x(u)
  join direct d on d.concept = u.term
  group by d.adsh, t.concept, t.priority
),
candidates as (
  select adsh, concept, kind, priority, uom, val, shares, shares_date, ytd, q3m from direct
  union all
  select adsh, concept, (select kind from kinds k where k.concept = derived.concept), priority, uom, val,
         null, null, ytd, q3m from derived
),
best as (
  select adsh, concept, any_value(kind) as kind, any_value(uom) as uom,
         arg_min(val, priority) filter (where val is not null) as val,
         arg_min(priority, priority) filter (where val is not null or ytd is not null or q3m is not null
                                               or shares is not null) as priority,
         arg_min(shares, priority) filter (where shares is not null) as shares,
         arg_min(shares_date, priority) filter (where shares is not null) as shares_date,
         arg_min(ytd, priority) filter (where ytd is not null) as ytd,
         arg_min(q3m, priority) filter (where q3m is not null) as q3m
  from candidates group by adsh, concept
),
joined as (
  select p.cik, p.name, p.ticker, p.adsh, p.form, p.fy, p.fp, p.period, p.accepted, p.fq, p.ytd_qtrs,
         b.concept, b.kind, b.uom, b.priority,
         b.priority >= 100 as derived,
         b.val, b.shares, b.shares_date, b.ytd, b.q3m
  from p join best b on b.adsh = p.adsh
),
quarters as (
  select j.*,
         case when j.kind = 'duration' then
           coalesce(j.q3m, case when j.ytd_qtrs = 1 then j.ytd else j.ytd - prev.ytd end)
         end as q
  from joined j
  left join joined prev on prev.cik = j.cik and prev.concept = j.concept and prev.fy = j.fy
    and prev.ytd_qtrs = j.ytd_qtrs - 1 and j.kind = 'duration'
)
select cik, name, ticker, adsh, form, fy, fp, period, accepted, fq, ytd_qtrs, concept, kind, uom, priority, derived,
       case kind when 'duration' then case when ytd_qtrs = 4 then ytd else q end
                 when 'shares' then shares else val end as value,
       shares_date, ytd, q,
       case when kind <> 'duration' then null
            when ytd_qtrs = 4 then ytd
            when count(q) over last4 = 4 and min(fq) over last4 = fq - 3 then sum(q) over last4 end as ttm
from quarters
window last4 as (partition by cik, concept order by fq range between 3 preceding and current row);

create or replace macro fundamentals_as_of(t) as table
select cik, any_value(name) as name, any_value(ticker) as ticker, adsh, any_value(form) as form,
       any_value(fy) as fy, any_value(fp) as fp, any_value(period) as period, any_value(accepted) as accepted,
       any_value(fq) as fq,
       any_value(uom) filter (where concept = 'revenue') as uom,
       max(value) filter (where concept = 'revenue') as revenue,
       max(value) filter (where concept = 'cogs') as cogs,
       max(value) filter (where concept = 'gross_profit') as gross_profit,
       max(value) filter (where concept = 'operating_income') as operating_income,
       max(value) filter (where concept = 'pretax_income') as pretax_income,
       max(value) filter (where concept = 'income_tax') as income_tax,
       max(value) filter (where concept = 'net_income') as net_income,
       max(value) filter (where concept = 'interest_expense') as interest_expense,
       max(value) filter (where concept = 'depreciation_amortization') as depreciation_amortization,
       max(value) filter (where concept = 'operating_cash_flow') as operating_cash_flow,
       max(value) filter (where concept = 'capex') as capex,
       max(value) filter (where concept = 'current_assets') as current_assets,
       max(value) filter (where concept = 'current_liabilities') as current_liabilities,
       max(value) filter (where concept = 'assets') as assets,
       max(value) filter (where concept = 'liabilities') as liabilities,
       max(value) filter (where concept = 'liabilities_and_equity') as liabilities_and_equity,
       max(value) filter (where concept = 'equity') as equity,
       max(value) filter (where concept = 'cash') as cash,
       max(value) filter (where concept = 'inventory') as inventory,
       max(value) filter (where concept = 'receivables') as receivables,
       max(value) filter (where concept = 'debt') as debt,
       max(value) filter (where concept = 'shares_outstanding') as shares_outstanding,
       max(shares_date) filter (where concept = 'shares_outstanding') as shares_date,
       max(ttm) filter (where concept = 'revenue') as revenue_ttm,
       max(ttm) filter (where concept = 'operating_income') as operating_income_ttm,
       max(ttm) filter (where concept = 'pretax_income') as pretax_income_ttm,
       max(ttm) filter (where concept = 'income_tax') as income_tax_ttm,
       max(ttm) filter (where concept = 'net_income') as net_income_ttm,
       max(ttm) filter (where concept = 'interest_expense') as interest_expense_ttm,
       max(ttm) filter (where concept = 'operating_cash_flow') as operating_cash_flow_ttm,
       max(ttm) filter (where concept = 'capex') as capex_ttm,
       list(concept order by concept) filter (where derived) as derived_concepts
from fundamentals_long_as_of(t)
group by cik, adsh;

create or replace view fundamentals as
select * from fundamentals_as_of(now()::timestamp);
