#!/usr/bin/env bash
# Build time of gtfs_fdw's models on a large real feed: a full run of all
# the built-in models (every feed), and the per-feed rebuild gtfs_refresh
# runs after a load; then a few typical queries on the marts.
#
#   bench/models.sh [feed.zip]   (default: ../shared/data/gtfs/mta-subway.zip
#                                 relative to the repository root)
#
# Environment: RUNS (timed runs of each kind of model run, default 3; one
# extra warm-up run is not counted), QUERY_RUNS (timed runs of each query,
# default 5, after one warm-up), GTFS_BENCH_ROOT (default
# /tmp/gtfs_fdw_bench_models), GTFS_BENCH_PORT (default 54397),
# KEEP_CLUSTER=1 to leave the cluster up, PERF=1 to profile one more full
# run with perf, STOP_ID and QUERY_DATE for the queries (default: stop 127N,
# or the feed's busiest stop, and the first Wednesday from the middle of the
# feed's service period).
#
# Every model run is one psql session timed from the shell, connection
# included; runs of both kinds are interleaved.  The time and rows of each
# model come from gtfs_fdw.model_runs.  Queries are timed inside the server
# by a plpgsql function reading clock_timestamp() around EXECUTE.  Prints
# tables and one "BENCH key=value ..." line per measurement.
set -euo pipefail
cd "$(dirname "$0")/.."
. test/lib.sh
. bench/lib.sh

FEED=$(bench_feed "${1:-}")
RUNS=${RUNS:-3}
QUERY_RUNS=${QUERY_RUNS:-5}
bench_positive RUNS "$RUNS"
bench_positive QUERY_RUNS "$QUERY_RUNS"
bench_require_perf

# JIT off: whether it kicks in depends on cost estimates, and it would only
# add compile time.  Autovacuum off: each run deletes every row of the
# marts, and the vacuum of those rows would otherwise run during the next
# timed run.  The script vacuums between runs itself, and times it.
bench_start "${GTFS_BENCH_ROOT:-/tmp/gtfs_fdw_bench_models}" "${GTFS_BENCH_PORT:-54397}" "$FEED" \
  "jit = off" "autovacuum = off"
LOG=$DATA/run.log
mib() { awk -v b="$1" 'BEGIN {printf "%.1f", b/1048576}'; }
secs() { awk -v t="$1" 'BEGIN {printf "%.3f", t/1e9}'; }
wal_lsn() { psql_q -c "SELECT pg_current_wal_insert_lsn()"; }
wal_since() { psql_q -c "SELECT pg_wal_lsn_diff(pg_current_wal_insert_lsn(), '$1')"; }
checkpoints() { psql_q -c "SELECT checkpoints_timed + checkpoints_req FROM pg_stat_bgwriter"; }

# --- the feed, loaded once without its models
say "registering the feed and loading it (gtfs_fdw.refresh_models off)"
bench_load_feed
NMODELS=$(psql_q -c "SELECT count(*) FROM gtfs_fdw.models WHERE enabled")
STOP_TIMES=$(psql_q -c "SELECT count(*) FROM \"$STAGE\".stop_times")
TRIPS=$(psql_q -c "SELECT count(*) FROM \"$STAGE\".trips")
# the loaded tables have never been vacuumed: do it now, so the vacuum
# after each run below only has the models' tables to do
psql_q -c "VACUUM"

# What each run did: bench.runs, one row per run.
psql_q <<'SQL'
CREATE SCHEMA bench;
CREATE TABLE bench.runs (
    run_id      bigint PRIMARY KEY,  -- gtfs_fdw.model_runs.run_id
    side        text NOT NULL,       -- full or feed
    pass        integer NOT NULL,    -- 0 is the warm-up
    began       timestamptz NOT NULL,
    ended       timestamptz NOT NULL,
    wall_ns     bigint NOT NULL,     -- the psql session, from the shell
    wal_bytes   numeric NOT NULL,
    checkpoints integer NOT NULL,    -- checkpoints the run's WAL set off
    vacuum_ns   bigint,              -- VACUUM of the models' tables after it
    vacuum_wal  numeric
);
SQL

# --- one model run in its own session: SIDE full or feed; sets T (ns), RUN_ID
run_side() {
  local arg="" t0 t1 out bad n
  [ "$1" = feed ] && arg="feed => 'bench'"
  t0=$(now_ns)
  out=$(psql_q -F ' ' -c "SELECT clock_timestamp()" \
               -c "SELECT count(*) FILTER (WHERE status NOT IN ('ok', 'pass', 'warn')),
                          count(*) FILTER (WHERE kind = 'model')
                   FROM gtfs_fdw.run_models($arg)" \
               -c "SELECT clock_timestamp()" -c "SELECT max(run_id) FROM gtfs_fdw.model_runs" 2>"$LOG") ||
    { cat "$LOG" >&2; die "run_models($arg) failed"; }
  t1=$(now_ns)
  T=$((t1 - t0))
  BEGAN=$(sed -n 1p <<<"$out")
  read -r bad n <<<"$(sed -n 2p <<<"$out")"
  ENDED=$(sed -n 3p <<<"$out")
  RUN_ID=$(sed -n 4p <<<"$out")
  [ "$bad" -eq 0 ] || { cat "$LOG" >&2; die "run_models($arg): $bad models or tests failed (run $RUN_ID)"; }
  [ "$n" -eq "$NMODELS" ] || die "run_models($arg) built $n models, not $NMODELS"
}

# the models' tables, for VACUUM (known once the first run has made them)
model_tables() {
  psql_q -c "SELECT string_agg(format('%I.%I', n.nspname, c.relname), ', ' ORDER BY c.oid)
             FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
             WHERE n.nspname IN ('gtfs_work', 'gtfs_mart') AND c.relkind = 'r'"
}
# VACUUM of the models' tables; sets VAC_NS and VAC_WAL
vacuum_models() {
  local lsn t0 t1
  lsn=$(wal_lsn)
  t0=$(now_ns)
  psql_q -c "VACUUM $(model_tables)"
  t1=$(now_ns)
  VAC_NS=$((t1 - t0))
  VAC_WAL=$(wal_since "$lsn")
}

# --- the timed runs, both kinds interleaved.  Before each (not timed): a
# VACUUM of the rows the run before deleted (timed apart, and counted for
# that run), as autovacuum would do between two refreshes, and a CHECKPOINT,
# so that no run writes out the buffers the one before dirtied.
SIDES=(full feed)
declare -A DESC=(
  [full]="SELECT * FROM gtfs_fdw.run_models(): every model, every feed's rows"
  [feed]="SELECT * FROM gtfs_fdw.run_models(feed => 'bench'): incremental models rebuild this feed's rows (what gtfs_refresh runs)"
)
say "timing model runs ($RUNS runs + warm-up of each kind, interleaved)"
PREV=""
for r in $(seq 0 "$RUNS"); do
  for s in "${SIDES[@]}"; do
    if [ -n "$PREV" ]; then
      vacuum_models
      psql_q -c "UPDATE bench.runs SET vacuum_ns = $VAC_NS, vacuum_wal = $VAC_WAL WHERE run_id = $PREV"
    fi
    psql_q -c "CHECKPOINT"
    lsn=$(wal_lsn)
    ck=$(checkpoints)
    run_side "$s"
    wal=$(wal_since "$lsn")
    ck=$(($(checkpoints) - ck))
    psql_q -c "INSERT INTO bench.runs (run_id, side, pass, began, ended, wall_ns, wal_bytes, checkpoints)
               VALUES ($RUN_ID, '$s', $r, '$BEGAN', '$ENDED', $T, $wal, $ck)"
    say "run $r $s: $(secs "$T") s, WAL $(mib "$wal") MB, $ck checkpoints"
    PREV=$RUN_ID
  done
done
vacuum_models
psql_q -c "UPDATE bench.runs SET vacuum_ns = $VAC_NS, vacuum_wal = $VAC_WAL WHERE run_id = $PREV"
# the tables' size now, after the runs and their VACUUMs
psql_q -c "CREATE TABLE bench.sizes AS
           SELECT c.relname::text AS model, c.reltuples::bigint AS rows, pg_relation_size(c.oid) AS heap_bytes,
                  pg_indexes_size(c.oid) AS index_bytes
           FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
           WHERE n.nspname IN ('gtfs_work', 'gtfs_mart') AND c.relkind = 'r'"

# --- what the runs wrote, by kind of WAL record and by model: one more full
# run (not timed), whose WAL is kept (wal_keep_size) for pg_waldump
say "one more full run for pg_waldump (not timed)"
psql_q -c "ALTER SYSTEM SET wal_keep_size = '8GB'" -c "SELECT pg_reload_conf()" >/dev/null
psql_q -c "CHECKPOINT"
lsn0=$(wal_lsn)
run_side full
lsn1=$(wal_lsn)
WALDUMP_RUN=$RUN_ID
psql_q -c "CREATE TABLE bench.wal (rel text, kind text, records bigint, bytes bigint, fpi_bytes bigint)"
as_pg "$PG_BIN/pg_waldump" -p "$BENCH_ROOT/pgdata/pg_wal" -s "$lsn0" -e "$lsn1" 2>/dev/null | awk '
  # a record: "rmgr: Heap len (rec/tot): 79/ 79, ... desc: INSERT off 3 ..., blkref #0: rel 1663/5/16390 blk 0"
  {
    rmgr = $2
    if (!match($0, /len \(rec\/tot\): *[0-9]+\/ *[0-9]+/)) next
    split(substr($0, RSTART + 15, RLENGTH - 15), len, "/")
    rec = len[1] + 0; tot = len[2] + 0
    type = ""
    if (match($0, /desc: [A-Z_+0-9]+/)) type = substr($0, RSTART + 6, RLENGTH - 6)
    rel = "-"
    if (match($0, /blkref #0: rel [0-9]+\/[0-9]+\/[0-9]+/)) { split(substr($0, RSTART + 15, RLENGTH - 15), p, "/"); rel = p[1] "/" p[3] }
    kind = "other"
    if (rmgr == "Heap" && type ~ /^INSERT/) kind = "heap_insert"
    else if (rmgr == "Heap2" && type ~ /^MULTI_INSERT/) kind = "heap_insert"
    else if (rmgr == "Heap" && type == "DELETE") kind = "heap_delete"
    else if (rmgr == "Btree") kind = "index"
    else if (rmgr == "Heap2") kind = "prune"
    k = rel " " kind
    n[k]++; b[k] += tot; f[k] += tot - rec
  }
  END { for (k in n) print k, n[k], b[k], f[k] }' | tr ' ' '\t' |
  psql_q -c "COPY bench.wal FROM STDIN"
psql_q -c "ALTER SYSTEM RESET wal_keep_size" -c "SELECT pg_reload_conf()" >/dev/null
WALDUMP_BYTES=$(psql_q -c "SELECT pg_wal_lsn_diff('$lsn1', '$lsn0')")
vacuum_models

# --- optional: where a full run's time goes, by the share of perf samples
# (frame-pointer call stacks) with a function on the stack; not timed
PERF_FUNCS=(fmgr_sql ExecInsertIndexTuples heap_insert heap_delete XLogInsert analyze_rel)
declare -A PERF_DESC=(
  [fmgr_sql]="SQL functions run call by call, not inlined"
  [ExecInsertIndexTuples]="index entries of the inserted rows"
  [heap_insert]="heap inserts"
  [heap_delete]="heap deletes"
  [XLogInsert]="WAL records, within the above"
  [analyze_rel]="ANALYZE"
)
declare -A PERF_PCT
if [ -n "${PERF:-}" ]; then
  say "profiling one more full run with perf (not timed)"
  psql_q -c "CHECKPOINT"
  psql_q >/dev/null 2>"$LOG" <<SQL || { cat "$LOG" >&2; die "the run under perf failed"; }
SELECT pg_backend_pid() AS pid \gset
\setenv BPID :pid
\! perf record -q -F 499 -g -p "\$BPID" -o "$DATA/perf.data" >"$DATA/perf.log" 2>&1 & echo \$! >"$DATA/perf.pid"; sleep 1
SELECT count(*) FROM gtfs_fdw.run_models();
\! kill -INT "\$(cat "$DATA/perf.pid")"; while kill -0 "\$(cat "$DATA/perf.pid")" 2>/dev/null; do sleep 0.2; done
SQL
  PERF_REPORT=$(perf report -i "$DATA/perf.data" --children --sort symbol -g none --stdio 2>/dev/null)
  PERF_SAMPLES=$(perf script -i "$DATA/perf.data" -F time 2>/dev/null | grep -c .)
  for f in "${PERF_FUNCS[@]}"; do
    PERF_PCT[$f]=$(awk -v f="$f" 'NF >= 3 && ($NF == f || $(NF-2) == f) {sub(/%/, "", $1); print $1; exit}' <<<"$PERF_REPORT")
    PERF_PCT[$f]=${PERF_PCT[$f]:-0}
  done
  vacuum_models
fi

# --- what delete + insert costs: each table model, in build order, rebuilt
# as run_models rebuilds an incremental model (DELETE every row, then INSERT
# the model's SELECT into the table and its indexes), and built into a new
# table instead, as run_models builds a table model before the swap (INSERT
# into a table without indexes, then the same indexes).  Each in a
# transaction of its own, rolled back, after a CHECKPOINT.  Neither runs
# ANALYZE or the tests, which both ways would run alike.
say "comparing delete + insert with a build into a new table, model by model"
psql_q <<'SQL'
CREATE TABLE bench.rebuild (model text, how text, step text, ms float8, wal_bytes numeric, rows bigint,
                            heap_bytes bigint, index_bytes bigint);
CREATE FUNCTION bench.rebuild(model text, how text)
RETURNS TABLE (step text, ms float8, wal_bytes numeric, rows bigint, heap_bytes bigint, index_bytes bigint)
LANGUAGE plpgsql AS $$
DECLARE
    rel text := gtfs_fdw.model_relation(model);
    compiled text := gtfs_fdw.compile_model(model);
    names text;
    idx text;
    lsn pg_lsn := pg_current_wal_insert_lsn();
    t0 timestamptz;
BEGIN
    SELECT string_agg(format('%I', attname), ', ' ORDER BY attnum) INTO names
    FROM pg_attribute WHERE attrelid = rel::regclass AND attnum > 0 AND NOT attisdropped;
    IF how = 'delete_insert' THEN
        step := 'delete';
        t0 := clock_timestamp();
        EXECUTE format('DELETE FROM %s', rel);
        GET DIAGNOSTICS rows = ROW_COUNT;
        ms := 1000 * extract(epoch FROM clock_timestamp() - t0);
        RETURN NEXT;
        step := 'insert';
        t0 := clock_timestamp();
        EXECUTE format('INSERT INTO %s (%s) SELECT %s FROM (%s) gtfs_model', rel, names, names, compiled);
        GET DIAGNOSTICS rows = ROW_COUNT;
        ms := 1000 * extract(epoch FROM clock_timestamp() - t0);
        RETURN NEXT;
    ELSE
        step := 'insert';
        t0 := clock_timestamp();
        EXECUTE format('CREATE TABLE bench.new_table (LIKE %s)', rel);
        EXECUTE format('INSERT INTO bench.new_table (%s) SELECT %s FROM (%s) gtfs_model', names, names, compiled);
        GET DIAGNOSTICS rows = ROW_COUNT;
        ms := 1000 * extract(epoch FROM clock_timestamp() - t0);
        RETURN NEXT;
        step := 'index';
        rows := NULL;
        t0 := clock_timestamp();
        FOR idx IN SELECT pg_get_indexdef(indexrelid) FROM pg_index WHERE indrelid = rel::regclass ORDER BY indexrelid LOOP
            EXECUTE regexp_replace(regexp_replace(idx, ' INDEX \S+ ON ', ' INDEX ON '),
                                   ' ON \S+ USING ', ' ON bench.new_table USING ');
        END LOOP;
        ms := 1000 * extract(epoch FROM clock_timestamp() - t0);
        RETURN NEXT;
    END IF;
    step := 'wal';
    ms := NULL;
    rows := NULL;
    wal_bytes := pg_wal_lsn_diff(pg_current_wal_insert_lsn(), lsn);
    -- and the size of the table built
    heap_bytes := pg_relation_size(CASE how WHEN 'delete_insert' THEN rel ELSE 'bench.new_table' END);
    index_bytes := pg_indexes_size(CASE how WHEN 'delete_insert' THEN rel ELSE 'bench.new_table' END);
    RETURN NEXT;
END $$;
SQL
TABLE_MODELS=$(psql_q -c "SELECT model FROM gtfs_fdw.model_runs
                          WHERE run_id = $WALDUMP_RUN AND materialized <> 'view' ORDER BY started_at")
REBUILD=""
for m in $TABLE_MODELS; do
  for how in delete_insert new_table; do
    psql_q -c "CHECKPOINT"
    out=$(psql_q -F $'\t' -P 'null=\N' -c "BEGIN" -c "SELECT '$m', '$how', * FROM bench.rebuild('$m', '$how')" \
                 -c "ROLLBACK" 2>"$LOG") || { cat "$LOG" >&2; die "rebuilding $m ($how) failed"; }
    REBUILD+="$out"$'\n'
  done
  vacuum_models   # the rows the rolled-back INSERT left
done
printf '%s' "$REBUILD" | psql_q -c "COPY bench.rebuild FROM STDIN"

# --- typical queries on the marts, in one session (as a BI tool's pooled
# connection), each its own statement; one warm-up round is not counted
Q_DATE=${QUERY_DATE:-$(psql_q -c "WITH r AS (SELECT min(service_date) AS lo, max(service_date) AS hi FROM gtfs_mart.dim_date)
                                  SELECT lo + (hi - lo) / 2 + (10 - extract(isodow FROM lo + (hi - lo) / 2)::integer) % 7 FROM r")}
TZ_NAME=$(psql_q -c "SELECT agency_timezone FROM gtfs_mart.dim_agency ORDER BY agency_key LIMIT 1")
STOP=${STOP_ID:-127N}
if [ "$(psql_q -c "SELECT count(*) FROM gtfs_mart.dim_stop WHERE stop_id = '$STOP'")" -eq 0 ]; then
  STOP=$(psql_q -c "SELECT stop_id FROM \"$STAGE\".stop_times GROUP BY stop_id ORDER BY count(*) DESC, stop_id LIMIT 1")
fi
IFS='|' read -r FROM_TS TO_TS < <(psql_q -F '|' -c "SET TIME ZONE '$TZ_NAME'" \
  -c "SELECT '$Q_DATE 08:00'::timestamp AT TIME ZONE '$TZ_NAME', '$Q_DATE 09:00'::timestamp AT TIME ZONE '$TZ_NAME'")
QUERIES=(stop_events departures route_day trips_by_hour)
declare -A QSQL=(
  [stop_events]="SELECT count(*) FROM gtfs_mart.fct_stop_events WHERE stop_id = '$STOP' AND service_date = '$Q_DATE'"
  [departures]="SELECT count(*) FROM gtfs_mart.stop_departures('$STOP', '$FROM_TS', '$TO_TS')"
  [route_day]="SELECT count(*), sum(length(x::text)) FROM (SELECT r.route_name, s.trips, s.revenue_hours, s.first_departure_at, s.last_departure_at FROM gtfs_mart.fct_route_service_daily s JOIN gtfs_mart.dim_route r USING (feed_id, route_id) WHERE s.service_date = '$Q_DATE' ORDER BY s.trips DESC) x"
  [trips_by_hour]="SELECT count(*), sum(length(x::text)) FROM (SELECT extract(hour FROM first_departure_at AT TIME ZONE '$TZ_NAME') AS hour, count(*) AS trips FROM gtfs_mart.fct_trip_days WHERE service_date = '$Q_DATE' GROUP BY 1 ORDER BY 1) x"
)
declare -A QDESC=(
  [stop_events]="stop events at a stop on a day (the view fct_stop_events)"
  [departures]="departures at the stop between 08:00 and 09:00 (stop_departures)"
  [route_day]="trips, revenue hours, first and last departure of every route on the day (fct_route_service_daily, dim_route)"
  [trips_by_hour]="trips starting in each hour of the day (fct_trip_days)"
)
say "timing queries on $Q_DATE at stop $STOP ($QUERY_RUNS runs + warm-up)"
bench_define_time
QOUT=$(for r in $(seq 0 "$QUERY_RUNS"); do
         for q in "${QUERIES[@]}"; do
           printf "SELECT %s, %s, ms, result FROM bench_time(%s);\n" "'$q'" "$r" \
             "\$bench\$${QSQL[$q]}\$bench\$"
         done
       done | psql_q -F ' ')
declare -A QMED QRES QALL
for q in "${QUERIES[@]}"; do
  # shellcheck disable=SC2046
  QMED[$q]=$(median $(awk -v q="$q" '$1 == q && $2 > 0 {print $3}' <<<"$QOUT"))
  QALL[$q]=$(awk -v q="$q" '$1 == q && $2 > 0 {printf "%s%.2f", (n++ ? "," : ""), $3}' <<<"$QOUT")
  QRES[$q]=$(awk -v q="$q" '$1 == q {print $4}' <<<"$QOUT" | sort -u | paste -sd/)
done

# --- report
median_of() { # SIDE COLUMN-EXPRESSION: median over the timed runs of a side
  psql_q -c "SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY $2) FROM bench.runs WHERE pass > 0 AND side = '$1'"
}
echo
echo "feed: $(basename "$FEED") ($(stat -c %s "$ZIP") bytes), $STOP_TIMES stop_times, $TRIPS trips; $NMODELS models"
echo "median of $RUNS runs after one warm-up; before each run (not timed) a VACUUM of the models' tables"
echo "and a CHECKPOINT"
echo
printf '%-6s %9s %9s %8s %12s %10s %12s\n' run "wall s" "server s" "WAL MB" checkpoints "vacuum s" "vacuum WAL"
declare -A WALL SERVER WALB CKPT VACS VACW
for s in "${SIDES[@]}"; do
  WALL[$s]=$(secs "$(median_of "$s" wall_ns)")
  SERVER[$s]=$(awk -v x="$(median_of "$s" "extract(epoch FROM ended - began)")" 'BEGIN {printf "%.3f", x}')
  WALB[$s]=$(median_of "$s" wal_bytes)
  CKPT[$s]=$(median_of "$s" checkpoints)
  VACS[$s]=$(secs "$(median_of "$s" vacuum_ns)")
  VACW[$s]=$(median_of "$s" vacuum_wal)
  printf '%-6s %9s %9s %8s %12s %10s %12s\n' "$s" "${WALL[$s]}" "${SERVER[$s]}" "$(mib "${WALB[$s]}")" \
    "${CKPT[$s]}" "${VACS[$s]}" "$(mib "${VACW[$s]}")"
done
for s in "${SIDES[@]}"; do printf '  %-5s %s\n' "$s" "${DESC[$s]}"; done
echo "  wall: the psql session, from the shell; server: the first statement of the session to the last"
echo "  vacuum: VACUUM of the models' tables after the run (the rows it deleted), not part of the run"
echo

echo "per model, medians in ms, in build order: build (an incremental model's DELETE + INSERT, a table model's"
echo "build aside and swap, then ANALYZE, comments; a view's CREATE OR REPLACE) from gtfs_fdw.model_runs;"
echo "tests: from the end of the build to the next model's start"
PERMODEL=$(psql_q -F ' ' -P 'null=-' <<'SQL'
WITH m AS (
    SELECT r.side, mr.model, mr.materialized, mr.rows, mr.started_at,
           1000 * extract(epoch FROM mr.finished_at - mr.started_at) AS build_ms,
           1000 * extract(epoch FROM coalesce(lead(mr.started_at) OVER w, r.ended) - mr.finished_at) AS tests_ms,
           row_number() OVER w AS pos
    FROM gtfs_fdw.model_runs mr JOIN bench.runs r USING (run_id)
    WHERE r.pass > 0
    WINDOW w AS (PARTITION BY mr.run_id ORDER BY mr.started_at)
), setup AS (
    SELECT r.side, 1000 * extract(epoch FROM min(mr.started_at) - r.began) AS ms
    FROM gtfs_fdw.model_runs mr JOIN bench.runs r USING (run_id)
    WHERE r.pass > 0 GROUP BY r.run_id, r.side, r.began
), med AS (
    SELECT model, min(materialized) AS materialized, max(pos) AS pos,
           max(rows) FILTER (WHERE side = 'full') AS rows,
           percentile_cont(0.5) WITHIN GROUP (ORDER BY build_ms) FILTER (WHERE side = 'full') AS full_build,
           percentile_cont(0.5) WITHIN GROUP (ORDER BY tests_ms) FILTER (WHERE side = 'full') AS full_tests,
           percentile_cont(0.5) WITHIN GROUP (ORDER BY build_ms) FILTER (WHERE side = 'feed') AS feed_build,
           percentile_cont(0.5) WITHIN GROUP (ORDER BY tests_ms) FILTER (WHERE side = 'feed') AS feed_tests
    FROM m GROUP BY model
)
SELECT model, materialized, rows, round(full_build::numeric, 1), round(full_tests::numeric, 1),
       round(feed_build::numeric, 1), round(feed_tests::numeric, 1)
FROM (SELECT * FROM med
      UNION ALL
      SELECT '(setup)', '-', 0, NULL,
             percentile_cont(0.5) WITHIN GROUP (ORDER BY ms) FILTER (WHERE side = 'full'), NULL,
             percentile_cont(0.5) WITHIN GROUP (ORDER BY ms) FILTER (WHERE side = 'feed'), NULL
      FROM setup
      UNION ALL
      SELECT '(sum)', '-', 99, NULL, sum(full_build), sum(full_tests), sum(feed_build), sum(feed_tests) FROM med) x
ORDER BY pos;
SQL
)
printf '%-26s %-12s %9s %11s %11s %11s %11s\n' model materialized rows "full build" "full tests" "feed build" "feed tests"
while read -r model mat rows fb ft eb et; do
  printf '%-26s %-12s %9s %11s %11s %11s %11s\n' "$model" "$mat" "$rows" "$fb" "$ft" "$eb" "$et"
done <<<"$PERMODEL"
echo "  (setup): the session's start to the first model: checking the selector, re-creating the gtfs_source views"
echo "  (sum): the models' builds and tests"
echo

echo "WAL of one more full run (not timed), $(mib "$WALDUMP_BYTES") MB, by relation and kind of record (pg_waldump), MB;"
echo "a model's row counts its table and its indexes"
WALTAB=$(psql_q -F ' ' <<'SQL'
WITH w AS (
    SELECT CASE WHEN w.rel = '-' THEN NULL
                ELSE pg_filenode_relation(CASE split_part(w.rel, '/', 1) WHEN '1663' THEN 0
                                          ELSE split_part(w.rel, '/', 1)::oid END,
                                          split_part(w.rel, '/', 2)::oid) END AS relid,
           w.kind, w.bytes, w.fpi_bytes
    FROM bench.wal w
), t AS (
    SELECT coalesce(i.indrelid, w.relid) AS tbl, w.kind, w.bytes, w.fpi_bytes
    FROM w LEFT JOIN pg_index i ON i.indexrelid = w.relid
), g AS (
    SELECT coalesce(m.name, '(other)') AS model,
           sum(bytes) FILTER (WHERE kind = 'heap_insert') AS ins,
           sum(bytes) FILTER (WHERE kind = 'heap_delete') AS del,
           sum(bytes) FILTER (WHERE kind = 'index') AS idx,
           sum(bytes) FILTER (WHERE kind = 'prune') AS prune,
           sum(bytes) FILTER (WHERE kind = 'other') AS other,
           sum(bytes) AS total, sum(fpi_bytes) AS fpi
    FROM t LEFT JOIN pg_class c ON c.oid = t.tbl
    LEFT JOIN pg_namespace n ON n.oid = c.relnamespace
    LEFT JOIN gtfs_fdw.models m ON n.nspname IN ('gtfs_work', 'gtfs_mart') AND m.name = c.relname
    GROUP BY 1
)
SELECT model, x.* FROM (SELECT * FROM g UNION ALL
                        SELECT '(all)', sum(ins), sum(del), sum(idx), sum(prune), sum(other), sum(total), sum(fpi) FROM g) g2,
       LATERAL (SELECT round(coalesce(ins, 0) / 1048576.0, 1), round(coalesce(del, 0) / 1048576.0, 1),
                       round(coalesce(idx, 0) / 1048576.0, 1), round(coalesce(prune, 0) / 1048576.0, 1),
                       round(coalesce(other, 0) / 1048576.0, 1), round(total / 1048576.0, 1),
                       round(fpi / 1048576.0, 1)) x
ORDER BY model = '(all)', total DESC;
SQL
)
printf '%-26s %8s %8s %8s %8s %8s %8s %12s\n' model insert delete index prune other total "of which FPI"
while read -r model a b c d e f g; do
  printf '%-26s %8s %8s %8s %8s %8s %8s %12s\n' "$model" "$a" "$b" "$c" "$d" "$e" "$f" "$g"
done <<<"$WALTAB"
echo "  insert: heap inserts; delete: heap deletes; index: B-tree records; prune: Heap2 (pruning, visibility);"
echo "  other: the rest, e.g. commits; FPI: full-page images, in all kinds; (other) also holds the catalogs"
echo

echo "rebuild of each table model, ms and WAL MB, each in a transaction rolled back (no ANALYZE, no tests):"
echo "as run_models rebuilds an incremental model (DELETE, then INSERT into the table with its indexes)"
echo "against a build into a new table, as for a table model before its swap (INSERT into a table without"
echo "indexes, then CREATE INDEX of the same indexes)"
REBTAB=$(psql_q -F ' ' -P 'null=-' <<'SQL'
SELECT model, max(rows) FILTER (WHERE how = 'delete_insert' AND step = 'insert'),
       round(sum(ms) FILTER (WHERE how = 'delete_insert' AND step = 'delete')::numeric, 1),
       round(sum(ms) FILTER (WHERE how = 'delete_insert' AND step = 'insert')::numeric, 1),
       round(sum(ms) FILTER (WHERE how = 'delete_insert')::numeric, 1),
       round(sum(wal_bytes) FILTER (WHERE how = 'delete_insert') / 1048576.0, 1),
       round(sum(ms) FILTER (WHERE how = 'new_table' AND step = 'insert')::numeric, 1),
       round(sum(ms) FILTER (WHERE how = 'new_table' AND step = 'index')::numeric, 1),
       round(sum(ms) FILTER (WHERE how = 'new_table')::numeric, 1),
       round(sum(wal_bytes) FILTER (WHERE how = 'new_table') / 1048576.0, 1)
FROM (SELECT *, min(ctid) OVER (PARTITION BY model) AS first FROM bench.rebuild) r
GROUP BY model ORDER BY min(first);
SQL
)
printf '%-24s %9s %8s %8s %8s %7s | %8s %8s %8s %7s\n' model rows delete insert total WAL insert index total WAL
while read -r model rows d i t w ni nx nt nw; do
  printf '%-24s %9s %8s %8s %8s %7s | %8s %8s %8s %7s\n' "$model" "$rows" "$d" "$i" "$t" "$w" "$ni" "$nx" "$nt" "$nw"
done <<<"$REBTAB"
REBSUM=$(psql_q -F ' ' -c "SELECT round(sum(ms) FILTER (WHERE how = 'delete_insert')::numeric, 1),
                                  round(sum(wal_bytes) FILTER (WHERE how = 'delete_insert') / 1048576.0, 1),
                                  round(sum(ms) FILTER (WHERE how = 'new_table')::numeric, 1),
                                  round(sum(wal_bytes) FILTER (WHERE how = 'new_table') / 1048576.0, 1)
                           FROM bench.rebuild")
read -r RS_DI_MS RS_DI_WAL RS_NT_MS RS_NT_WAL <<<"$REBSUM"
printf '%-24s %9s %8s %8s %8s %7s | %8s %8s %8s %7s\n' "all" "" "" "" "$RS_DI_MS" "$RS_DI_WAL" "" "" "$RS_NT_MS" "$RS_NT_WAL"
echo

if [ -n "${PERF:-}" ]; then
  echo "where a full run's time goes: share of perf samples ($PERF_SAMPLES at 499 Hz) with the function on the stack"
  for f in "${PERF_FUNCS[@]}"; do printf '%-24s %6s %%  %s\n' "$f" "${PERF_PCT[$f]}" "${PERF_DESC[$f]}"; done
  echo
fi

echo "the models' tables, MB: after the timed runs and their VACUUMs, and built into a new table"
SIZES=$(psql_q -F ' ' -c "SELECT s.model, s.rows, round(s.heap_bytes / 1048576.0, 1), round(s.index_bytes / 1048576.0, 1),
                                 round(r.heap_bytes / 1048576.0, 1), round(r.index_bytes / 1048576.0, 1)
                          FROM bench.sizes s
                          LEFT JOIN bench.rebuild r ON r.model = s.model AND r.how = 'new_table' AND r.step = 'wal'
                          ORDER BY s.heap_bytes + s.index_bytes DESC")
printf '%-26s %10s %8s %8s | %8s %8s\n' table rows heap indexes "new heap" indexes
while read -r t n h i nh ni; do printf '%-26s %10s %8s %8s | %8s %8s\n' "$t" "$n" "$h" "$i" "$nh" "$ni"; done <<<"$SIZES"
echo

echo "queries on $Q_DATE ($(psql_q -c "SELECT to_char('$Q_DATE'::date, 'FMDay')")), stop $STOP, time zone $TZ_NAME;"
echo "median of $QUERY_RUNS runs in one session after one warm-up, ms (inside the server)"
printf '%-14s %9s %12s  %s\n' query ms result what
for q in "${QUERIES[@]}"; do
  printf '%-14s %9.2f %12s  %s\n' "$q" "${QMED[$q]}" "${QRES[$q]}" "${QDESC[$q]}"
done
for q in "${QUERIES[@]}"; do printf '  %s: %s\n' "$q" "${QSQL[$q]}"; done
echo

for s in "${SIDES[@]}"; do
  all=$(psql_q -c "SELECT string_agg(to_char(wall_ns / 1e9, 'FM990.000'), ',' ORDER BY pass)
                   FROM bench.runs WHERE pass > 0 AND side = '$s'")
  echo "BENCH measure=run side=$s median_s=${WALL[$s]} server_s=${SERVER[$s]} runs=$RUNS all_s=$all" \
       "wal_bytes=${WALB[$s]} checkpoints=${CKPT[$s]} vacuum_s=${VACS[$s]} vacuum_wal_bytes=${VACW[$s]}"
done
while read -r model mat rows fb ft eb et; do
  echo "BENCH measure=model model=$model materialized=$mat rows=$rows full_build_ms=$fb full_tests_ms=$ft feed_build_ms=$eb feed_tests_ms=$et"
done <<<"$PERMODEL"
while read -r model a b c d e f g; do
  echo "BENCH measure=wal model=$model insert_mb=$a delete_mb=$b index_mb=$c prune_mb=$d other_mb=$e total_mb=$f fpi_mb=$g"
done <<<"$WALTAB"
while read -r model rows d i t w ni nx nt nw; do
  echo "BENCH measure=rebuild model=$model rows=$rows delete_ms=$d insert_ms=$i total_ms=$t wal_mb=$w" \
       "new_table_insert_ms=$ni new_table_index_ms=$nx new_table_total_ms=$nt new_table_wal_mb=$nw"
done <<<"$REBTAB"
while read -r t n h i nh ni; do
  echo "BENCH measure=size table=$t rows=$n heap_mb=$h index_mb=$i new_table_heap_mb=$nh new_table_index_mb=$ni"
done <<<"$SIZES"
if [ -n "${PERF:-}" ]; then
  line="BENCH measure=perf samples=$PERF_SAMPLES"
  for f in "${PERF_FUNCS[@]}"; do line+=" $f=${PERF_PCT[$f]}"; done
  echo "$line"
fi
for q in "${QUERIES[@]}"; do
  echo "BENCH measure=query query=$q median_ms=${QMED[$q]} runs=$QUERY_RUNS all_ms=${QALL[$q]} result=${QRES[$q]}"
done
