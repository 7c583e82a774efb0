#!/usr/bin/env bash
# A download that stalls is stopped promptly by statement_timeout and by a
# cancel request from another session, and the backend stays usable.
cd "$(dirname "$0")" && . ./tap.sh
db=gtfs_t_cancel
q -d postgres -c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db" 2>/dev/null
q -d $db <<SQL
CREATE EXTENSION gtfs_fdw;
SET gtfs_fdw.cache_dir = 'gtfs_fdw_cache_cancel_test';
CREATE SERVER stall FOREIGN DATA WRAPPER gtfs_fdw
  OPTIONS (url 'http://127.0.0.1:$FIXTURE_PORT/stall/minimal.zip', timeout_ms '600000');
CREATE FOREIGN TABLE stall_stops (stop_id text) SERVER stall OPTIONS (file 'stops.txt');
SQL

# statement_timeout
start=$(now_ms)
out=$(q -d $db -c "SET statement_timeout = '1500ms'" -c "SELECT count(*) FROM stall_stops" 2>&1)
elapsed=$(( $(now_ms) - start ))
grep -q "canceling statement due to statement timeout" <<<"$out"
ok $? "statement_timeout cancels a stalled download ($out)"
[ "$elapsed" -lt 4500 ]
ok $? "within 3 s of the timeout (took $elapsed ms)"

# pg_cancel_backend from another session
q -d $db -c "SELECT count(*) FROM stall_stops" >/tmp/gtfs_t_cancel.$$ 2>&1 &
pid=$!
sleep 1
start=$(now_ms)
cancelled=$(q -d postgres -c "SELECT count(*) FROM (SELECT pg_cancel_backend(pid) FROM pg_stat_activity
  WHERE datname = '$db' AND query LIKE '%stall_stops%' AND pid <> pg_backend_pid()) c")
wait $pid
elapsed=$(( $(now_ms) - start ))
is "$cancelled" "1" "one backend was downloading"
grep -q "canceling statement due to user request" /tmp/gtfs_t_cancel.$$
ok $? "the download ends with the cancel error: $(cat /tmp/gtfs_t_cancel.$$)"
[ "$elapsed" -lt 3000 ]
ok $? "within 3 s of the cancel (took $elapsed ms)"
rm -f /tmp/gtfs_t_cancel.$$

# the session is usable afterwards, and nothing was cached
got=$(q -d $db -c "SET gtfs_fdw.cache_dir = 'gtfs_fdw_cache_cancel_test'" \
  -c "SELECT count(*) FROM gtfs_fdw.cache_entries")
is "$got" "0" "a canceled download leaves nothing in the cache"
leftovers=$(q -d postgres -c "SELECT count(*) FROM pg_ls_dir('gtfs_fdw_cache_cancel_test') f WHERE f LIKE '%.download.%'")
is "$leftovers" "0" "and no partial file"

q -d postgres -c "DROP DATABASE $db"
done_testing
