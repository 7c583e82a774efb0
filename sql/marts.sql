-- The GTFS marts agree with the GTFS reference: service days from calendar
-- and calendar_dates (also feeds with calendar_dates only), times after
-- midnight, DST days, and trips repeated by frequencies.txt.
SET client_min_messages = warning;
SET datestyle = ISO;
SET intervalstyle = postgres;
SET timezone = 'UTC';
\getenv datadir GTFS_TEST_DATA
\getenv shared GTFS_SHARED
\set minimal_zip :datadir '/minimal.zip'
\set midnight_zip :datadir '/past_midnight.zip'
\set dst_zip :datadir '/dst_days.zip'
\set sample_zip :datadir '/sample-gtfs-feed.zip'
\set lirr_zip :shared '/mta-lirr.zip'
SELECT gtfs_fdw.add_feed('minimal', url => :'minimal_zip') > 0 AS added;
SELECT gtfs_fdw.add_feed('midnight', url => :'midnight_zip') > 0 AS added;
SELECT gtfs_fdw.add_feed('dst', url => :'dst_zip') > 0 AS added;
SELECT gtfs_fdw.add_feed('sample', url => :'sample_zip') > 0 AS added;
SELECT gtfs_fdw.add_feed('lirr', url => :'lirr_zip') > 0 AS added;
CALL gtfs_refresh();
SELECT feed, step, status FROM gtfs_fdw.load_log WHERE step IN ('refresh', 'models') ORDER BY feed, step;
SELECT status, count(*) FROM gtfs_fdw.test_results
WHERE run_id IN (SELECT run_id FROM gtfs_fdw.load_log) GROUP BY 1 ORDER BY 1;
CREATE FUNCTION pg_temp.feed(name text) RETURNS integer LANGUAGE sql AS
  $$ SELECT feed_id FROM gtfs_fdw.feeds WHERE feeds.name = feed.name $$;

-- Service days: the weekly pattern, minus removed days, plus added days
SELECT service_id, count(*) AS days, min(service_date), max(service_date)
FROM gtfs_mart.dim_date d JOIN gtfs_work.int_service_days s USING (feed_id, service_date)
WHERE feed_id = pg_temp.feed('minimal') GROUP BY 1 ORDER BY 1;
-- Memorial Day and July 4th: weekday service removed, weekend service added
SELECT service_date, array_agg(service_id ORDER BY service_id) AS services
FROM gtfs_work.int_service_days
WHERE feed_id = pg_temp.feed('minimal') AND service_date IN ('2024-05-24', '2024-05-25', '2024-05-27', '2024-07-04')
GROUP BY 1 ORDER BY 1;
-- a feed with calendar_dates.txt only (the real LIRR feed): its service
-- days are exactly the added dates
SELECT (SELECT count(*) FROM gtfs_work.int_service_days WHERE feed_id = pg_temp.feed('lirr')) AS service_days,
       (SELECT count(*) FROM gtfs_stage_lirr.calendar_dates WHERE exception_type = 1) AS added_dates,
       (SELECT count(*) FROM gtfs_stage_lirr.calendar) AS calendar_rows;

-- Trips after midnight belong to the day before, and end on the next day
SELECT trip_id, service_date, first_departure_time, last_arrival_time,
       first_departure_at AT TIME ZONE 'America/New_York' AS departs_local,
       last_arrival_at AT TIME ZONE 'America/New_York' AS arrives_local
FROM gtfs_mart.fct_trip_days
WHERE feed_id = pg_temp.feed('midnight') AND service_date = '2024-03-05'
ORDER BY trip_id;

-- DST days: times count from noon minus 12 hours, as GTFS defines it.  On
-- the spring-forward day noon minus 12 hours is 23:00 of the day before,
-- so 01:30 is 00:30 on the wall clock; on the fall-back day it is 01:00.
-- Daytime and after-midnight trips keep their wall-clock times.
SELECT trip_id, service_date, first_departure_time,
       first_departure_at AS departs_utc,
       first_departure_at AT TIME ZONE 'America/New_York' AS departs_local
FROM gtfs_mart.fct_trip_days WHERE feed_id = pg_temp.feed('dst')
ORDER BY service_date, first_departure_time;
-- the sample feed's DST trip: 25:58 on 2019-03-30 in Europe/Berlin, just
-- before the clocks went forward in the night to 2019-03-31
SELECT trip_id, service_date, first_departure_time, first_departure_at,
       first_departure_at AT TIME ZONE 'Europe/Berlin' AS departs_local,
       last_arrival_at AT TIME ZONE 'Europe/Berlin' AS arrives_local
FROM gtfs_mart.fct_trip_days WHERE feed_id = pg_temp.feed('sample') AND trip_id = 'during-dst-1';

-- frequencies.txt: b-downtown-on-working-days runs every 5 minutes from
-- 08:00 until before 08:59 (12 runs), each shifting the trip's stop times;
-- with exact_times 1 those are scheduled times, not frequency-based ones
SELECT count(*) AS runs, min(first_departure_time), max(first_departure_time),
       bool_and(frequency_based) AS frequency_based,
       count(DISTINCT last_arrival_time - first_departure_time) AS one_duration
FROM gtfs_mart.fct_trip_days
WHERE feed_id = pg_temp.feed('sample') AND trip_id = 'b-downtown-on-working-days'
  AND service_date = '2019-03-11';
-- b-outbound-on-working-days has exact_times 0: its runs only keep the headway
SELECT trip_id, count(*) AS runs, bool_and(frequency_based) AS frequency_based
FROM gtfs_mart.fct_trip_days
WHERE feed_id = pg_temp.feed('sample') AND trip_id LIKE 'b-%-on-working-days'
  AND service_date = '2019-03-11'
GROUP BY 1 ORDER BY 1;
SELECT stop_id, service_hour, departures, avg_headway_minutes, min_headway_minutes, max_headway_minutes
FROM gtfs_mart.fct_headways
WHERE feed_id = pg_temp.feed('sample') AND route_id = 'B' AND service_id = 'on-working-days'
  AND direction_id = 0 ORDER BY stop_id, service_hour;
-- and the stop events repeat the same way
SELECT departure_time, departure_at AT TIME ZONE 'Europe/Berlin' AS departs_local
FROM gtfs_mart.fct_stop_events
WHERE feed_id = pg_temp.feed('sample') AND stop_id = 'airport' AND service_date = '2019-03-11'
  AND trip_id = 'b-downtown-on-working-days'
ORDER BY departure_time LIMIT 3;

-- Daily route service adds up the trips
SELECT route_id, service_date, trips, revenue_hours, first_departure_at, last_departure_at
FROM gtfs_mart.fct_route_service_daily
WHERE feed_id = pg_temp.feed('minimal') AND service_date BETWEEN '2024-05-24' AND '2024-05-27'
ORDER BY service_date, route_id;
SELECT (SELECT sum(trips) FROM gtfs_mart.fct_route_service_daily WHERE feed_id = pg_temp.feed('lirr'))
     = (SELECT count(*) FROM gtfs_mart.fct_trip_days WHERE feed_id = pg_temp.feed('lirr')) AS adds_up;

-- Dimensions: readable labels, inherited wheelchair boarding, time zones
SELECT route_id, route_short_name, route_type, route_type_label, agency_timezone
FROM gtfs_mart.dim_route WHERE feed_id = pg_temp.feed('sample') ORDER BY route_id;
SELECT stop_id, location_type_label, parent_station_name, wheelchair_boarding, wheelchair_boarding_label
FROM gtfs_mart.dim_stop WHERE feed_id = pg_temp.feed('sample') ORDER BY stop_id;
SELECT service_date, iso_day_of_week, day_name, is_weekend, iso_week, iso_year, month_name, quarter
FROM gtfs_mart.dim_date WHERE feed_id = pg_temp.feed('minimal')
  AND service_date IN ('2024-01-01', '2024-12-29', '2024-12-30', '2024-12-31') ORDER BY 1;

-- Every mart row carries its feed
SELECT f.name, (SELECT count(*) FROM gtfs_mart.fct_trip_days t WHERE t.feed_id = f.feed_id) AS trip_days,
       (SELECT count(*) FROM gtfs_mart.dim_stop s WHERE s.feed_id = f.feed_id) AS stops
FROM gtfs_fdw.feeds f ORDER BY f.name;

-- A query of the stop-event view for one feed reads that feed's tables
-- only: the others are excluded by their feed_id checks
CREATE FUNCTION pg_temp.tables_scanned(query text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    plan json;
BEGIN
    EXECUTE 'EXPLAIN (VERBOSE, FORMAT JSON) ' || query INTO plan;
    RETURN (SELECT string_agg(DISTINCT m[2] || '.' || m[1], ', ')
            FROM regexp_matches(plan::text, '"Relation Name": "(stop_times|trips)",\s*"Schema": "([^"]+)"', 'g') m);
END $$;
SELECT pg_temp.tables_scanned(format(
    'SELECT * FROM gtfs_mart.fct_stop_events WHERE feed_id = %s AND stop_id = %L AND service_date = %L',
    pg_temp.feed('sample'), 'airport', '2019-03-11')) AS staging_tables_read;
-- and the helper for a window of time gives the departures in it
SELECT departure_at AT TIME ZONE 'Europe/Berlin' AS departs_local, route_id, trip_id, headsign
FROM gtfs_mart.stop_departures('airport', '2019-03-11 08:00+01', '2019-03-11 08:16+01', 'sample');

-- dropping a feed takes its rows out of the marts
SELECT gtfs_fdw.drop_feed('midnight', drop_staging => true);
SELECT count(*) FROM gtfs_mart.fct_trip_days WHERE feed_id NOT IN (SELECT feed_id FROM gtfs_fdw.feeds);

SELECT gtfs_fdw.drop_feed(name, drop_staging => true) FROM gtfs_fdw.feeds ORDER BY name;
TRUNCATE gtfs_fdw.load_log, gtfs_fdw.model_runs, gtfs_fdw.test_results;
