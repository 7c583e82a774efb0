-- fct_stop_events: every scheduled arrival and departure at every stop on every service day, as real instants; a view (it would be huge as a table): filter it by stop and service_date, or use gtfs_mart.stop_departures() for a window of time
-- materialized: view
-- tags: gtfs, marts, facts
-- column service_date: the service day; filtering on it lets the planner skip every other day
-- column departure_at: noon minus 12 hours of the service day in the agency's time zone, plus the departure time
with stop_times as (
    select * from {{ ref('stg_gtfs__stop_times') }}
),
trips as (
    select * from {{ ref('dim_trip') }}
),
runs as (
    select * from {{ ref('int_trip_runs') }}
),
days as (
    select * from {{ ref('int_service_days') }}
)
select
    st.feed_id,
    d.service_date,
    st.stop_id,
    st.trip_id,
    r.time_shift,
    st.stop_sequence,
    t.route_id,
    t.direction_id,
    t.trip_headsign,
    coalesce(st.stop_headsign, t.trip_headsign) as headsign,
    st.arrival_time + r.time_shift as arrival_time,
    st.departure_time + r.time_shift as departure_time,
    gtfs_fdw.service_time(d.service_date, t.agency_timezone, st.arrival_time + r.time_shift)
        as arrival_at,
    gtfs_fdw.service_time(d.service_date, t.agency_timezone, st.departure_time + r.time_shift)
        as departure_at,
    st.pickup_type,
    st.drop_off_type,
    r.frequency_based
from stop_times st
join trips t on t.feed_id = st.feed_id and t.trip_id = st.trip_id
join runs r on r.feed_id = st.feed_id and r.trip_id = st.trip_id
join days d on d.feed_id = t.feed_id and d.service_id = t.service_id
