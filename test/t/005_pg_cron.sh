#!/usr/bin/env bash
# pg_cron runs CALL gtfs_refresh() on schedule: the job succeeds in
# cron.job_run_details and the feed is loaded, as gtfs_fdw.load_log shows.
# (pg_cron 1.4 schedules by the minute, so this takes up to ~70 s.)
cd "$(dirname "$0")" && . ./tap.sh
db=gtfs_t_cron
q -d postgres -c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db" 2>/dev/null
q -d $db >/dev/null <<SQL
CREATE EXTENSION gtfs_fdw;
SELECT gtfs_fdw.add_feed('cron_city', url => 'http://127.0.0.1:$FIXTURE_PORT/files/minimal.zip');
SQL
q -d $db -c "ALTER DATABASE $db SET gtfs_fdw.cache_dir = 'gtfs_fdw_cache_cron_test'"
q -d postgres -c "CREATE EXTENSION IF NOT EXISTS pg_cron"
job=$(q -d postgres -c "SELECT cron.schedule_in_database('gtfs-refresh-test', '* * * * *', 'CALL gtfs_refresh()', '$db')")
[ -n "$job" ]
ok $? "the job is scheduled (job $job)"

status=""
for _ in $(seq 90); do
  status=$(q -d postgres -c "SELECT status FROM cron.job_run_details WHERE jobid = $job AND status NOT IN ('starting', 'running') ORDER BY runid DESC LIMIT 1")
  [ -n "$status" ] && break
  sleep 1
done
is "$status" "succeeded" "cron.job_run_details records a successful run"
msg=$(q -d postgres -c "SELECT return_message FROM cron.job_run_details WHERE jobid = $job ORDER BY runid DESC LIMIT 1")
echo "# return message: $msg"
logged=$(q -d $db -c "SELECT status FROM gtfs_fdw.load_log WHERE feed = 'cron_city' AND step = 'refresh' ORDER BY run_id LIMIT 1")
is "$logged" "ok" "gtfs_fdw.load_log records the refresh"
rows=$(q -d $db -c "SELECT count(*) FROM gtfs_stage_cron_city.stops")
is "$rows" "5" "and the feed is loaded"

q -d postgres -c "SELECT cron.unschedule($job)" >/dev/null
q -d postgres -c "DROP DATABASE $db WITH (FORCE)"
done_testing
