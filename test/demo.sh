#!/usr/bin/env bash
# The main job end to end, offline: build and install gtfs_fdw, start a
# throwaway cluster, read the bundled sample feed through foreign tables,
# load it into staging tables and build the marts with CALL gtfs_refresh(),
# and print what an analyst would ask first.  Set KEEP_CLUSTER=1 to keep the
# cluster running afterwards (the script prints how to connect).
set -euo pipefail
cd "$(dirname "$0")/.."
. test/lib.sh

ROOT=${GTFS_DEMO_ROOT:-/tmp/gtfs_fdw_demo}
PORT=${GTFS_DEMO_PORT:-54391}

gtfs_install_deps
gtfs_build_install
gtfs_start_cluster "$ROOT" "$PORT" "shared_preload_libraries = 'pg_cron'" "cron.database_name = 'postgres'"
[ -n "${KEEP_CLUSTER:-}" ] || trap 'gtfs_stop_cluster "$ROOT"' EXIT
gtfs_stage_data "$ROOT/feeds" test/data/sample-gtfs-feed.zip

psql -X -q -v ON_ERROR_STOP=1 -v feed="$ROOT/feeds/sample-gtfs-feed.zip" <<'SQL'
\pset footer off
CREATE EXTENSION gtfs_fdw;

\echo
\echo '== The feed as foreign tables: IMPORT FOREIGN SCHEMA, one table per file'
CREATE SERVER sample FOREIGN DATA WRAPPER gtfs_fdw OPTIONS (url :'feed');
CREATE SCHEMA sample_raw;
IMPORT FOREIGN SCHEMA gtfs FROM SERVER sample INTO sample_raw;
SELECT r.route_short_name, r.route_long_name, count(*) AS trips
FROM sample_raw.trips t JOIN sample_raw.routes r USING (route_id)
GROUP BY 1, 2 ORDER BY 1;

\echo '== Registering the feed and loading it into staging tables: CALL gtfs_refresh()'
SELECT gtfs_fdw.add_feed('sample', url => :'feed') AS feed_id;
CALL gtfs_refresh();
SELECT step, status, (SELECT sum(value::bigint) FROM jsonb_each_text(rows)) AS rows, message
FROM gtfs_fdw.load_log ORDER BY run_id, started_at;

\echo '== A second refresh finds the feed unchanged and does nothing'
SET client_min_messages = warning;
CALL gtfs_refresh();
SELECT run_id, step, status, message FROM gtfs_fdw.load_log WHERE run_id > 1 ORDER BY started_at;

\echo '== Staging tables: typed, keyed, indexed; times are intervals, dates are dates'
SELECT st.departure_time, r.route_short_name, t.trip_id, c.start_date, c.end_date
FROM gtfs_stage_sample.stop_times st
JOIN gtfs_stage_sample.trips t USING (trip_id)
JOIN gtfs_stage_sample.routes r USING (route_id)
LEFT JOIN gtfs_stage_sample.calendar c USING (service_id)
WHERE st.stop_id = 'airport'
ORDER BY st.departure_time;

\echo '== Service exceptions in July 2019'
SELECT date, service_id, CASE exception_type WHEN 1 THEN 'added' ELSE 'removed' END AS change
FROM gtfs_stage_sample.calendar_dates
WHERE date BETWEEN '2019-07-01' AND '2019-07-31'
ORDER BY date, service_id;

\echo '== The marts the refresh built (gtfs_mart): service per route on a day'
SELECT r.route_name, r.route_type_label, d.trips, d.revenue_hours,
       d.first_departure_at AT TIME ZONE r.agency_timezone AS first_departure,
       d.last_departure_at AT TIME ZONE r.agency_timezone AS last_departure
FROM gtfs_mart.fct_route_service_daily d JOIN gtfs_mart.dim_route r USING (feed_id, route_id)
WHERE d.service_date = '2019-03-11' ORDER BY 1;

\echo '== Departures from "airport" on 2019-03-11, 08:00 to 08:20 Warsaw time (frequencies expanded)'
SELECT departure_at AT TIME ZONE 'Europe/Warsaw' AS departs, route_id, headsign
FROM gtfs_mart.stop_departures('airport', '2019-03-11 08:00 Europe/Warsaw', '2019-03-11 08:20 Europe/Warsaw');

\echo '== Model runs and data tests'
SELECT count(*) FILTER (WHERE status = 'ok') AS models_built,
       (SELECT count(*) FROM gtfs_fdw.test_results WHERE status = 'pass') AS tests_passed,
       (SELECT count(*) FROM gtfs_fdw.test_results WHERE status <> 'pass') AS tests_not_passed
FROM gtfs_fdw.model_runs;

\echo '== The feed at a glance'
SELECT feed, last_status, last_load_rows, staging_schema FROM gtfs_fdw.feed_status;
SQL

if [ -n "${KEEP_CLUSTER:-}" ]; then
  echo "The cluster keeps running: psql -h $ROOT -p $PORT -U postgres"
fi
