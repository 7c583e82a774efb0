-- stg_gtfs__stop_times: one row per stop of a trip per feed; times count
-- from noon minus 12 hours of the service day and may pass 24:00:00
-- materialized: view
-- tags: gtfs, staging
-- No tests: each feed's staging table has the primary key (trip_id,
-- stop_sequence), NOT NULL key columns and one feed_id, which guarantees
-- what unique and not_null tests would check on every run, at the cost of
-- scanning every stop time.
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
