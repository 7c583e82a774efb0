-- int_service_days: every day on which a service runs, per feed: the weekly
-- pattern of calendar.txt within its dates, plus the days calendar_dates.txt
-- adds, minus the days it removes (feeds with calendar_dates.txt only work)
-- materialized: incremental
-- unique_key: feed_id, service_id, service_date
-- tags: gtfs, intermediate
-- tests: not_null(feed_id, service_id, service_date)
-- (NOT EXISTS rather than EXCEPT, and exceptions not materialized: a
-- filter on feed_id reaches the tables through them)
with calendars as (
    select * from {{ ref('stg_gtfs__calendars') }}
),
exceptions as not materialized (
    select * from {{ ref('stg_gtfs__calendar_dates') }}
),
weekly as (
    select c.feed_id, c.service_id, day::date as service_date
    from calendars c
    cross join lateral generate_series(c.start_date::timestamp, c.end_date::timestamp,
                                       interval '1 day') as day
    where c.runs_on_isodow[extract(isodow from day)::integer]
),
added as (
    select feed_id, service_id, service_date from exceptions where exception_type = 1
),
days as (
    select feed_id, service_id, service_date from weekly
    union
    select feed_id, service_id, service_date from added
)
select d.feed_id, d.service_id, d.service_date
from days d
where not exists (select 1 from exceptions e
                  where e.feed_id = d.feed_id and e.service_id = d.service_id
                    and e.service_date = d.service_date and e.exception_type = 2)
