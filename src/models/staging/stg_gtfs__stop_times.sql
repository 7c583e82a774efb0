-- stg_gtfs__stop_times: one row per stop of a trip per feed; times count
-- from noon minus 12 hours of the service day and may pass 24:00:00
-- materialized: view
-- tags: gtfs, staging
-- tests: unique(feed_id, trip_id, stop_sequence); not_null(feed_id, trip_id, stop_sequence)
with source as (
    select * from {{ source('gtfs', 'stop_times') }}
),
renamed as (
    select
        feed_id,
        trip_id,
        stop_sequence,
        stop_id,
        arrival_time,
        departure_time,
        stop_headsign,
        coalesce(pickup_type, 0) as pickup_type,       -- empty means regular
        coalesce(drop_off_type, 0) as drop_off_type,
        shape_dist_traveled,
        timepoint
    from source
)
select * from renamed
