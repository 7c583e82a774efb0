-- fct_headways: scheduled headways per route, direction, stop, service and hour of the service day
-- materialized: incremental
-- unique_key: feed_id, route_id, direction_id, stop_id, service_id, service_hour
-- tags: gtfs, marts, facts
-- tests: not_null(feed_id, route_id, stop_id, service_id, service_hour, departures)
-- column direction_id: the trips' direction_id, -1 when the feed leaves it empty
-- column service_hour: hour of the service day, 0 to 23 and beyond for service after midnight
-- column avg_headway_minutes: mean time since the previous departure of the route in the same direction at the stop, NULL for the first of the day
with departures as (
    select
        -- byte order ("C") for the sorts: the order is never seen, and
        -- comparing by the locale costs most of the model's time
        st.feed_id,
        t.route_id collate "C" as route_id,
        coalesce(t.direction_id, -1) as direction_id,
        st.stop_id collate "C" as stop_id,
        t.service_id collate "C" as service_id,
        st.departure_time + r.time_shift as departure_time
    from {{ ref('stg_gtfs__stop_times') }} st
    join {{ ref('stg_gtfs__trips') }} t on t.feed_id = st.feed_id and t.trip_id = st.trip_id
    join {{ ref('int_trip_runs') }} r on r.feed_id = st.feed_id and r.trip_id = st.trip_id
    where st.departure_time is not null and st.pickup_type <> 1
),
gaps as (
    select
        *,
        departure_time - lag(departure_time) over (
            partition by feed_id, route_id, direction_id, stop_id, service_id
            order by departure_time) as gap
    from departures
)
select
    feed_id,
    route_id,
    direction_id,
    stop_id,
    service_id,
    floor(date_part('epoch', departure_time) / 3600)::integer as service_hour,
    count(*)::integer as departures,
    round((extract(epoch from avg(gap)) / 60)::numeric, 1) as avg_headway_minutes,
    round((extract(epoch from min(gap)) / 60)::numeric, 1) as min_headway_minutes,
    round((extract(epoch from max(gap)) / 60)::numeric, 1) as max_headway_minutes
from gaps
group by 1, 2, 3, 4, 5, 6
