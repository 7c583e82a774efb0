#!/usr/bin/env bash
# Two refreshes of one feed never overlap: the second skips (saying so in
# the load log) or, with wait => true, waits for the first; neither
# duplicates or half-loads anything.
cd "$(dirname "$0")" && . ./tap.sh
db=gtfs_t_overlap
q -d postgres -c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db" 2>/dev/null
q -d $db -c "ALTER DATABASE $db SET gtfs_fdw.cache_dir = 'gtfs_fdw_cache_overlap_test'"
q -d $db -c "ALTER DATABASE $db SET client_min_messages = warning"
q -d $db >/dev/null <<SQL
CREATE EXTENSION gtfs_fdw;
SELECT gtfs_fdw.add_feed('slow', url => 'http://127.0.0.1:$FIXTURE_PORT/slow/300/minimal.zip');
SQL
feed_id=$(q -d $db -c "SELECT feed_id FROM gtfs_fdw.feeds WHERE name = 'slow'")
status_of() { q -d $db -c "SELECT status FROM gtfs_fdw.load_log WHERE step = 'refresh' AND run_id = $1"; }

# two at once: the fetch is slow, so the first still holds the feed when
# the second starts
q -d $db -c "CALL gtfs_refresh('slow')" 2>/tmp/gtfs_t_ov_a.$$ &
a=$!
sleep 0.3
start=$(now_ms)
q -d $db -c "CALL gtfs_refresh('slow')" 2>/tmp/gtfs_t_ov_b.$$
elapsed=$(( $(now_ms) - start ))
wait $a
got=$(q -d $db -c "SELECT string_agg(status, ',' ORDER BY status) FROM gtfs_fdw.load_log WHERE step = 'refresh'")
is "$got" "ok,skipped" "one refresh loads, the other is skipped"
[ "$elapsed" -lt 1500 ]
ok $? "the skipped one returns at once (took $elapsed ms)"
msg=$(q -d $db -c "SELECT message FROM gtfs_fdw.load_log WHERE step = 'refresh' AND status = 'skipped'")
is "$msg" "another refresh of this feed is running" "the log says why"
rows=$(q -d $db -c "SELECT count(*) FROM gtfs_stage_slow.stops")
is "$rows" "5" "the staging table holds one load, not two"

# with wait => true a refresh waits for the feed's lock instead of skipping
q -d $db -c "SELECT pg_advisory_lock(hashtext('gtfs_fdw.refresh'), $feed_id), pg_sleep(2)" >/dev/null &
holder=$!
sleep 0.5
start=$(now_ms)
q -d $db -c "CALL gtfs_refresh('slow', force => true, wait => true)" 2>/dev/null
elapsed=$(( $(now_ms) - start ))
wait $holder
last=$(q -d $db -c "SELECT max(run_id) FROM gtfs_fdw.load_log")
is "$(status_of "$last")" "ok" "the waiting refresh runs once the lock is free"
[ "$elapsed" -gt 1200 ]
ok $? "it waited for the holder (took $elapsed ms)"

# a lock held by someone else (another refresh, as far as anyone can tell)
q -d $db -c "SELECT pg_advisory_lock(hashtext('gtfs_fdw.refresh'), $feed_id), pg_sleep(2)" >/dev/null &
holder=$!
sleep 0.5
q -d $db -c "CALL gtfs_refresh()" 2>/dev/null
last=$(q -d $db -c "SELECT max(run_id) FROM gtfs_fdw.load_log")
is "$(status_of "$last")" "skipped" "gtfs_refresh() skips a feed whose lock is taken"
wait $holder

rm -f /tmp/gtfs_t_ov_a.$$ /tmp/gtfs_t_ov_b.$$
q -d postgres -c "DROP DATABASE $db"
done_testing
