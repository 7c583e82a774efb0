# Tiny TAP helpers for the shell tests in test/t/.  Sourced, not run.
# The environment comes from test/run.sh: PGHOST, PGPORT, PGUSER,
# FIXTURE_PORT, GTFS_TEST_DATA, GTFS_SHARED.

TAP_N=0
TAP_FAILED=0

ok() {                      # ok CONDITION-EXIT-STATUS DESCRIPTION
  TAP_N=$((TAP_N + 1))
  if [ "$1" -eq 0 ]; then
    echo "ok $TAP_N - $2"
  else
    echo "not ok $TAP_N - $2"
    TAP_FAILED=$((TAP_FAILED + 1))
  fi
}

is() {                      # is GOT EXPECTED DESCRIPTION
  if [ "$1" = "$2" ]; then ok 0 "$3"; else ok 1 "$3"; echo "#   got: '$1'"; echo "#   expected: '$2'"; fi
}

q() { psql -X -q -A -t -v ON_ERROR_STOP=1 "$@"; }

fixture() { curl -s --max-time 10 "http://127.0.0.1:$FIXTURE_PORT$1"; }

# milliseconds since the epoch
now_ms() { date +%s%3N; }

done_testing() {
  echo "1..$TAP_N"
  [ "$TAP_FAILED" -eq 0 ]
}
