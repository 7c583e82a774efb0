-- dim_trip: one row per trip per feed: its route, service, direction, headsign, shape, and the time zone its times count in
-- materialized: incremental
-- unique_key: feed_id, trip_id
-- tags: gtfs, marts, dimensions
-- tests: not_null(feed_id, trip_id, route_id, service_id, agency_timezone)
-- tests: relationships(feed_id, route_id -> dim_route(feed_id, route_id))
-- tests: warn accepted_values(direction_id: 0, 1)
-- column agency_timezone: the time zone of the route's agency, in which the trip's times count
-- column first_departure_time: time of the service day of its first departure (may pass 24:00:00)
with trips as (
    select * from {{ ref('stg_gtfs__trips') }}
),
stats as (
    select * from {{ ref('int_trip_stats') }}
),
routes as (
    select * from {{ ref('dim_route') }}
)
select
    t.feed_id,
    t.trip_id,
    t.route_id,
    t.service_id,
    t.direction_id,
    t.trip_headsign,
    t.trip_short_name,
    t.block_id,
    t.shape_id,
    t.wheelchair_accessible,
    t.bikes_allowed,
    r.agency_timezone,
    s.first_departure_time,
    s.last_arrival_time,
    s.stop_count,
    s.distance
from trips t
left join stats s on s.feed_id = t.feed_id and s.trip_id = t.trip_id
left join routes r on r.feed_id = t.feed_id and r.route_id = t.route_id
