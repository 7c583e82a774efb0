-- int_trip_runs: one row per run of a trip in a service day: one for a trip
-- of stop_times.txt alone, one per departure for a trip that
-- frequencies.txt repeats (time_shift moves its stop times to that run)
-- column frequency_based: true for runs of a frequencies.txt entry with exact_times 0, whose times only show the headway; false for scheduled times (exact_times 1, or no frequencies.txt)
-- materialized: incremental
-- unique_key: feed_id, trip_id, time_shift
-- tags: gtfs, intermediate
-- tests: not_null(feed_id, trip_id, time_shift)
-- (not materialized: a filter on feed_id reaches the tables through them)
with stats as not materialized (
    select * from {{ ref('int_trip_stats') }}
),
frequencies as not materialized (
    select * from {{ ref('stg_gtfs__frequencies') }}
    where headway_secs > 0 and end_time > start_time
),
plain as (
    select s.feed_id, s.trip_id, interval '0' as time_shift, false as frequency_based
    from stats s
    where not exists (select 1 from frequencies f
                      where f.feed_id = s.feed_id and f.trip_id = s.trip_id)
),
repeated as (
    -- runs depart every headway_secs from start_time, while before end_time
    select distinct
        f.feed_id, f.trip_id,
        f.start_time + make_interval(secs => k * f.headway_secs) - s.first_departure_time as time_shift,
        f.exact_times = 0 as frequency_based
    from frequencies f
    join stats s on s.feed_id = f.feed_id and s.trip_id = f.trip_id
    cross join lateral generate_series(
        0, ceil(extract(epoch from f.end_time - f.start_time) / f.headway_secs)::integer - 1) as k
)
select * from plain
union all
select * from repeated
