#!/usr/bin/env bash
# The whole test suite on a throwaway cluster: the pg_regress scripts in
# sql/ (expected output in expected/), then the shell tests in test/t/.
# Installs what it needs when run as root on Debian.  Ends with the line
# "N passed, N failed" and exits non-zero if anything failed.
set -uo pipefail
cd "$(dirname "$0")/.."
. test/lib.sh

ROOT=${GTFS_TEST_ROOT:-/tmp/gtfs_fdw_regress}
PORT=${GTFS_TEST_PORT:-54389}
export FIXTURE_PORT=${FIXTURE_PORT:-54390}
SHARED=${GTFS_SHARED_DIR:-$(cd .. && pwd)/shared}

gtfs_install_deps
gtfs_build_install || die "build failed"

# pg_cron must be preloaded for the refresh scheduling test
gtfs_start_cluster "$ROOT" "$PORT" \
  "shared_preload_libraries = 'pg_cron'" "cron.database_name = 'postgres'" \
  "cron.use_background_workers = on" "cron.max_running_jobs = 4"

# fixtures where the server can read them, at fixed paths the expected
# output can name
export GTFS_TEST_DATA=$ROOT/data GTFS_SHARED=$ROOT/shared
gtfs_stage_data "$GTFS_TEST_DATA" test/data/*.zip
if [ -d "$SHARED/data/gtfs" ]; then
  gtfs_stage_data "$GTFS_SHARED" "$SHARED"/data/gtfs/*.zip "$SHARED"/fixtures/gtfs/sample-feed-1.zip
else
  say "warning: $SHARED not found; tests of the real feeds will fail"
  mkdir -p "$GTFS_SHARED"
fi

python3 test/fixture_server.py --root "$GTFS_TEST_DATA" --root-alias "shared=$GTFS_SHARED" \
  --port "$FIXTURE_PORT" --port-file "$ROOT/fixture.port" 2>"$ROOT/fixture.log" &
FIXTURE_PID=$!
cleanup() {
  kill "$FIXTURE_PID" 2>/dev/null
  [ -n "${KEEP_CLUSTER:-}" ] || gtfs_stop_cluster "$ROOT"
}
trap cleanup EXIT
for _ in $(seq 100); do [ -s "$ROOT/fixture.port" ] && break; sleep 0.1; done
[ -s "$ROOT/fixture.port" ] || die "the fixture server did not start: $(cat "$ROOT/fixture.log")"

passed=0
failed=0

say "pg_regress"
make -s PG_CONFIG="$PG_BIN/pg_config" installcheck ${REGRESS:+REGRESS="$REGRESS"} 2>&1 | tee "$ROOT/regress.log"
passed=$((passed + $(grep -cE '\.\.\. +ok' "$ROOT/regress.log")))
failed=$((failed + $(grep -cE '\.\.\. +FAILED|\.\.\. +failed' "$ROOT/regress.log")))
if [ -s regression.diffs ]; then
  say "regression.diffs"
  cat regression.diffs
fi

for t in ${TESTS-test/t/[0-9]*.sh}; do
  say "$t"
  out=$(bash "$t" 2>&1)
  rc=$?
  printf '%s\n' "$out"
  ok=$(grep -cE '^ok ' <<<"$out")
  nok=$(grep -cE '^not ok ' <<<"$out")
  if [ "$rc" -ne 0 ] && [ "$nok" -eq 0 ]; then
    nok=1
    echo "not ok - $t exited with status $rc"
  fi
  passed=$((passed + ok))
  failed=$((failed + nok))
done

if [ -n "${VALGRIND:-}" ]; then
  say "valgrind errors in gtfs_fdw"
  errors=$(gtfs_valgrind_errors "$ROOT")
  if [ -n "$errors" ]; then
    printf '%s\n' "$errors"
    echo "not ok - valgrind found errors in gtfs_fdw (logs in $ROOT/valgrind)"
    failed=$((failed + 1))
  else
    echo "ok - valgrind found no errors in gtfs_fdw"
    passed=$((passed + 1))
  fi
fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
