-- fct_route_service_daily: one row per route per service day: trips run, revenue hours, first and last departure
-- materialized: incremental
-- unique_key: feed_id, route_id, service_date
-- tags: gtfs, marts, facts
-- tests: not_null(feed_id, route_id, service_date, trips)
-- tests: relationships(feed_id, route_id -> dim_route(feed_id, route_id))
-- column revenue_hours: the sum of the trips' durations, first departure to last arrival
select
    feed_id,
    route_id,
    service_date,
    count(*)::integer as trips,
    round((extract(epoch from sum(last_arrival_at - first_departure_at)) / 3600)::numeric, 2)
        as revenue_hours,
    min(first_departure_at) as first_departure_at,
    max(first_departure_at) as last_departure_at,
    sum(distance) as distance
from {{ ref('fct_trip_days') }}
group by feed_id, route_id, service_date
