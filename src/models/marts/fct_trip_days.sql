-- fct_trip_days: one row per run of a trip on each day its service runs, with its first departure and last arrival as real instants
-- materialized: incremental
-- unique_key: feed_id, trip_id, service_date, time_shift
-- tags: gtfs, marts, facts
-- tests: not_null(feed_id, trip_id, service_date, first_departure_at, last_arrival_at)
-- tests: relationships(feed_id, trip_id -> dim_trip(feed_id, trip_id)); relationships(feed_id, route_id -> dim_route(feed_id, route_id)); relationships(feed_id, service_date -> dim_date(feed_id, service_date))
-- tests: sql arrives_after_departing: select * from {{ this }} where last_arrival_at < first_departure_at
-- column service_date: the service day the trip belongs to (a trip after midnight still belongs to the day before)
-- column time_shift: for a trip repeated by frequencies.txt, how far this run is moved from the trip's own stop times (0 otherwise)
-- column first_departure_at: noon minus 12 hours of the service day in the agency's time zone, plus the first departure time, as GTFS defines it
-- column distance: in the units of shape_dist_traveled, when the feed gives it
with days as (
    select * from {{ ref('int_service_days') }}
),
trips as (
    select * from {{ ref('dim_trip') }}
),
runs as (
    select * from {{ ref('int_trip_runs') }}
)
select
    d.feed_id,
    t.trip_id,
    d.service_date,
    r.time_shift,
    t.route_id,
    t.service_id,
    t.direction_id,
    t.first_departure_time + r.time_shift as first_departure_time,
    t.last_arrival_time + r.time_shift as last_arrival_time,
    gtfs_fdw.service_time(d.service_date, t.agency_timezone, t.first_departure_time + r.time_shift)
        as first_departure_at,
    gtfs_fdw.service_time(d.service_date, t.agency_timezone, t.last_arrival_time + r.time_shift)
        as last_arrival_at,
    t.stop_count,
    t.distance,
    r.frequency_based
from days d
join trips t on t.feed_id = d.feed_id and t.service_id = d.service_id
join runs r on r.feed_id = t.feed_id and r.trip_id = t.trip_id
