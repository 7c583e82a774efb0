-- stg_gtfs__frequencies: one row per headway period of a trip per feed
-- materialized: view
-- tags: gtfs, staging
-- tests: unique(feed_id, trip_id, start_time); not_null(feed_id, trip_id, start_time, end_time, headway_secs)
with source as (
    select * from {{ source('gtfs', 'frequencies') }}
),
renamed as (
    select
        feed_id,
        trip_id,
        start_time,
        end_time,
        headway_secs,
        coalesce(exact_times, 0) as exact_times        -- empty means frequency-based
    from source
)
select * from renamed
