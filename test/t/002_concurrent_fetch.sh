#!/usr/bin/env bash
# Two sessions that need the same feed at once: one downloads, the other
# waits for it and then revalidates; both read the same rows.
cd "$(dirname "$0")" && . ./tap.sh
db=gtfs_t_concurrent
q -d postgres -c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db" 2>/dev/null
q -d $db <<SQL
CREATE EXTENSION gtfs_fdw;
CREATE SERVER slow FOREIGN DATA WRAPPER gtfs_fdw
  OPTIONS (url 'http://127.0.0.1:$FIXTURE_PORT/slow/100/sample-gtfs-feed.zip');
CREATE FOREIGN TABLE slow_shapes (shape_id text) SERVER slow OPTIONS (file 'shapes.txt');
SQL
q -d $db -c "ALTER DATABASE $db SET gtfs_fdw.cache_dir = 'gtfs_fdw_cache_concurrent_test'"
q -d $db -c "SELECT gtfs_fdw.cache_clear()" >/dev/null
fixture /stats/reset >/dev/null

q -d $db -c "SELECT count(*) FROM slow_shapes" >/tmp/gtfs_t_conc_a.$$ 2>&1 &
a=$!
sleep 0.2
q -d $db -c "SELECT count(*) FROM slow_shapes" >/tmp/gtfs_t_conc_b.$$ 2>&1 &
b=$!
wait $a; ra=$?
wait $b; rb=$?
ok $((ra + rb)) "both sessions succeed"
is "$(cat /tmp/gtfs_t_conc_a.$$)" "1144" "the first reads every shape point"
is "$(cat /tmp/gtfs_t_conc_b.$$)" "1144" "the second reads the same"
stats=$(fixture "/stats?path=/slow/100/sample-gtfs-feed.zip")
full=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["full"])' "$stats")
nm=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["not_modified"])' "$stats")
is "$full" "1" "one download between them ($stats)"
is "$nm" "1" "the other one revalidated"
entries=$(q -d $db -c "SELECT count(*) FROM gtfs_fdw.cache_entries")
is "$entries" "1" "one cache entry"
rm -f /tmp/gtfs_t_conc_a.$$ /tmp/gtfs_t_conc_b.$$

q -d postgres -c "DROP DATABASE $db"
done_testing
