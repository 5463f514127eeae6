-- title: Pipeline run report
-- description: One row per scheduled job for the hour: its last attempt's status, rows, duration and error. It reads
-- pipeline_runs, so it runs after every other job of the hour (checks, models, tests): the stored run report of the
-- seed DAG, kept in the lake table pipeline_reports (and MySQL when configured).
-- schedule: hourly
-- materialize: pipeline_reports
-- param: interval_start  timestamp  optional  First instant of the hour (bound by the scheduler)
-- param: interval_end    timestamp  optional  End of the hour, excluded (bound by the scheduler)
select job, kind, severity, status, rows,
       date_diff('millisecond', started_at, ended_at) as duration_ms,
       error, attempt
from pipeline_runs
where interval_start = $interval_start and interval_end = $interval_end
qualify row_number() over (partition by job order by attempt desc) = 1
order by job
