#!/usr/bin/env bash
# Load speed of gtfs_fdw's materialize against the physical reference:
# unzip every file of the feed, COPY each into a table of the same shape,
# then the same keys, indexes and statistics.
#
#   bench/materialize.sh [feed.zip]   (default: ../shared/data/gtfs/mta-subway.zip
#                                      relative to the repository root)
#
# Environment: RUNS (timed runs per measurement, default 3; one extra
# warm-up run is not counted), GTFS_BENCH_ROOT (default
# /tmp/gtfs_fdw_bench_mat), GTFS_BENCH_PORT (default 54396), KEEP_CLUSTER=1
# to leave the cluster up.
#
# Every measurement is one psql session timed from the shell, connection
# included, runs of all sides interleaved.  Peak memory is VmHWM of that
# session's backend, read by the backend itself right after the load.  Prints
# tables and one "BENCH key=value ..." line per measurement.
set -euo pipefail
cd "$(dirname "$0")/.."
. test/lib.sh

FEED=${1:-../shared/data/gtfs/mta-subway.zip}
[ -f "$FEED" ] || die "feed not found: $FEED"
FEED=$(cd "$(dirname "$FEED")" && pwd)/$(basename "$FEED")
RUNS=${RUNS:-3}
ROOT=${GTFS_BENCH_ROOT:-/tmp/gtfs_fdw_bench_mat}
PORT=${GTFS_BENCH_PORT:-54396}
[[ $RUNS =~ ^[1-9][0-9]*$ ]] || die "RUNS must be a positive integer"

gtfs_install_deps
gtfs_build_install || die "build failed"

# JIT off: ANALYZE and the catalog queries gain nothing from it.
# Autovacuum off: each load leaves hundreds of thousands of freshly inserted
# rows, whose vacuum would otherwise run on the same CPUs during the next
# timed run, whichever side that is.
gtfs_start_cluster "$ROOT" "$PORT" "jit = off" "autovacuum = off"
DATA=$ROOT/data
trap '[ -n "${KEEP_CLUSTER:-}" ] || { gtfs_stop_cluster "$ROOT"; rm -rf "$DATA"; }' EXIT
gtfs_stage_data "$DATA" "$FEED"
ZIP=$DATA/$(basename "$FEED")
EXTRACT=$DATA/extract       # the reference's unzip
UNZIP_ONLY=$DATA/unzip_only # unzip alone
chown -R postgres "$DATA"

psql_q() { "$PG_BIN/psql" -X -q -At -v ON_ERROR_STOP=1 "$@"; }
now_ns() { date +%s%N; }
secs() { awk -v d="$1" 'BEGIN {printf "%.3f", d/1e9}'; }
median() { printf '%s\n' "$@" | sort -g | awk '{v[NR]=$1} END {m=int((NR+1)/2); print (NR%2 ? v[m] : (v[m]+v[m+1])/2)}'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f", a/b}'; }
mb() { awk -v k="$1" 'BEGIN {printf "%.1f", k/1024}'; }
unzip_txt() { # DIR: extract every .txt member of the feed into DIR
  unzip -q -o "$ZIP" '*.txt' -x '__MACOSX/*' -d "$1"
}
fresh_dir() { rm -rf "$1"; mkdir -m 755 "$1"; }

# peak and shared memory of the session's backend, in kB: "VmHWM RssShmem"
MEMSQL="SELECT substring(s FROM 'VmHWM:\s*(\d+)') || ' ' || substring(s FROM 'RssShmem:\s*(\d+)')
        FROM pg_read_file('/proc/self/status') s"

# --- the feed, and a first load (not timed) whose tables the reference copies
say "registering the feed and loading it once"
psql_q -v zip="$ZIP" <<'SQL' >/dev/null
CREATE EXTENSION gtfs_fdw;
SELECT gtfs_fdw.add_feed('bench', url => :'zip');
SQL
psql_q -c "CALL gtfs_refresh('bench', force => true)" 2>/dev/null
[ "$(psql_q -c "SELECT last_status FROM gtfs_fdw.feeds WHERE name = 'bench'")" = ok ] ||
  die "the first load failed: $(psql_q -c "SELECT message FROM gtfs_fdw.load_log WHERE feed = 'bench' AND step = 'refresh' ORDER BY run_id DESC LIMIT 1")"
STAGE=$(psql_q -c "SELECT staging_schema FROM gtfs_fdw.feeds WHERE name = 'bench'")

# --- the reference's script, from the staging tables' catalog entries:
# every staging table (the feed's files and the empty ones) gets a table
# "ref.<name>" with the same columns, types and NOT NULLs but without
# feed_id and load_id; the file's rows by COPY, with the column list of its
# header line; the same primary key, unique and foreign-key indexes; ANALYZE.
# "\echo @ table step" lines mark what the following statements time.
say "writing the reference's script"
fresh_dir "$EXTRACT"
unzip_txt "$EXTRACT"
REFSQL=$DATA/reference.sql
{
  cat <<'SQL'
\timing on
\echo @ - setup
BEGIN;
DROP SCHEMA IF EXISTS ref CASCADE;
CREATE SCHEMA ref;
SQL
  psql_q -v stage="$STAGE" -v extract="$EXTRACT" <<'SQL'
WITH t AS (
    SELECT c.oid, c.relname AS tbl,
           substring(d.description FROM '^gtfs_fdw: (.*) of feed bench, load [0-9]+') AS file,
           d.description LIKE '%(not in the feed: empty)' AS empty
    FROM pg_class c
    JOIN pg_description d ON d.objoid = c.oid AND d.classoid = 'pg_class'::regclass AND d.objsubid = 0
    WHERE c.relnamespace = :'stage'::regnamespace AND c.relkind = 'r'
      AND d.description LIKE 'gtfs_fdw: %'
), cols AS (
    SELECT t.oid, string_agg(format('%I %s%s', a.attname, format_type(a.atttypid, a.atttypmod),
                                    CASE WHEN a.attnotnull THEN ' NOT NULL' ELSE '' END),
                             ', ' ORDER BY a.attnum) AS defs
    FROM t JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum > 0 AND NOT a.attisdropped
    WHERE a.attname NOT IN ('feed_id', 'load_id')
    GROUP BY t.oid
), hdr AS (
    SELECT t.oid,
           (SELECT string_agg(quote_ident(btrim(h, E' "\r')), ', ' ORDER BY n)
            FROM unnest(string_to_array(
                   replace(split_part(pg_read_file(:'extract' || '/' || t.file, 0, 65536), E'\n', 1),
                           E'\uFEFF', ''), ',')) WITH ORDINALITY AS x(h, n)) AS list
    FROM t WHERE NOT t.empty
), idx AS (
    -- the primary key first, then the other indexes in the order of creation
    SELECT i.indrelid AS oid,
           string_agg(CASE WHEN con.oid IS NOT NULL
                           THEN format('ALTER TABLE ref.%I ADD CONSTRAINT %I %s;', t.tbl, con.conname,
                                       pg_get_constraintdef(con.oid))
                           ELSE replace(pg_get_indexdef(i.indexrelid),
                                        ' ON ' || quote_ident(:'stage') || '.', ' ON ref.') || ';'
                      END, E'\n' ORDER BY con.oid IS NULL, i.indexrelid) AS stmts
    FROM t JOIN pg_index i ON i.indrelid = t.oid
    LEFT JOIN pg_constraint con ON con.conindid = i.indexrelid AND con.conrelid = i.indrelid
    GROUP BY i.indrelid
)
SELECT concat_ws(E'\n',
    format('\echo @ %s create', t.tbl),
    format('CREATE TABLE ref.%I (%s);', t.tbl, cols.defs),
    CASE WHEN NOT t.empty THEN format('\echo @ %s copy', t.tbl) END,
    CASE WHEN NOT t.empty THEN format('COPY ref.%I (%s) FROM %L (FORMAT csv, HEADER true);',
                                      t.tbl, hdr.list, :'extract' || '/' || t.file) END,
    CASE WHEN idx.stmts IS NOT NULL THEN format('\echo @ %s keys', t.tbl) END,
    idx.stmts,
    format('\echo @ %s analyze', t.tbl),
    format('ANALYZE ref.%I;', t.tbl))
FROM t JOIN cols USING (oid) LEFT JOIN hdr USING (oid) LEFT JOIN idx USING (oid)
ORDER BY t.tbl;
SQL
  cat <<SQL
\\echo @ - commit
COMMIT;
\\timing off
$MEMSQL;
SQL
} >"$REFSQL"
# the feed's files and their tables
declare -A FILEOF
while IFS='|' read -r tbl file; do FILEOF[$tbl]=$file; done < <(psql_q -F '|' -v stage="$STAGE" <<'SQL'
SELECT c.relname, substring(d.description FROM '^gtfs_fdw: (.*) of feed bench, load [0-9]+')
FROM pg_class c
JOIN pg_description d ON d.objoid = c.oid AND d.classoid = 'pg_class'::regclass AND d.objsubid = 0
WHERE c.relnamespace = :'stage'::regnamespace AND c.relkind = 'r'
  AND d.description LIKE 'gtfs_fdw: %' AND d.description NOT LIKE '%(not in the feed: empty)'
SQL
)
NTABLES=$(grep -c '^CREATE TABLE ref\.' "$REFSQL")
NCOPY=$(grep -c '^COPY ref\.' "$REFSQL")
NKEYS=$(grep -cE '^(ALTER TABLE ref\.|CREATE (UNIQUE )?INDEX )' "$REFSQL")
# every .txt member of the zip must be loaded by both sides
while read -r member; do
  grep -qF "FROM '$EXTRACT/$member' " "$REFSQL" ||
    die "$member is in the zip but has no staging table"
done < <(unzip -Z1 "$ZIP" | grep -i '\.txt$' | grep -v '^__MACOSX/')
say "reference: $NTABLES tables, $NCOPY files to COPY, $NKEYS keys and indexes"

# --- one run of each side; each sets T (ns) and MEM ("VmHWM RssShmem")
LOG=$DATA/run.log
run_refresh() {
  local t0 t1 out
  t0=$(now_ns)
  out=$(psql_q -c "CALL gtfs_refresh('bench', force => true)" \
               -c "SELECT last_status || ' ' || last_load_id FROM gtfs_fdw.feeds WHERE name = 'bench'" \
               -c "$MEMSQL" 2>"$LOG") || { cat "$LOG" >&2; die "gtfs_refresh failed"; }
  t1=$(now_ns)
  T=$((t1 - t0))
  [ "$(sed -n 1p <<<"$out" | cut -d' ' -f1)" = ok ] || { cat "$LOG" >&2; die "gtfs_refresh did not load the feed"; }
  MEM=$(sed -n 2p <<<"$out")
  NOTICES=$(cat "$LOG")
}
run_materialize() {
  local t0 t1 out
  t0=$(now_ns)
  out=$(psql_q -c "BEGIN" -c "SELECT gtfs_fdw.materialize('bench')" -c "COMMIT" \
               -c "$MEMSQL" 2>"$LOG") || { cat "$LOG" >&2; die "materialize failed"; }
  t1=$(now_ns)
  T=$((t1 - t0))
  MEM=$(tail -n 1 <<<"$out")
  NOTICES=$(cat "$LOG")
}
run_reference() {
  local t0 t1
  fresh_dir "$EXTRACT"
  t0=$(now_ns)
  unzip_txt "$EXTRACT"
  REFOUT=$(psql_q -f "$REFSQL" 2>"$LOG") || { cat "$LOG" >&2; die "the reference load failed"; }
  t1=$(now_ns)
  T=$((t1 - t0))
  MEM=$(tail -n 1 <<<"$REFOUT")
}
run_unzip() {
  local t0 t1
  fresh_dir "$UNZIP_ONLY"
  t0=$(now_ns)
  unzip_txt "$UNZIP_ONLY"
  t1=$(now_ns)
  T=$((t1 - t0))
  MEM=""
}

# per-file seconds from gtfs_fdw's NOTICEs, into GFILE[file] ("s s ...")
declare -A GFILE
collect_notices() {
  local re_file='feed "bench": ([^:]+): ([0-9]+) rows in ([0-9.]+) s'
  local re_total='feed "bench": loaded ([0-9]+) rows into schema .* in ([0-9.]+) s'
  while IFS= read -r line; do
    if [[ $line =~ $re_total ]]; then
      GFILE[-total]+="${BASH_REMATCH[2]} "
    elif [[ $line =~ $re_file ]]; then
      GFILE[${BASH_REMATCH[1]}]+="${BASH_REMATCH[3]} "
    fi
  done <<<"$NOTICES"
}
# per-table, per-step milliseconds from the reference's \timing, into RSTEP[table.step]
declare -A RSTEP
collect_timing() {
  local tbl=- step=setup
  declare -A sum=()
  while IFS= read -r line; do
    if [[ $line =~ ^@\ ([^ ]+)\ ([a-z]+)$ ]]; then
      tbl=${BASH_REMATCH[1]} step=${BASH_REMATCH[2]}
    elif [[ $line =~ ^Time:\ ([0-9.]+)\ ms ]]; then
      sum[$tbl.$step]=$(awk -v a="${sum[$tbl.$step]:-0}" -v b="${BASH_REMATCH[1]}" 'BEGIN {print a+b}')
    fi
  done <<<"$REFOUT"
  for k in "${!sum[@]}"; do RSTEP[$k]+="${sum[$k]} "; done
}

# --- the timed runs, sides interleaved
SIDES=(refresh materialize reference unzip)
declare -A DESC=(
  [refresh]="CALL gtfs_refresh(force => true): fetch, archive, materialize, log"
  [materialize]="BEGIN; SELECT gtfs_fdw.materialize(); COMMIT"
  [reference]="unzip + COPY + keys, indexes, ANALYZE (one transaction)"
  [unzip]="unzip of every .txt file alone"
)
declare -A NS VMHWM SHMEM
say "timing loads ($RUNS runs + warm-up, sides interleaved)"
for r in $(seq 0 "$RUNS"); do
  for s in "${SIDES[@]}"; do
    "run_$s"
    say "run $r $s: $(secs "$T") s"
    [ "$r" -eq 0 ] && continue
    NS[$s]+="$T "
    if [ -n "$MEM" ]; then
      VMHWM[$s]+="${MEM% *} "
      SHMEM[$s]+="${MEM#* } "
    fi
    case $s in
      refresh | materialize) collect_notices ;;
      reference) collect_timing ;;
    esac
  done
done

# --- both sides must have loaded the same rows: row counts per table (abort
# if they differ), then the rows themselves (staging minus reference and back)
say "comparing staging and reference tables"
CHECK=$(psql_q -F '|' -v stage="$STAGE" <<'SQL'
CREATE FUNCTION pg_temp.compare(stage text, tbl text, OUT staged bigint, OUT reference bigint, OUT differing bigint)
LANGUAGE plpgsql AS $$
DECLARE
    cols text;
BEGIN
    EXECUTE format('SELECT count(*) FROM %I.%I', stage, tbl) INTO staged;
    EXECUTE format('SELECT count(*) FROM ref.%I', tbl) INTO reference;
    SELECT string_agg(quote_ident(attname), ', ' ORDER BY attnum) INTO cols
    FROM pg_attribute WHERE attrelid = format('ref.%I', tbl)::regclass AND attnum > 0 AND NOT attisdropped;
    EXECUTE format('SELECT count(*) FROM ((SELECT %1$s FROM %2$I.%3$I EXCEPT ALL SELECT %1$s FROM ref.%3$I) '
                   'UNION ALL (SELECT %1$s FROM ref.%3$I EXCEPT ALL SELECT %1$s FROM %2$I.%3$I)) d',
                   cols, stage, tbl) INTO differing;
END $$;
SELECT c.relname, x.*
FROM pg_class c, pg_temp.compare(:'stage', c.relname) x
WHERE c.relnamespace = 'ref'::regnamespace AND c.relkind = 'r'
ORDER BY c.relname;
SQL
) || die "the comparison failed"
NREF=$(psql_q -c "SELECT count(*) FROM pg_class WHERE relnamespace = 'ref'::regnamespace AND relkind = 'r'")
NSTAGE=$(psql_q -c "SELECT count(*) FROM pg_class WHERE relnamespace = '$STAGE'::regnamespace AND relkind = 'r'")
[ "$NREF" -eq "$NSTAGE" ] || die "$NSTAGE staging tables but $NREF reference tables"
TOTAL_ROWS=0
DIFFERING=0
declare -A ROWS
while IFS='|' read -r tbl staged reference differing; do
  [ "$staged" -eq "$reference" ] ||
    die "ROW COUNTS DIFFER: $STAGE.$tbl has $staged rows, ref.$tbl has $reference"
  [ "$differing" -eq 0 ] || say "WARNING: $tbl: $differing rows differ between the two loads"
  ROWS[$tbl]=$staged
  TOTAL_ROWS=$((TOTAL_ROWS + staged))
  DIFFERING=$((DIFFERING + differing))
done <<<"$CHECK"
say "row counts match: $TOTAL_ROWS rows in $NSTAGE tables; $DIFFERING rows differ"

# --- report
declare -A MED
for s in "${SIDES[@]}"; do
  # shellcheck disable=SC2086
  MED[$s]=$(median ${NS[$s]} | awk '{printf "%.3f", $1/1e9}')
done
rows_per_s() { awk -v n="$TOTAL_ROWS" -v s="$1" 'BEGIN {printf "%.0f", n/s}'; }
ZIP_BYTES=$(stat -c %s "$ZIP")
TXT_BYTES=$(du -sb "$UNZIP_ONLY" | cut -f1)

echo
echo "feed: $(basename "$FEED") ($ZIP_BYTES bytes zipped, $TXT_BYTES bytes of .txt files), $TOTAL_ROWS rows"
echo "$NSTAGE tables ($NCOPY files in the feed), $NKEYS keys and indexes; $DIFFERING rows differ between the loads"
echo "median of $RUNS runs after one warm-up, seconds (wall clock of the psql session, connection included)"
echo
printf '%-12s %9s %11s %10s %11s %13s\n' side seconds rows/s "/reference" "VmHWM MB" "of it shm MB"
for s in "${SIDES[@]}"; do
  if [ "$s" = unzip ]; then
    printf '%-12s %9s %11s %10s %11s %13s\n' "$s" "${MED[$s]}" - "$(ratio "${MED[$s]}" "${MED[reference]}")" - -
  else
    # shellcheck disable=SC2086
    printf '%-12s %9s %11s %10s %11s %13s\n' "$s" "${MED[$s]}" "$(rows_per_s "${MED[$s]}")" \
      "$(ratio "${MED[$s]}" "${MED[reference]}")" "$(mb "$(median ${VMHWM[$s]})")" "$(mb "$(median ${SHMEM[$s]})")"
  fi
done
echo
for s in "${SIDES[@]}"; do printf '  %-12s %s\n' "$s" "${DESC[$s]}"; done
echo

# per file: gtfs_fdw's NOTICE (load, keys, ANALYZE of the file's table),
# the reference's statements for the same table
echo "per file, medians in ms (gtfs_fdw: its NOTICEs, in both refresh and materialize runs;"
echo "reference: psql's timing of each statement, unzip not included)"
printf '%-24s %9s %9s %9s %9s %9s %9s %7s\n' file rows gtfs_fdw "ref:copy" "ref:keys" analyze "ref:all" ratio
mstep() { # TABLE STEP -> median ms, 0 when never run
  # shellcheck disable=SC2086
  if [ -n "${RSTEP[$1.$2]:-}" ]; then median ${RSTEP[$1.$2]}; else echo 0; fi
}
files_ref=0
FILE_LINES=""
while read -r tbl; do
  file=${FILEOF[$tbl]}
  # shellcheck disable=SC2086
  g=$(awk -v s="$(median ${GFILE[$file]:-0})" 'BEGIN {printf "%.0f", s*1000}')
  c=$(awk -v a="$(mstep "$tbl" create)" -v b="$(mstep "$tbl" copy)" 'BEGIN {print a+b}')
  k=$(mstep "$tbl" keys)
  a=$(mstep "$tbl" analyze)
  all=$(awk -v c="$c" -v k="$k" -v a="$a" 'BEGIN {printf "%.0f", c+k+a}')
  files_ref=$(awk -v s="$files_ref" -v x="$all" 'BEGIN {print s+x}')
  printf '%-24s %9s %9s %9.0f %9.0f %9.0f %9s %7s\n' "$file" "${ROWS[$tbl]}" "$g" "$c" "$k" "$a" "$all" \
    "$(if [ "$all" -gt 0 ]; then ratio "$g" "$all"; else echo -; fi)"
  FILE_LINES+="BENCH measure=file file=$file rows=${ROWS[$tbl]} gtfs_ms=$g ref_copy_ms=$c ref_keys_ms=$k ref_analyze_ms=$a ref_ms=$all"$'\n'
done < <(printf '%s\n' "${!FILEOF[@]}" | sort)
# shellcheck disable=SC2086
G_TOTAL=$(awk -v s="$(median ${GFILE[-total]})" 'BEGIN {printf "%.0f", s*1000}')
R_TOTAL=0
for k in "${!RSTEP[@]}"; do
  # shellcheck disable=SC2086
  R_TOTAL=$(awk -v s="$R_TOTAL" -v x="$(median ${RSTEP[$k]})" 'BEGIN {print s+x}')
done
echo "inside the server: gtfs_fdw's materialize $G_TOTAL ms in all (its final NOTICE); the reference's"
echo "statements $(printf '%.0f' "$R_TOTAL") ms in all, of which $(printf '%.0f' "$files_ref") ms for the feed's files, the rest for"
echo "DROP SCHEMA, the empty tables and COMMIT"
echo

for s in "${SIDES[@]}"; do
  all=$(for n in ${NS[$s]}; do secs "$n"; done | paste -sd, -)
  line="BENCH measure=load side=$s median_s=${MED[$s]} runs=$RUNS all_s=$all"
  if [ "$s" != unzip ]; then
    # shellcheck disable=SC2086
    line+=" rows=$TOTAL_ROWS rows_per_s=$(rows_per_s "${MED[$s]}") vmhwm_kb=$(median ${VMHWM[$s]}) rss_shmem_kb=$(median ${SHMEM[$s]})"
  fi
  echo "$line"
done
echo "BENCH measure=ratio refresh_over_reference=$(ratio "${MED[refresh]}" "${MED[reference]}") materialize_over_reference=$(ratio "${MED[materialize]}" "${MED[reference]}")"
printf '%s' "$FILE_LINES"
echo "BENCH measure=server gtfs_materialize_ms=$G_TOTAL ref_statements_ms=$(printf '%.0f' "$R_TOTAL") ref_files_ms=$(printf '%.0f' "$files_ref")"
