#!/usr/bin/env bash
# Scan speed of gtfs_fdw against the obvious alternative: extract
# stop_times.txt from the zip with unzip, then read the CSV with file_fdw.
#
#   bench/scan.sh [feed.zip]      (default: ../shared/data/gtfs/mta-subway.zip
#                                  relative to the repository root)
#
# Environment: RUNS (timed runs per measurement, default 5; one extra
# warm-up run is not counted), GTFS_BENCH_ROOT (default /tmp/gtfs_fdw_bench),
# GTFS_BENCH_PORT (default 54395), KEEP_CLUSTER=1 to leave the cluster up.
#
# Queries are timed inside the server by a plpgsql function reading
# clock_timestamp() around EXECUTE, one statement (and transaction) per run,
# runs of both sides interleaved.  Peak memory is VmHWM of a fresh backend
# after one query.  Prints a table and one "BENCH key=value ..." line per
# measurement.
set -euo pipefail
cd "$(dirname "$0")/.."
. test/lib.sh
. bench/lib.sh

FEED=$(bench_feed "${1:-}")
MEMBER=stop_times.txt
RUNS=${RUNS:-5}
bench_positive RUNS "$RUNS"
[ -f "$("$PG_BIN/pg_config" --sharedir)/extension/file_fdw.control" ] ||
  die "file_fdw (contrib) is not installed"

# JIT off: whether it kicks in depends on each wrapper's cost estimates, and
# it only adds compile time to these plans
bench_start "${GTFS_BENCH_ROOT:-/tmp/gtfs_fdw_bench}" "${GTFS_BENCH_PORT:-54395}" "$FEED" "jit = off"
CSV=$DATA/$MEMBER
bench_define_time

# --- unzip to a file
say "timing unzip of $MEMBER ($RUNS runs + warm-up)"
unzip_ms=()
for r in $(seq 0 "$RUNS"); do
  rm -f "$CSV"
  t0=$(now_ns)
  unzip -q -o "$ZIP" "$MEMBER" -d "$DATA"
  t1=$(now_ns)
  [ "$r" -eq 0 ] || unzip_ms+=("$(awk -v d=$((t1 - t0)) 'BEGIN {printf "%.1f", d/1e6}')")
done
[ -s "$CSV" ] || die "unzip produced no $MEMBER"
chown postgres "$CSV"
UNZIP_MED=$(median "${unzip_ms[@]}")
CSV_BYTES=$(stat -c %s "$CSV")
ZIP_BYTES=$(stat -c %s "$ZIP")
HEADER=$(head -n 1 "$CSV" | tr -d '\r' | sed 's/^\xEF\xBB\xBF//')

# --- the three foreign tables
#   g.stop_times  as IMPORT FOREIGN SCHEMA creates it (every column of the
#                 reference, most of them absent from this feed)
#   gb.stop_times gtfs_fdw, only the file's columns, in the file's order,
#                 with the imported types: the same shape as file_fdw's
#   fb.stop_times file_fdw over the extracted CSV, same columns and types
say "creating the foreign tables"
psql_q -v zip="$ZIP" -v csv="$CSV" -v header="$HEADER" <<'SQL'
CREATE EXTENSION gtfs_fdw;
CREATE EXTENSION file_fdw;
CREATE SERVER feed FOREIGN DATA WRAPPER gtfs_fdw OPTIONS (url :'zip');
CREATE SCHEMA g;
IMPORT FOREIGN SCHEMA gtfs LIMIT TO (stop_times) FROM SERVER feed INTO g;
CREATE SERVER csv FOREIGN DATA WRAPPER file_fdw;
CREATE SCHEMA gb;
CREATE SCHEMA fb;
SELECT string_agg(format('%I %s', h.name,
                         (SELECT format_type(a.atttypid, a.atttypmod) FROM pg_attribute a
                          WHERE a.attrelid = 'g.stop_times'::regclass AND a.attname = h.name
                            AND a.attnum > 0 AND NOT a.attisdropped)), ', ' ORDER BY h.n) AS cols
FROM unnest(string_to_array(:'header', ',')) WITH ORDINALITY AS h(name, n) \gset
SELECT format('CREATE FOREIGN TABLE gb.stop_times (%s) SERVER feed OPTIONS (file %L)',
              :'cols', 'stop_times.txt') \gexec
SELECT format('CREATE FOREIGN TABLE fb.stop_times (%s) SERVER csv OPTIONS (filename %L, format %L, header %L)',
              :'cols', :'csv', 'csv', 'true') \gexec
SQL
COLS=$(psql_q -c "SELECT string_agg(format('%s %s', attname, format_type(atttypid, atttypmod)), ', ' ORDER BY attnum)
                  FROM pg_attribute WHERE attrelid = 'fb.stop_times'::regclass AND attnum > 0")
NCOLS_IMPORTED=$(psql_q -c "SELECT count(*) FROM pg_attribute WHERE attrelid = 'g.stop_times'::regclass AND attnum > 0 AND NOT attisdropped")
say "columns: $COLS"

# queries: name and SQL, {tbl} standing for the table
QUERIES=(count rows text)
declare -A QSQL=(
  [count]='SELECT count(*) FROM {tbl} t'
  [rows]='SELECT count(t) FROM {tbl} t'
  [text]='SELECT sum(length(t::text)) FROM {tbl} t'
)
declare -A QDESC=(
  [count]='count(*): no column needed (file_fdw converts them all anyway)'
  [rows]='count(t): every column converted, whole row formed'
  [text]='sum(length(t::text)): every column converted and output as text'
)
SIDES=(gtfs_fdw file_fdw gtfs_fdw_imported)
declare -A TABLE=([gtfs_fdw]=gb.stop_times [file_fdw]=fb.stop_times [gtfs_fdw_imported]=g.stop_times)

# --- the timed queries: one session, one statement per run, sides interleaved
say "timing queries ($RUNS runs + warm-up)"
script=$(mktemp)
for r in $(seq 0 "$RUNS"); do
  for q in "${QUERIES[@]}"; do
    for s in "${SIDES[@]}"; do
      sql=${QSQL[$q]//\{tbl\}/${TABLE[$s]}}
      printf "SELECT '%s', '%s', %d, ms, result FROM bench_time(%s);\n" "$s" "$q" "$r" "'${sql//\'/\'\'}'"
    done
  done
done >"$script"
out=$(psql_q -F '|' -f "$script") || die "a timed query failed"
rm -f "$script"
declare -A MS RESULT
while IFS='|' read -r s q r ms res; do
  [ "$r" -eq 0 ] && continue
  MS[$s.$q]+="$ms "
  RESULT[$s.$q]=$res
done <<<"$out"

for q in "${QUERIES[@]}"; do
  [ "${RESULT[gtfs_fdw.$q]}" = "${RESULT[file_fdw.$q]}" ] ||
    die "$q: gtfs_fdw gives ${RESULT[gtfs_fdw.$q]}, file_fdw gives ${RESULT[file_fdw.$q]}"
done

# --- peak memory: VmHWM of a fresh backend after one query, read by the
# backend itself from /proc/self/status
peak_mem() { # SQL -> kB
  psql_q -c "$1" -c "SELECT substring(pg_read_file('/proc/self/status') FROM 'VmHWM:\s*(\d+)')" | tail -n 1
}
say "measuring peak backend memory"
declare -A MEM
MEM[idle]=$(peak_mem "SELECT 1")
for s in "${SIDES[@]}"; do
  for q in count text; do
    MEM[$s.$q]=$(peak_mem "${QSQL[$q]//\{tbl\}/${TABLE[$s]}}")
  done
done

# --- report
declare -A MED
for s in "${SIDES[@]}"; do
  for q in "${QUERIES[@]}"; do
    # shellcheck disable=SC2086
    MED[$s.$q]=$(median ${MS[$s.$q]})
  done
done

echo
echo "feed: $(basename "$FEED") ($ZIP_BYTES bytes), $MEMBER: $CSV_BYTES bytes, ${RESULT[gtfs_fdw.count]} rows"
echo "columns: $COLS (imported table: $NCOLS_IMPORTED columns)"
echo "median of $RUNS runs after one warm-up, milliseconds; unzip of $MEMBER: $UNZIP_MED ms"
echo
printf '%-6s %10s %10s %10s %12s %10s %10s %12s\n' \
  query gtfs_fdw file_fdw unzip+file "gtfs/(u+f)" gtfs/file imported "imp/(u+f)"
for q in "${QUERIES[@]}"; do
  g=${MED[gtfs_fdw.$q]} f=${MED[file_fdw.$q]} i=${MED[gtfs_fdw_imported.$q]}
  uf=$(awk -v a="$UNZIP_MED" -v b="$f" 'BEGIN {printf "%.1f", a+b}')
  printf '%-6s %10.1f %10.1f %10.1f %12s %10s %10.1f %12s\n' \
    "$q" "$g" "$f" "$uf" "$(ratio "$g" "$uf")" "$(ratio "$g" "$f")" "$i" "$(ratio "$i" "$uf")"
done
echo
for q in "${QUERIES[@]}"; do echo "  $q = ${QDESC[$q]}"; done
echo "  gtfs_fdw = the file's columns with the imported types; imported = the table IMPORT FOREIGN SCHEMA creates"
echo
echo "peak backend memory (VmHWM, MB): fresh backend $(awk -v k="${MEM[idle]}" 'BEGIN {printf "%.1f", k/1024}')"
printf '%-18s %10s %10s\n' side count text
for s in "${SIDES[@]}"; do
  printf '%-18s %10.1f %10.1f\n' "$s" \
    "$(awk -v k="${MEM[$s.count]}" 'BEGIN {print k/1024}')" "$(awk -v k="${MEM[$s.text]}" 'BEGIN {print k/1024}')"
done
echo

echo "BENCH measure=unzip member=$MEMBER median_ms=$UNZIP_MED runs=$RUNS all_ms=$(IFS=,; echo "${unzip_ms[*]}")"
for q in "${QUERIES[@]}"; do
  for s in "${SIDES[@]}"; do
    all=$(echo ${MS[$s.$q]} | tr ' ' ,)
    echo "BENCH measure=query side=$s query=$q median_ms=${MED[$s.$q]} runs=$RUNS all_ms=$all result=${RESULT[$s.$q]}"
  done
  uf=$(awk -v a="$UNZIP_MED" -v b="${MED[file_fdw.$q]}" 'BEGIN {printf "%.3f", a+b}')
  echo "BENCH measure=ratio query=$q gtfs_over_unzip_file=$(ratio "${MED[gtfs_fdw.$q]}" "$uf") gtfs_over_file=$(ratio "${MED[gtfs_fdw.$q]}" "${MED[file_fdw.$q]}") imported_over_unzip_file=$(ratio "${MED[gtfs_fdw_imported.$q]}" "$uf")"
done
echo "BENCH measure=vmhwm side=fresh_backend kb=${MEM[idle]}"
for s in "${SIDES[@]}"; do
  for q in count text; do
    echo "BENCH measure=vmhwm side=$s query=$q kb=${MEM[$s.$q]}"
  done
done
