#!/usr/bin/env bash
# pg_dump and restore keep what users made: feeds, their servers, models of
# their own, staging tables and marts; the built-in models come back with
# CREATE EXTENSION, once.
cd "$(dirname "$0")" && . ./tap.sh
src=gtfs_t_dump_src
dst=gtfs_t_dump_dst
q -d postgres -c "DROP DATABASE IF EXISTS $src" -c "DROP DATABASE IF EXISTS $dst" 2>/dev/null
q -d postgres -c "CREATE DATABASE $src" -c "CREATE DATABASE $dst"
q -d $src >/dev/null 2>&1 <<SQL
SET client_min_messages = warning;
CREATE EXTENSION gtfs_fdw;
SELECT gtfs_fdw.add_feed('dumped', url => '$GTFS_TEST_DATA/minimal.zip', schedule => '*/15 * * * *');
CALL gtfs_refresh();
SELECT gtfs_fdw.create_model('route_counts', \$m\$
-- route_counts: trips per route
-- materialized: table
-- tests: unique(feed_id, route_id)
select feed_id, route_id, count(*) as trips from {{ ref('fct_trip_days') }} group by 1, 2
\$m\$);
SELECT * FROM gtfs_fdw.run_models('route_counts');
SQL
dump=/tmp/gtfs_t_dump.$$.sql
pg_dump -d $src -f "$dump"
ok $? "pg_dump succeeds"
out=$(psql -X -q -v ON_ERROR_STOP=1 -d $dst -f "$dump" -o /dev/null 2>&1)
ok $? "the dump restores without errors${out:+: $out}"

is "$(q -d $dst -c "SELECT name || ' ' || schedule FROM gtfs_fdw.feeds")" "dumped */15 * * * *" "the feed is back"
is "$(q -d $dst -c "SELECT count(*) FROM pg_foreign_server WHERE srvname = 'gtfs_feed_dumped'")" "1" "with its server"
is "$(q -d $dst -c "SELECT count(*) FROM gtfs_fdw.models WHERE NOT builtin")" "1" "the model of one's own is back"
is "$(q -d $dst -c "SELECT count(*) FROM gtfs_fdw.models WHERE builtin")" \
   "$(q -d $src -c "SELECT count(*) FROM gtfs_fdw.models WHERE builtin")" "the built-in models are there once"
is "$(q -d $dst -c "SELECT count(*) FROM gtfs_stage_dumped.stops")" "5" "staging tables keep their rows"
is "$(q -d $dst -c "SELECT sum(trips) FROM gtfs_mart.route_counts")" \
   "$(q -d $src -c "SELECT sum(trips) FROM gtfs_mart.route_counts")" "and so do the marts"
next_src=$(q -d $src -c "SELECT last_value FROM gtfs_fdw.run_id_seq")
next_dst=$(q -d $dst -c "SELECT last_value FROM gtfs_fdw.run_id_seq")
is "$next_dst" "$next_src" "run numbers go on from where they were"
# the restored database works: a forced refresh reloads and rebuilds
q -d $dst -c "SET client_min_messages = warning" -c "CALL gtfs_refresh(force => true)" >/dev/null 2>&1
is "$(q -d $dst -c "SELECT string_agg(step || ':' || status, ' ' ORDER BY started_at) FROM gtfs_fdw.load_log")" \
   "refresh:ok fetch:ok archive:ok materialize:ok models:ok" "a refresh in the restored database loads and builds"
is "$(q -d $dst -c "SELECT count(*) FROM gtfs_fdw.model_runs WHERE model = 'route_counts' AND status = 'ok'")" "1" \
   "including the model of one's own"

rm -f "$dump"
q -d postgres -c "DROP DATABASE $src" -c "DROP DATABASE $dst"
done_testing
