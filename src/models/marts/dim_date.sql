-- dim_date: one row per day of each feed's service period, with its calendar attributes
-- materialized: incremental
-- unique_key: feed_id, service_date
-- tags: gtfs, marts, dimensions
-- tests: not_null(feed_id, service_date, iso_day_of_week, iso_week, year)
-- column iso_day_of_week: 1 Monday to 7 Sunday
-- column iso_week: ISO 8601 week number (the week's year is iso_year)
with bounds as (
    select feed_id, min(service_date) as first_day, max(service_date) as last_day
    from {{ ref('int_service_days') }}
    group by feed_id
)
select
    b.feed_id,
    d::date as service_date,
    extract(isodow from d)::integer as iso_day_of_week,
    trim(to_char(d, 'Day')) as day_name,
    extract(isodow from d) >= 6 as is_weekend,
    extract(week from d)::integer as iso_week,
    extract(isoyear from d)::integer as iso_year,
    extract(day from d)::integer as day_of_month,
    extract(doy from d)::integer as day_of_year,
    extract(month from d)::integer as month,
    trim(to_char(d, 'Month')) as month_name,
    extract(quarter from d)::integer as quarter,
    extract(year from d)::integer as year
from bounds b
cross join lateral generate_series(b.first_day::timestamp, b.last_day::timestamp, interval '1 day') as d
