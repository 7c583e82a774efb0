#!/usr/bin/env bash
# While a long load runs, another session sees that the refresh is running
# (load_log), which file is loading, and how far it got (refresh_progress).
cd "$(dirname "$0")" && . ./tap.sh
db=gtfs_t_progress
q -d postgres -c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db" 2>/dev/null
q -d $db -c "CREATE EXTENSION gtfs_fdw" \
  -c "SELECT gtfs_fdw.add_feed('subway', url => '$GTFS_SHARED/mta-subway.zip')" >/dev/null

notices=/tmp/gtfs_t_progress.$$
q -d $db -c "CALL gtfs_refresh('subway')" 2>"$notices" &
loader=$!
seen_running=0
seen_loading=""
seen_rows=0
while kill -0 $loader 2>/dev/null; do
  r=$(q -d $db -c "SELECT count(*) FROM gtfs_fdw.load_log WHERE status = 'running'")
  [ "$r" = "1" ] && seen_running=1
  p=$(q -d $db -F '|' -c "SELECT activity, coalesce(rows_loaded, 0) FROM gtfs_fdw.refresh_progress WHERE activity LIKE '%loading stop_times.txt%'")
  if [ -n "$p" ]; then
    seen_loading=${p%%|*}
    n=${p##*|}
    [ "$n" -gt "$seen_rows" ] && seen_rows=$n
  fi
  sleep 0.05
done
wait $loader
ok $? "the load succeeds"
is "$seen_running" "1" "another session sees the run as running in gtfs_fdw.load_log"
is "$seen_loading" "feed subway: loading stop_times.txt" "and which file is loading, in gtfs_fdw.refresh_progress"
[ "$seen_rows" -gt 0 ]
ok $? "with the rows loaded so far ($seen_rows)"
grep -q 'feed "subway": stop_times.txt: 565093 rows in .* s (.* rows/s)' "$notices"
ok $? "the loading session gets a NOTICE per file with rows and rate"
after=$(q -d $db -c "SELECT count(*) FROM gtfs_fdw.refresh_progress")
is "$after" "0" "nothing shows once the load is done"
rm -f "$notices"
q -d postgres -c "DROP DATABASE $db"
done_testing
