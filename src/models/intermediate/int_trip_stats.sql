-- int_trip_stats: one row per trip per feed: when it starts and ends (as
-- times of the service day), how many stops it makes, how far it goes
-- materialized: incremental
-- unique_key: feed_id, trip_id
-- tags: gtfs, intermediate
-- tests: not_null(feed_id, trip_id, stop_count)
-- tests: sql ends_after_start: select * from {{ this }} where last_arrival_time < first_departure_time
with stop_times as (
    select * from {{ ref('stg_gtfs__stop_times') }}
)
select
    feed_id,
    trip_id,
    -- only the first and last stop must carry times; others may be empty
    min(coalesce(departure_time, arrival_time)) as first_departure_time,
    max(coalesce(arrival_time, departure_time)) as last_arrival_time,
    count(*)::integer as stop_count,
    max(shape_dist_traveled) - min(shape_dist_traveled) as distance
from stop_times
group by feed_id, trip_id
