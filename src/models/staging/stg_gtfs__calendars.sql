-- stg_gtfs__calendars: one row per weekly service pattern per feed
-- materialized: view
-- tags: gtfs, staging
-- tests: unique(feed_id, service_id); not_null(feed_id, service_id, start_date, end_date)
with source as (
    select * from {{ source('gtfs', 'calendar') }}
),
renamed as (
    select
        feed_id,
        service_id,
        -- the weekdays in ISO order, Monday first, as booleans
        array[monday = 1, tuesday = 1, wednesday = 1, thursday = 1,
              friday = 1, saturday = 1, sunday = 1] as runs_on_isodow,
        start_date,
        end_date
    from source
)
select * from renamed
