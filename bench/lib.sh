# Shared by the benchmarks: the feed argument, the cluster, and small
# helpers for timing.  Source it from the repository root, after test/lib.sh.

# bench_feed [feed.zip]: the feed's absolute path (default: the MTA subway
# feed in ../shared, relative to the repository root)
bench_feed() {
  local feed=${1:-../shared/data/gtfs/mta-subway.zip}
  [ -f "$feed" ] || die "feed not found: $feed"
  echo "$(cd "$(dirname "$feed")" && pwd)/$(basename "$feed")"
}

# bench_positive NAME VALUE: die unless VALUE is a positive integer
bench_positive() {
  [[ $2 =~ ^[1-9][0-9]*$ ]] || die "$1 must be a positive integer"
}

# With PERF set, check that perf can attach to a backend.
bench_require_perf() {
  [ -n "${PERF:-}" ] || return 0
  command -v perf >/dev/null || die "PERF=1 needs perf (apt-get install linux-perf)"
  [ "$(id -u)" -eq 0 ] || die "PERF=1 needs root, to attach perf to a backend"
}

# bench_start ROOT PORT FEED [postgresql.conf lines...]: install what is
# needed, build, start a cluster in ROOT, and copy the feed where the server
# can read it.  Sets DATA (that directory, owned by postgres) and ZIP (the
# feed in it).  On exit the cluster stops, unless KEEP_CLUSTER is set.
bench_start() {
  local port=$2 feed=$3
  BENCH_ROOT=$1
  shift 3
  gtfs_install_deps
  gtfs_build_install || die "build failed"
  gtfs_start_cluster "$BENCH_ROOT" "$port" "$@"
  DATA=$BENCH_ROOT/data
  trap '[ -n "${KEEP_CLUSTER:-}" ] || { gtfs_stop_cluster "$BENCH_ROOT"; rm -rf "$DATA"; }' EXIT
  gtfs_stage_data "$DATA" "$feed"
  ZIP=$DATA/$(basename "$feed")
  if [ "$(id -u)" -eq 0 ]; then chown -R postgres "$DATA"; fi
}

# bench_load_feed: register ZIP as feed "bench" and load it once, without
# its models (CALL gtfs_refresh with gtfs_fdw.refresh_models off); sets
# STAGE, its staging schema
bench_load_feed() {
  psql_q -v zip="$ZIP" <<'SQL' >/dev/null
CREATE EXTENSION gtfs_fdw;
SELECT gtfs_fdw.add_feed('bench', url => :'zip');
SQL
  psql_q -c "SET gtfs_fdw.refresh_models = off" -c "CALL gtfs_refresh('bench')" 2>/dev/null
  [ "$(psql_q -c "SELECT last_status FROM gtfs_fdw.feeds WHERE name = 'bench'")" = ok ] ||
    die "the load failed: $(psql_q -c "SELECT message FROM gtfs_fdw.load_log
                                       WHERE feed = 'bench' AND step = 'refresh'
                                       ORDER BY run_id DESC LIMIT 1")"
  STAGE=$(psql_q -c "SELECT staging_schema FROM gtfs_fdw.feeds WHERE name = 'bench'")
}

psql_q() { "$PG_BIN/psql" -X -q -At -v ON_ERROR_STOP=1 "$@"; }
now_ns() { date +%s%N; }
median() { printf '%s\n' "$@" | sort -g | awk '{v[NR]=$1} END {m=int((NR+1)/2); print (NR%2 ? v[m] : (v[m]+v[m+1])/2)}'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {if (b > 0) printf "%.2f", a/b; else printf "-"}'; }

# bench_time(query): milliseconds spent in one query inside the server, and
# its (single) result; one statement, so one transaction, per call
bench_define_time() {
  psql_q <<'SQL'
CREATE FUNCTION public.bench_time(q text, OUT ms float8, OUT result text)
LANGUAGE plpgsql AS $$
DECLARE
    t0 timestamptz;
BEGIN
    t0 := clock_timestamp();
    EXECUTE q INTO result;
    ms := 1000 * extract(epoch FROM clock_timestamp() - t0);
END $$;
SQL
}
