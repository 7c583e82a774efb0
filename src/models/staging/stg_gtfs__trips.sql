-- stg_gtfs__trips: one row per trip per feed
-- materialized: view
-- tags: gtfs, staging
-- tests: unique(feed_id, trip_id); not_null(feed_id, trip_id, route_id, service_id)
with source as (
    select * from {{ source('gtfs', 'trips') }}
),
renamed as (
    select
        feed_id,
        trip_id,
        route_id,
        service_id,
        trip_headsign,
        trip_short_name,
        direction_id,
        block_id,
        shape_id,
        wheelchair_accessible,
        bikes_allowed
    from source
)
select * from renamed
