-- Stand-ins for the filing tables the fundamentals views read, for a session opened without the declared tables
-- (a LakeSession given no `tables`, as some tools and tests open it): empty views of the declared columns, so
-- that the table macros of fundamentals.sql and fundamentals_kpis.sql can be created. Where the declared tables
-- are present (every ticklake command, the API) their change-log views already exist and these change nothing.
-- sql/test/filing-standins.test.ts keeps the columns equal to sql/sources and sql/jobs.
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
