#!/usr/bin/env bash
# The main job end to end, offline: build and install gtfs_fdw, start a
# throwaway cluster, read the bundled sample feed through foreign tables and
# print what an analyst would ask first.  Set KEEP_CLUSTER=1 to keep the
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
CREATE SERVER sample FOREIGN DATA WRAPPER gtfs_fdw OPTIONS (url :'feed');
CREATE SCHEMA sample_raw;
IMPORT FOREIGN SCHEMA gtfs FROM SERVER sample INTO sample_raw;

\echo
\echo '== The feed''s files, one foreign table each'
SELECT foreign_table_name AS "table", count(*) AS columns
FROM information_schema.foreign_tables ft
JOIN information_schema.columns c
  ON c.table_schema = ft.foreign_table_schema AND c.table_name = ft.foreign_table_name
WHERE ft.foreign_table_schema = 'sample_raw'
GROUP BY 1 ORDER BY 1;

\echo '== Trips per route'
SELECT r.route_short_name, r.route_long_name, count(*) AS trips
FROM sample_raw.trips t JOIN sample_raw.routes r USING (route_id)
GROUP BY 1, 2 ORDER BY 1;

\echo '== Departures from "airport", typed: times are intervals, dates are dates'
SELECT st.departure_time, r.route_short_name, t.trip_id, c.start_date, c.end_date
FROM sample_raw.stop_times st
JOIN sample_raw.trips t USING (trip_id)
JOIN sample_raw.routes r USING (route_id)
LEFT JOIN sample_raw.calendar c USING (service_id)
WHERE st.stop_id = 'airport'
ORDER BY st.departure_time;

\echo '== Service exceptions in July 2019'
SELECT date, service_id, CASE exception_type WHEN 1 THEN 'added' ELSE 'removed' END AS change
FROM sample_raw.calendar_dates
WHERE date BETWEEN '2019-07-01' AND '2019-07-31'
ORDER BY date, service_id;

\echo '== How the scan works'
EXPLAIN (VERBOSE, COSTS OFF)
SELECT stop_id, departure_time FROM sample_raw.stop_times WHERE stop_sequence = 1;
SQL

if [ -n "${KEEP_CLUSTER:-}" ]; then
  echo "The cluster keeps running: psql -h $ROOT -p $PORT -U postgres"
fi
