-- stg_gtfs__stops: one row per stop, station, entrance or node per feed
-- materialized: view
-- tags: gtfs, staging
-- tests: unique(feed_id, stop_id); not_null(feed_id, stop_id)
with source as (
    select * from {{ source('gtfs', 'stops') }}
),
renamed as (
    select
        feed_id,
        stop_id,
        stop_code,
        stop_name,
        stop_desc,
        stop_lat as latitude,
        stop_lon as longitude,
        zone_id,
        stop_url,
        coalesce(location_type, 0) as location_type,   -- empty means a stop
        parent_station,
        stop_timezone,
        wheelchair_boarding,
        level_id,
        platform_code
    from source
)
select * from renamed
